/**
 * Dispatcher configuration: the options are declared in
 * config/dispatcher-options-table.ts (env var, flag, type, default, range),
 * with each resource provider's dispatcher options (flags that give its keys a
 * dispatcher-wide default) collected from the provider registry;
 * `compileDispatcherOptions` takes each from the caller, else its environment
 * variable, else its default, and range-checks every one. A bad value fails at
 * startup with a ConfigError naming the option or env var and what it must be.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import {
  closestKey, compileOptions, ConfigError, configKeyDefaults, DISPATCHER_OPTIONS, JOB_OPTIONS, MIN_REMOTE_TOKEN_LENGTH, readOption, type GivenOptions,
} from '../config/index.js';
import { isS3Path, joinS3, normalizeS3Path } from '../runtime/checkpoint/s3-location.js';
import { compileJobConfig, knownConfigurationKeys } from '../jobmaster/job-config.js';
import { resourceProvider, withProviderDispatcherOptions } from '../resourcemanager/index.js';

/**
 * The dispatcher's options with every registered provider's dispatcher options (e.g. a master
 * flag), in the order of `ebbflow dispatcher --help`.
 */
export const DISPATCHER_OPTION_TABLE = withProviderDispatcherOptions(DISPATCHER_OPTIONS);

/**
 * Every option is optional; see config/dispatcher-options-table.ts for env vars, defaults and meaning.
 * The providers' dispatcher options are given under their property names too (e.g. `mesosMaster`).
 */
export type DispatcherOptions = GivenOptions<typeof DISPATCHER_OPTIONS> & { readonly [providerOption: string]: unknown };

type Compiled = { [K in keyof typeof DISPATCHER_OPTIONS]-?: NonNullable<GivenOptions<typeof DISPATCHER_OPTIONS>[K]> };
export type CompiledDispatcherOptions = Omit<Compiled, 'token' | 'haStorageDir' | 'restAdvertisedUrl'> & {
  token: string | undefined;
  haStorageDir: string | undefined;
  /**
   * HA storage on S3 (`high-availability.storageDir` an `s3://` URL): `<storageDir>/<cluster-id>`,
   * normalised. Bundles and default checkpoints and savepoints live there; the data directory stays
   * this dispatcher's own (job logs, job spec files, its cache of the bundles).
   */
  haStorage: string | undefined;
  restAdvertisedUrl: string | undefined;
  /** The keys the providers' dispatcher options give a default to, with their values (`mesos.master` ← `--mesos-master`). */
  providerDefaults: Record<string, unknown>;
  /** The providers' dispatcher options, by property name. */
  readonly [providerOption: string]: unknown;
};

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** The dispatcher-wide configuration every job starts from: provider flags that default a key, then `-D`. */
export function dispatcherConfiguration(c: Pick<CompiledDispatcherOptions, 'providerDefaults' | 'defaultConfiguration'>): Record<string, unknown> {
  return { ...c.providerDefaults, ...c.defaultConfiguration };
}

/**
 * Options given as `-D <flinkKey>=value` (e.g. `-D high-availability.type=redis`) become the options
 * they name, unless the option itself is given too; they are not job configuration.
 */
function withFlinkKeys(o: DispatcherOptions): DispatcherOptions {
  const conf = o.defaultConfiguration;
  if (!conf) return o;
  const out: Record<string, unknown> = { ...o };
  const rest = { ...conf };
  for (const [name, d] of Object.entries(DISPATCHER_OPTION_TABLE)) {
    if (!d.flinkKey || !(d.flinkKey in rest)) continue;
    out[name] ??= readOption(d, rest[d.flinkKey], `-D ${d.flinkKey}`);
    delete rest[d.flinkKey];
  }
  out.defaultConfiguration = rest;
  return out as DispatcherOptions;
}

/**
 * HA's settings must fit together; with HA the data directory is the shared `<storageDir>/<cluster-id>`,
 * or, with the storage on S3, stays this dispatcher's own and `haStorage` is `<storageDir>/<cluster-id>`.
 */
function checkHa(c: CompiledDispatcherOptions): void {
  c.haStorage = undefined;
  if (c.haType !== 'redis') return;
  const o = DISPATCHER_OPTIONS;
  if (!c.haStorageDir) {
    throw new ConfigError('EBBFLOW_CONFIG_MISSING', o.haStorageDir.env!, `high-availability.type redis needs high-availability.storageDir (${o.haStorageDir.env}, --ha-storage-dir): a directory every dispatcher reaches, for bundles and job specs`);
  }
  if (c.haRenewDeadlineMs >= c.haLeaseDurationMs) {
    throw new ConfigError('EBBFLOW_CONFIG_RANGE', o.haRenewDeadlineMs.env!, `${o.haRenewDeadlineMs.env} (${c.haRenewDeadlineMs} ms) must be shorter than ${o.haLeaseDurationMs.env} (${c.haLeaseDurationMs} ms): a leader must stop before its lease can run out`);
  }
  if (c.haRetryPeriodMs >= c.haRenewDeadlineMs) {
    throw new ConfigError('EBBFLOW_CONFIG_RANGE', o.haRetryPeriodMs.env!, `${o.haRetryPeriodMs.env} (${c.haRetryPeriodMs} ms) must be shorter than ${o.haRenewDeadlineMs.env} (${c.haRenewDeadlineMs} ms): the leader renews several times within the deadline`);
  }
  if (!c.restAdvertisedUrl && (c.host === '0.0.0.0' || c.host === '::')) {
    throw new ConfigError('EBBFLOW_CONFIG_MISSING', o.restAdvertisedUrl.env!, `bound to every address (${c.host}), a dispatcher with HA needs ${o.restAdvertisedUrl.env} (--rest-advertised-url): the URL the other dispatchers forward writes to`);
  }
  if (isS3Path(c.haStorageDir)) {
    let base: string;
    try {
      base = normalizeS3Path(c.haStorageDir);
    } catch (err) {
      throw new ConfigError('EBBFLOW_CONFIG_INVALID', o.haStorageDir.env!, `${o.haStorageDir.env} (high-availability.storageDir): ${(err as Error).message}`);
    }
    c.haStorage = joinS3(base, c.haClusterId);
    // Checkpoints and savepoints go to the HA storage unless -D names other directories (a job's own keys still win).
    c.defaultConfiguration = {
      [JOB_OPTIONS.checkpointDir.key]: joinS3(c.haStorage, 'checkpoints'),
      [JOB_OPTIONS.savepointDir.key]: joinS3(c.haStorage, 'savepoints'),
      ...c.defaultConfiguration,
    };
    return;
  }
  c.dataDir = resolve(c.haStorageDir, c.haClusterId);
}

export function compileDispatcherOptions(o: DispatcherOptions = {}, env: NodeJS.ProcessEnv = process.env): CompiledDispatcherOptions {
  const c = compileOptions(DISPATCHER_OPTION_TABLE, withFlinkKeys(o), env) as Record<string, unknown> as CompiledDispatcherOptions;
  c.providerDefaults = configKeyDefaults(DISPATCHER_OPTION_TABLE, c);
  c.dataDir = resolve(c.dataDir);
  checkHa(c);
  // An empty token is no token.
  c.token ||= undefined;
  const provider = resourceProvider(c.resourceManager);
  // Unlike a run request's keys, an unknown -D key is refused: whoever starts the dispatcher typed it.
  const known = knownConfigurationKeys();
  const unknown = Object.keys(c.defaultConfiguration).find((k) => !known.includes(k));
  if (unknown !== undefined) {
    const near = closestKey(unknown, known);
    throw new ConfigError('EBBFLOW_CONFIG_UNKNOWN_KEY', unknown, `default job configuration (-D): unknown configuration key "${unknown}"${near ? `; did you mean "${near}"?` : ''}`);
  }
  try {
    compileJobConfig(c.defaultConfiguration);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(err.code, err.setting, `default job configuration: ${err.message}`, { cause: err });
  }
  provider.checkRunnable(dispatcherConfiguration(c));
  checkToken(c.host, c.token);
  return c;
}

/**
 * The token rules: a token that is set must not be whitespace only; beyond loopback one is
 * required, of at least MIN_REMOTE_TOKEN_LENGTH characters without its surrounding whitespace
 * (uploading a bundle runs its code, so the token is all that stands between the network and a
 * shell). The messages never quote the token.
 */
export function checkToken(host: string, token: string | undefined): void {
  const setting = DISPATCHER_OPTIONS.token.env!;
  const fix = `Set ${setting} (or --token)`;
  const length = token?.trim().length ?? 0;
  if (token !== undefined && length === 0) {
    throw new ConfigError('EBBFLOW_CONFIG_INVALID', setting, `${setting} (--token) is whitespace only: a token that is set must be meaningful. ${fix} to at least ${MIN_REMOTE_TOKEN_LENGTH} characters, or leave it unset`);
  }
  if (isLoopback(host)) return;
  if (token === undefined) {
    throw new ConfigError('EBBFLOW_CONFIG_MISSING', setting,
      `refusing to listen on ${host} without a token: uploading a bundle runs its code. ${fix} to at least ${MIN_REMOTE_TOKEN_LENGTH} characters, or bind 127.0.0.1`);
  }
  if (length < MIN_REMOTE_TOKEN_LENGTH) {
    throw new ConfigError('EBBFLOW_CONFIG_RANGE', setting,
      `refusing to listen on ${host} with a token of ${length} character(s): beyond loopback ${setting} (--token) must have at least ${MIN_REMOTE_TOKEN_LENGTH} (not counting surrounding whitespace), as uploading a bundle runs its code. ${fix} to a longer one (e.g. \`openssl rand -hex 16\`), or bind 127.0.0.1`);
  }
}
