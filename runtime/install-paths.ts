/**
 * Where ebbflow's own files are. Process entry points are always the compiled
 * ones under dist/, also when the caller runs from TypeScript sources (vitest).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'openapi.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the ebbflow installation (package.json beside openapi.yaml)');
    dir = up;
  }
}

export const PROJECT_ROOT = findRoot();

/** Absolute path of a compiled file, e.g. distFile('jobmaster/main.js'). */
export function distFile(rel: string): string {
  return join(PROJECT_ROOT, 'dist', rel);
}
