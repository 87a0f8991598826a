/**
 * The registry of resource providers: one line per provider. The dispatcher's
 * `--resource-manager` names one; the keys of all of them are known keys, and
 * the dispatcher options of all of them (flags that default their keys) are
 * dispatcher options. The collecting functions take the providers as an
 * optional parameter (the registry by default) so a test can pass another.
 */
import { ConfigError, DISPATCHER_OPTIONS, type OptionDecl, type OptionTable } from '../config/index.js';
import { localProvider } from './local/index.js';
import { mesosProvider } from './mesos/mesos-provider.js';
import type { ResourceProvider } from './provider.js';

/** Every registered provider. */
export const RESOURCE_PROVIDERS: readonly ResourceProvider[] = [
  localProvider,
  mesosProvider,
];

const selector = DISPATCHER_OPTIONS.resourceManager;
/** How error messages name the setting that selects the provider: `--resource-manager (env EBBFLOW_RESOURCE_MANAGER)`. */
const SELECTOR_SETTING = `${selector.cli!.flags.split(' ')[0]} (env ${selector.env})`;

/** The provider registered under `name`; a ConfigError naming the setting that selects it otherwise. */
export function resourceProvider(name: string, setting = SELECTOR_SETTING, providers: readonly ResourceProvider[] = RESOURCE_PROVIDERS): ResourceProvider {
  const p = providers.find((r) => r.name === name);
  if (!p) {
    throw new ConfigError('EBBFLOW_CONFIG_UNKNOWN_PROVIDER', setting,
      `${setting} must name a resource provider: ${providers.map((r) => r.name).join(' or ')}, got ${JSON.stringify(name)}`);
  }
  return p;
}

/** The configuration keys of every provider. */
export function providerKeyOptions(providers: readonly ResourceProvider[] = RESOURCE_PROVIDERS): OptionDecl[] {
  return providers.flatMap((p) => p.options);
}

/**
 * `table` (the dispatcher's options) with every provider's dispatcher options inserted after the
 * option that selects the provider, in registry order: the order of `ebbflow dispatcher --help` and
 * the README's dispatcher table.
 */
export function withProviderDispatcherOptions<T extends OptionTable>(table: T, providers: readonly ResourceProvider[] = RESOURCE_PROVIDERS): T & OptionTable {
  const out: OptionTable = {};
  for (const [name, d] of Object.entries(table)) {
    out[name] = d;
    if (d !== selector) continue;
    for (const p of providers) {
      for (const [pname, pd] of Object.entries(p.dispatcherOptions ?? {})) {
        if (pname in table || pname in out) throw new Error(`provider ${p.name}: dispatcher option ${pname} is declared twice`);
        out[pname] = pd;
      }
    }
  }
  return out as T & OptionTable;
}
