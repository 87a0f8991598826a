/**
 * Loads a job bundle's entry module and returns its job function. Runs only in
 * job and TaskManager processes, never in the dispatcher.
 *
 * A bundle is either one `.js`/`.mjs` ES module, or a directory extracted from a
 * `.zip`/`.jar`/`.tgz` archive holding `ebbflow.json` (`{"entry": "job.mjs"}`) or a
 * package.json whose `main` names the entry.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobFunction } from '../sdk/types.js';
import { BundleLoadError, describeError } from './errors.js';

export const MANIFEST_NAME = 'ebbflow.json';

/** Resolves the entry module file of a bundle path (a module file or an extracted directory). */
export function resolveEntryModule(bundlePath: string): string {
  if (!existsSync(bundlePath)) throw new BundleLoadError(`bundle not found at ${bundlePath}`);
  if (!statSync(bundlePath).isDirectory()) return bundlePath;
  let entry: unknown;
  const manifest = join(bundlePath, MANIFEST_NAME);
  const pkg = join(bundlePath, 'package.json');
  try {
    if (existsSync(manifest)) entry = JSON.parse(readFileSync(manifest, 'utf8')).entry;
    else if (existsSync(pkg)) entry = JSON.parse(readFileSync(pkg, 'utf8')).main;
    else throw new BundleLoadError(`archive has no ${MANIFEST_NAME} (with {"entry": "<module>"}) and no package.json "main"`);
  } catch (err) {
    if (err instanceof BundleLoadError) throw err;
    throw new BundleLoadError(`cannot read the bundle manifest: ${(err as Error).message}`);
  }
  if (typeof entry !== 'string' || !entry) throw new BundleLoadError(`the bundle manifest names no entry module ("entry" in ${MANIFEST_NAME})`);
  const full = resolve(bundlePath, entry);
  if (!full.startsWith(resolve(bundlePath) + sep)) throw new BundleLoadError(`entry "${entry}" points outside the bundle`);
  if (!existsSync(full)) throw new BundleLoadError(`entry module "${entry}" named by the manifest does not exist in the bundle`);
  return full;
}

/** Imports the bundle and returns the export named `entryClass` (default: the default export). */
export async function loadJobFunction(bundlePath: string, entryClass?: string): Promise<JobFunction> {
  const file = resolveEntryModule(bundlePath);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new BundleLoadError(`the bundle's entry module threw while loading: ${describeError(err)}`, { cause: err });
  }
  const exportName = entryClass && entryClass.length > 0 ? entryClass : 'default';
  const fn = mod[exportName];
  if (fn === undefined) {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new BundleLoadError(`the bundle has no export named "${exportName}"${names.length ? ` (function exports: ${names.join(', ')})` : ''}`);
  }
  if (typeof fn !== 'function') throw new BundleLoadError(`export "${exportName}" is a ${typeof fn}, not a job function (env, args) => void`);
  return fn as JobFunction;
}
