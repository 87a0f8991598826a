/**
 * Where ebbflow's own files are. Process entry points are always the compiled
 * ones under dist/, also when the caller runs from TypeScript sources (vitest).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installation's root. A TaskManager bundled into one module and fetched into a Mesos sandbox
 * has no installation around it: there the module's own directory stands in (nothing else is looked up).
 */
function findRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'openapi.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) return start;
    dir = up;
  }
}

export const PROJECT_ROOT = findRoot();

/** Absolute path of a compiled file, e.g. distFile('jobmaster/main.js'). */
export function distFile(rel: string): string {
  return join(PROJECT_ROOT, 'dist', rel);
}

/**
 * The file to start a process from: the entry bundled into one module by the build
 * (`<entry>.bundle.mjs`, scripts/post-build.mjs), which starts in a fraction of the time the
 * hundreds of modules behind the entry take to resolve and compile; the entry itself when there is
 * no bundle, or when the bundle is older than the entry (a build by `tsc` alone after a full one).
 */
export function processEntry(rel: string): string {
  const entry = distFile(rel);
  const bundled = distFile(rel.replace(/\.js$/, '.bundle.mjs'));
  try {
    if (statSync(bundled).mtimeMs >= statSync(entry).mtimeMs) return bundled;
  } catch { /* no bundle, or no entry: the entry (its absence is reported by whoever starts it) */ }
  return entry;
}
