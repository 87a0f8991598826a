/**
 * Dispatcher configuration: the options are declared in
 * config/dispatcher-options-table.ts (env var, flag, type, default, range);
 * `compileDispatcherOptions` takes each from the caller, else its environment
 * variable, else its default, and range-checks every one. A bad value fails at
 * startup with a ConfigError naming the option or env var and what it must be.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import {
  closestKey, compileOptions, ConfigError, configKeyDefaults, DISPATCHER_OPTIONS, type GivenOptions,
} from '../config/index.js';
import { compileJobConfig, knownConfigurationKeys } from '../jobmaster/job-config.js';
import { resourceProvider } from '../resourcemanager/index.js';

/** Every option is optional; see config/dispatcher-options-table.ts for env vars, defaults and meaning. */
export type DispatcherOptions = GivenOptions<typeof DISPATCHER_OPTIONS>;

type Compiled = { [K in keyof typeof DISPATCHER_OPTIONS]-?: NonNullable<DispatcherOptions[K]> };
export type CompiledDispatcherOptions = Omit<Compiled, 'token' | 'mesosMaster'> & { token: string | undefined; mesosMaster: string | undefined };

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** The dispatcher-wide configuration every job starts from: flags that default a key (--mesos-master), then `-D`. */
export function dispatcherConfiguration(c: CompiledDispatcherOptions): Record<string, unknown> {
  return { ...configKeyDefaults(DISPATCHER_OPTIONS, c), ...c.defaultConfiguration };
}

export function compileDispatcherOptions(o: DispatcherOptions = {}, env: NodeJS.ProcessEnv = process.env): CompiledDispatcherOptions {
  const c = compileOptions(DISPATCHER_OPTIONS, o, env) as CompiledDispatcherOptions;
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
  if (!isLoopback(c.host) && !c.token) {
    throw new ConfigError('EBBFLOW_CONFIG_MISSING', 'EBBFLOW_TOKEN',
      `refusing to listen on ${c.host} without a token: uploading a bundle runs its code. Set EBBFLOW_TOKEN (or --token), or bind 127.0.0.1`);
  }
  return c;
}
