/**
 * Helpers of the bundle store (bundle-store.ts): the archive entry check every upload passes, the
 * removal of a failed upload's leftovers, and, with HA storage on S3, bringing a bundle into this
 * dispatcher's cache directory from S3 (the same checks as at upload, the local sidecar last).
 */
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { resolveEntryModule } from '../runtime/bundle-loader.js';
import { BundleLoadError } from '../runtime/errors.js';
import { BundleRejectedError, MAX_ARCHIVE_ENTRIES, type ArchiveFormat } from './archive.js';
import { extractArchiveIsolated } from './archive-isolation.js';
import type { RemoteBundles } from './bundle-remote.js';
import type { StoredBundle } from './bundle-store.js';

/** The archive's entry module (relative path, `/`-separated), or a 400 saying what is missing. */
export async function archiveEntry(extracted: string): Promise<string> {
  let full: string;
  try {
    full = resolveEntryModule(extracted);
  } catch (err) {
    if (err instanceof BundleLoadError) throw new BundleRejectedError(`invalid bundle archive: ${err.message}`, 400, { cause: err });
    throw err;
  }
  const st = await lstat(full);
  const rel = relative(extracted, full);
  if (!st.isFile()) throw new BundleRejectedError(`invalid bundle archive: entry module "${rel}" is not a file`);
  return rel.split(sep).join('/');
}

/**
 * Removes what a failed upload left. The upload's own error is what the client sees; a path that
 * cannot be removed (permissions, a busy file) is reported as a process warning naming it.
 */
export async function removeLeftovers(paths: string[]): Promise<void> {
  await Promise.all(paths.map((p) => rm(p, { recursive: true, force: true }).catch((err: Error) => {
    process.emitWarning(`could not remove ${p} after a failed upload: ${err.message}; remove it by hand`, { code: 'EBBFLOW_UPLOAD_LEFTOVER' });
  })));
}

export interface CacheLayout {
  /** The cache directory (`<dataDir>/jars`). */
  dir: string;
  /** Its `.tmp/`, where a fetch is staged. */
  tmpDir: string;
  /** The upload limit; an archive may expand to 4× (or 4× its own size, should the limit have been lowered since). */
  maxBytes: number;
  /** An archive's format (from its name). */
  format: ArchiveFormat | undefined;
}

/**
 * Fetches bundle `b` from S3 into the cache: the file, for an archive its extracted `.d/` (checked as
 * at upload, and its entry must be the sidecar's), then the local sidecar that marks the entry complete.
 */
export async function fetchIntoCache(remote: RemoteBundles, b: StoredBundle, c: CacheLayout): Promise<void> {
  await mkdir(c.tmpDir, { recursive: true, mode: 0o700 });
  const tmpBase = join(c.tmpDir, randomUUID());
  const file = join(c.dir, b.id);
  try {
    const size = await remote.fetchFile(b.id, tmpBase);
    if (size !== b.size) throw new Error(`bundle ${b.location} has ${size} bytes on S3, its sidecar says ${b.size}`);
    if (b.kind === 'archive') {
      if (!c.format) throw new Error(`bundle ${b.location}: "${b.name}" is not an archive name`);
      await mkdir(`${tmpBase}.d`, { mode: 0o700 });
      await extractArchiveIsolated(c.format, tmpBase, `${tmpBase}.d`, { maxTotalBytes: 4 * Math.max(c.maxBytes, b.size), maxEntries: MAX_ARCHIVE_ENTRIES });
      const entry = await archiveEntry(`${tmpBase}.d`);
      if (entry !== b.entry) throw new Error(`bundle ${b.location}: its entry module is ${entry}, its sidecar says ${b.entry}`);
      await rm(`${file}.d`, { recursive: true, force: true });
      await rename(`${tmpBase}.d`, `${file}.d`);
    }
    await rename(tmpBase, file);
    const sidecar = { name: b.name, uploaded: b.uploaded, size: b.size, kind: b.kind, entry: b.entry ?? null };
    await writeFile(`${tmpBase}.json`, JSON.stringify(sidecar), { flag: 'wx', mode: 0o600 });
    await rename(`${tmpBase}.json`, `${file}.json`);
  } catch (err) {
    await removeLeftovers([tmpBase, `${tmpBase}.d`, `${tmpBase}.json`]);
    throw err;
  }
}
