/**
 * The option tables of the docs, generated from the declarations: the per-job
 * keys, the dispatcher's options (with every resource provider's dispatcher
 * options), and each resource provider's keys (a provider's table also lists
 * the address keys). scripts/gen-config-docs.mjs writes them into the README
 * (`npm run gen:config-docs`) and `npm test` checks they are current
 * (`npm run check:config-docs`). Every function takes the providers as an
 * optional parameter (the registry by default).
 */
import { ADDRESS_OPTIONS, DISPATCHER_OPTIONS, JOB_OPTIONS, renderDispatcherTable, renderKeyTable, updateBlocks, type OptionDecl } from '../config/index.js';
import { RESOURCE_PROVIDERS, withProviderDispatcherOptions, type ResourceProvider } from '../resourcemanager/index.js';

type Providers = readonly ResourceProvider[];

/** Flags and env vars that give a key its dispatcher-wide default (`mesos.master` ← `--mesos-master`, `EBBFLOW_MESOS_MASTER`). */
function keyAliases(providers: Providers): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of Object.values(withProviderDispatcherOptions(DISPATCHER_OPTIONS, providers)) as OptionDecl[]) {
    if (!d.configKey) continue;
    const long = d.cli?.flags.split(/[ ,]+/).find((f) => f.startsWith('--'));
    out[d.configKey] = [...(long ? [long] : []), ...(d.env ? [d.env] : [])];
  }
  return out;
}

/** Every generated table, by block name: `job`, `dispatcher`, and one per provider with keys (its name). */
export function configDocBlocks(providers: Providers = RESOURCE_PROVIDERS): Record<string, string> {
  const blocks: Record<string, string> = {
    job: renderKeyTable(Object.values(JOB_OPTIONS)),
    dispatcher: renderDispatcherTable(Object.values(withProviderDispatcherOptions(DISPATCHER_OPTIONS, providers))),
  };
  for (const p of providers) {
    if (p.options.length) blocks[p.name] = renderKeyTable([...p.options, ...Object.values(ADDRESS_OPTIONS)], keyAliases(providers));
  }
  return blocks;
}

/** The files with generated tables, and which blocks each holds: the README has every block. */
export function configDocFiles(providers: Providers = RESOURCE_PROVIDERS): Record<string, string[]> {
  return { 'README.md': ['job', 'dispatcher', ...providers.filter((p) => p.options.length).map((p) => p.name)] };
}

/** The files with generated tables of the registered providers, and which blocks each holds. */
export const CONFIG_DOC_FILES: Readonly<Record<string, readonly string[]>> = configDocFiles();

/** `markdown` with its blocks regenerated, and the names of those that were stale. */
export function updateConfigDocs(markdown: string, names: readonly string[], providers: Providers = RESOURCE_PROVIDERS): { text: string; changed: string[] } {
  const all = configDocBlocks(providers);
  return updateBlocks(markdown, Object.fromEntries(names.map((n) => [n, all[n] ?? ''])));
}
