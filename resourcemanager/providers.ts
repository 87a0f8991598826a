/**
 * The registry of resource providers: one line per provider. The dispatcher's
 * `--resource-manager` names one; the keys of all of them are known keys.
 */
import { ConfigError } from '../config/index.js';
import { localProvider } from './local/local-provider.js';
import { mesosProvider } from './mesos/mesos-provider.js';
import type { ResourceProvider } from './provider.js';

/** Every registered provider. */
export const RESOURCE_PROVIDERS: readonly ResourceProvider[] = [
  localProvider,
  mesosProvider,
];

/** The provider registered under `name`; a ConfigError naming the setting that selects it otherwise. */
export function resourceProvider(name: string, setting = '--resource-manager (env EBBFLOW_RESOURCE_MANAGER)'): ResourceProvider {
  const p = RESOURCE_PROVIDERS.find((r) => r.name === name);
  if (!p) {
    throw new ConfigError('EBBFLOW_CONFIG_UNKNOWN_PROVIDER', setting,
      `${setting} must name a resource provider: ${RESOURCE_PROVIDERS.map((r) => r.name).join(' or ')}, got ${JSON.stringify(name)}`);
  }
  return p;
}
