/**
 * The option tables of the docs, generated from the declarations: the per-job
 * keys, the dispatcher's options, and each resource provider's keys (the Mesos
 * table also lists the address keys). scripts/gen-config-docs.mjs writes them
 * into the README (`npm run gen:config-docs`) and `npm test` checks they are
 * current (`npm run check:config-docs`).
 */
import { ADDRESS_OPTIONS, DISPATCHER_OPTIONS, JOB_OPTIONS, renderDispatcherTable, renderKeyTable, updateBlocks, type OptionDecl } from '../config/index.js';
import { RESOURCE_PROVIDERS } from '../resourcemanager/index.js';

/** Flags and env vars that give a key its dispatcher-wide default (`mesos.master` ← `--mesos-master`, `EBBFLOW_MESOS_MASTER`). */
function keyAliases(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of Object.values(DISPATCHER_OPTIONS) as OptionDecl[]) {
    if (!d.configKey) continue;
    const long = d.cli?.flags.split(/[ ,]+/).find((f) => f.startsWith('--'));
    out[d.configKey] = [...(long ? [long] : []), ...(d.env ? [d.env] : [])];
  }
  return out;
}

/** Every generated table, by block name. */
export function configDocBlocks(): Record<string, string> {
  const blocks: Record<string, string> = {
    job: renderKeyTable(Object.values(JOB_OPTIONS)),
    dispatcher: renderDispatcherTable(Object.values(DISPATCHER_OPTIONS)),
  };
  for (const p of RESOURCE_PROVIDERS) {
    if (p.options.length) blocks[p.name] = renderKeyTable([...p.options, ...Object.values(ADDRESS_OPTIONS)], keyAliases());
  }
  return blocks;
}

/** The files with generated tables, and which blocks each holds. */
export const CONFIG_DOC_FILES: Readonly<Record<string, readonly string[]>> = {
  'README.md': ['job', 'dispatcher', 'mesos'],
};

/** `markdown` with its blocks regenerated, and the names of those that were stale. */
export function updateConfigDocs(markdown: string, names: readonly string[]): { text: string; changed: string[] } {
  const all = configDocBlocks();
  return updateBlocks(markdown, Object.fromEntries(names.map((n) => [n, all[n] ?? ''])));
}
