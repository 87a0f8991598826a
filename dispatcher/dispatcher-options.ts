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
  closestKey, compileOptions, ConfigError, configKeyDefaults, DISPATCHER_OPTIONS, MIN_REMOTE_TOKEN_LENGTH, type GivenOptions,
} from '../config/index.js';
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
export type CompiledDispatcherOptions = Omit<Compiled, 'token'> & {
  token: string | undefined;
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

export function compileDispatcherOptions(o: DispatcherOptions = {}, env: NodeJS.ProcessEnv = process.env): CompiledDispatcherOptions {
  const c = compileOptions(DISPATCHER_OPTION_TABLE, o, env) as Record<string, unknown> as CompiledDispatcherOptions;
  c.providerDefaults = configKeyDefaults(DISPATCHER_OPTION_TABLE, c);
  c.dataDir = resolve(c.dataDir);
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
