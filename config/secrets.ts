/**
 * Masking of secrets in everything that leaves a process: REST answers, log lines, failure causes.
 * Follows Flink's rule for sensitive configuration keys (GlobalConfiguration.isSensitive) and masks
 * URL user-info and program arguments of the form `--<sensitive-name> value`. What is stored (the job
 * record in Redis, the job spec) keeps the real values: the job process needs them.
 */

/** What a masked value reads as, as in Flink. */
export const MASK = '******';

/**
 * Flink's sensitive-key fragments (GlobalConfiguration.SENSITIVE_KEYS), plus "credential" (the issue
 * names it; Flink's list does not). A key whose lower-cased name contains one is sensitive.
 */
export const SENSITIVE_KEY_FRAGMENTS: readonly string[] = [
  'password', 'secret', 'fs.azure.account.key', 'apikey', 'api-key', 'auth-params', 'service-key',
  'token', 'basic-auth', 'jaas.config', 'http-headers', 'credential',
];

/** Known secrets shorter than this are not searched for in free text: they would mask ordinary words. */
const MIN_TEXT_SECRET = 3;

/** True when a configuration key or a program-argument name (without dashes) names a secret. */
export function isSensitiveKey(name: string): boolean {
  const n = name.toLowerCase();
  return SENSITIVE_KEY_FRAGMENTS.some((f) => n.includes(f));
}

/** A copy of a configuration with the values of sensitive keys replaced by {@link MASK}. */
export function maskConfiguration<V>(conf: Readonly<Record<string, V>>): Record<string, V | string> {
  return Object.fromEntries(Object.entries(conf).map(([k, v]) => [k, isSensitiveKey(k) ? MASK : v]));
}

// scheme://user-info@ — greedy up to the last '@' of the authority (a password may hold a raw '@').
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>]*)@/gi;

/**
 * Masks the user-info of every URL in `text`: `redis://:pw@host` → `redis://:******@host`,
 * `https://user:pw@host` → `https://user:******@host`; a user-info without ':' (a bare token) is masked whole.
 */
export function maskUrl(text: string): string {
  return text.replace(URL_USER_INFO, (_m, scheme: string, info: string) => {
    const colon = info.indexOf(':');
    return `${scheme}${colon >= 0 ? `${info.slice(0, colon)}:${MASK}` : MASK}@`;
  });
}

/** `--name=value` / `-name=value` with a sensitive name: [prefix incl. '=', name]. */
const ARG_ASSIGNMENT = /^(--?([^=\s]+)=)/;
/** `--name` / `-name` on its own: its value is the next argument. */
const ARG_FLAG = /^--?([^=\s]+)$/;

/**
 * Masks program arguments: the value of `--<sensitive-name> value` and `--<sensitive-name>=value`,
 * and the user-info of any URL (e.g. `--redis redis://:pw@host`). A value that starts with `--` is
 * taken for the next flag, not masked.
 */
export function maskProgramArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const assigned = ARG_ASSIGNMENT.exec(a);
    if (assigned && isSensitiveKey(assigned[2]!)) { out.push(`${assigned[1]}${MASK}`); continue; }
    out.push(maskUrl(a));
    const flag = ARG_FLAG.exec(a);
    if (flag && isSensitiveKey(flag[1]!) && i + 1 < args.length && !args[i + 1]!.startsWith('--')) {
      out.push(MASK);
      i++;
    }
  }
  return out;
}

/** The password (or bare token) in a URL's user-info, if it has one. */
function urlSecrets(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(URL_USER_INFO)) {
    const info = m[2]!;
    const colon = info.indexOf(':');
    const secret = colon >= 0 ? info.slice(colon + 1) : info;
    if (secret) found.push(secret, safeDecode(secret));
  }
  return found;
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/**
 * The secret values a job was given: values of sensitive configuration keys, values of sensitive
 * program arguments and URL passwords in either. Used to mask them where they reappear in free text
 * (a failure cause that prints its arguments).
 */
export function secretsOf(configuration: Readonly<Record<string, unknown>>, args: readonly string[] = []): string[] {
  const found: string[] = [];
  for (const [k, v] of Object.entries(configuration)) {
    const s = typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
    if (isSensitiveKey(k) && s) found.push(s);
    found.push(...urlSecrets(s));
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    found.push(...urlSecrets(a));
    const assigned = ARG_ASSIGNMENT.exec(a);
    if (assigned && isSensitiveKey(assigned[2]!)) { found.push(a.slice(assigned[1]!.length)); continue; }
    const flag = ARG_FLAG.exec(a);
    if (flag && isSensitiveKey(flag[1]!) && i + 1 < args.length && !args[i + 1]!.startsWith('--')) found.push(args[i + 1]!);
  }
  return [...new Set(found.filter((s) => s.length >= MIN_TEXT_SECRET))];
}

// `name=value`, `name: value`, `"name":"value"` (JSON) and `--name value` in free text. The value is a
// quoted string or a bare word; an object or array value is not one (its own fields are checked).
const TEXT_ASSIGNMENT = /(["']?)(--?)?([A-Za-z0-9_.-]+)\1(\s*[=:]\s*|\s+)("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s"',;)}\]{[][^\s"',;)}\]]*)/g;

/** Whether `sep` joins a name to its value in the way `q` (the name's quote) and `dashes` allow. */
function isAssignment(q: string, dashes: string | undefined, sep: string): boolean {
  if (sep.includes('=')) return true;
  // "token expired" is prose, `--token x` a flag with its value.
  if (!sep.includes(':')) return Boolean(dashes);
  // `"key":value` is JSON; bare `name:value` is usually a path or a port (`token-file.js:10`), `name: value` a field.
  return q !== '' || /:\s/.test(sep);
}

function maskAssignments(text: string): string {
  return text.replace(TEXT_ASSIGNMENT, (m: string, q: string, dashes: string | undefined, name: string, sep: string, value: string) => {
    // Not an assignment: the "value" may itself be one (`with password=x`), so it is looked at on its own.
    if (!isSensitiveKey(name) || !isAssignment(q, dashes, sep)) return m.slice(0, m.length - value.length) + maskAssignments(value);
    const vq = value[0] === '"' || value[0] === "'" ? value[0] : q;
    if (value === MASK || value === `${vq}${MASK}${vq}`) return m;
    return `${q}${dashes ?? ''}${name}${q}${sep}${vq}${MASK}${vq}`;
  });
}

/**
 * Masks secrets in free text (a log line, a failure cause): URL user-info, values of
 * `sensitive-name=value` / `sensitive-name: value` / `"sensitive-name":"value"` / `--sensitive-name value`,
 * and every occurrence of a known secret (at least 3 characters long). JSON stays JSON: a masked
 * JSON value becomes the string "******".
 */
export function maskText(text: string, knownSecrets: readonly string[] = []): string {
  let out = maskAssignments(maskUrl(text));
  // Longest first, so a secret that contains another is masked whole.
  for (const s of [...knownSecrets].filter((k) => k.length >= MIN_TEXT_SECRET).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join(MASK);
  }
  return out;
}

/**
 * Masks every string inside a JSON value with {@link maskText}, and the string values of sensitive
 * keys whole (checkpoint statistics, operation results). Plain objects and arrays are copied.
 */
export function maskDeep<T>(value: T, knownSecrets: readonly string[] = []): T {
  if (typeof value === 'string') return maskText(value, knownSecrets) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskDeep(v, knownSecrets)) as T;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return Object.fromEntries(entries.map(([k, v]) => [k, isSensitiveKey(k) && typeof v === 'string' ? MASK : maskDeep(v, knownSecrets)])) as T;
  }
  return value;
}
