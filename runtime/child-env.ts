/**
 * The environment ebbflow gives the processes it starts (job processes, local TaskManagers): an
 * allow-list, not a deny-list. A job process runs user code, so whatever the dispatcher's
 * environment holds (EBBFLOW_TOKEN, a Redis URL with its password, cloud credentials of whoever
 * started it) would otherwise be readable by every job, in `process.env` and in `/proc/<pid>/environ`.
 * What a child needs from ebbflow it gets explicitly (`extra`), e.g. EBBFLOW_JOB_SPEC_FILE; the
 * job's Redis URL travels in the 0600 spec file, not in the environment.
 *
 * NODE_OPTIONS is not passed: it can `--require`/`--import` code into every ebbflow process.
 */

/** Variables passed through as they are, when set. */
export const CHILD_ENV_ALLOWED: readonly string[] = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TMP', 'TEMP',
  // Tuning the job process reads from its environment (tests and the demo shorten the Mesos reconnect backoff).
  'EBBFLOW_MESOS_BACKOFF_MS',
  // Set for job processes by the launcher (more libuv threads, so that hung storage calls cannot take them all); TaskManagers inherit it.
  'UV_THREADPOOL_SIZE',
];

/** Prefixes passed through: the locale categories (LC_ALL, LC_CTYPE, …). */
export const CHILD_ENV_ALLOWED_PREFIXES: readonly string[] = ['LC_'];

/**
 * The AWS SDK's standard variables (credentials, region, profile and its files). Not in the
 * allow-list: a job process gets them only when its state is on `s3://` without `s3.access-key`
 * (the SDK's default chain then needs them), and its local TaskManagers only what it got.
 */
export const AWS_ENV: readonly string[] = [
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION',
  'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
];

/** The AWS_ENV variables set in `parent`. */
export function awsEnv(parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of AWS_ENV) if (parent[k] !== undefined) env[k] = parent[k]!;
  return env;
}

/** Whether a variable of the parent's environment is passed to a child ebbflow starts. */
export function isAllowedChildEnv(name: string): boolean {
  return CHILD_ENV_ALLOWED.includes(name) || CHILD_ENV_ALLOWED_PREFIXES.some((p) => name.startsWith(p));
}

/**
 * The environment of a child process: the allowed variables of `parent`, then `extra` (which
 * ebbflow sets itself and which therefore wins).
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}, parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(parent)) if (v !== undefined && isAllowedChildEnv(k)) env[k] = v;
  return { ...env, ...extra };
}
