/**
 * The dispatcher's job-bundle store, the back end of `POST /jars/upload` (Flink-compatible ids
 * `<32 hex>_<file name>`). Layout under `dir`:
 *   <id>          the uploaded file (a .js/.mjs module, or the original archive)
 *   <id>.d/       archives only: the extracted bundle, which is what a job process loads
 *   <id>.json     sidecar {name, uploaded, size, kind, entry}, written last; only ids with one exist
 *   .tmp/         uploads in progress; emptied by init()
 * Directories are made 0700 and files 0600 (a bundle is code and may carry credentials; other
 * users of the host have no business reading it).
 * The store validates archives (safe names, manifest and entry present) but never imports or
 * runs the bundle's code.
 *
 * With `remote` (HA storage on S3, bundle-remote.ts) the shared copy is on S3 and `dir` is this
 * dispatcher's local cache of it: an upload is checked on its local file as always, written through
 * to S3 (file, then sidecar), then placed in the cache. Listing, quota, get and delete go by S3;
 * `materialise` brings a bundle this dispatcher has not seen into the cache (fetched, extracted and
 * checked again) before a job process or a plan loads it.
 *
 * Ids, accepted names and the sidecar's shape are in bundle-names.ts, the quota in bundle-quota.ts,
 * the S3 copy in bundle-remote.ts and the cache's fetch in bundle-cache.ts.
 */
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { defaultOf, DISPATCHER_OPTIONS } from '../config/index.js';
import { BundleRejectedError, MAX_ARCHIVE_ENTRIES } from './archive.js';
import { extractArchiveIsolated } from './archive-isolation.js';
import type { RemoteBundles } from './bundle-remote.js';
import { archiveEntry, fetchIntoCache, removeLeftovers } from './bundle-cache.js';
import { ACCEPTED_EXTENSIONS, BUNDLE_ID_PATTERN, classifyBundleName, isSidecar, sanitizeBundleName, toStoredBundle, type Sidecar } from './bundle-names.js';
import { UploadQuota } from './bundle-quota.js';

export { BundleRejectedError, extractArchive, extractTarGz, extractZip, MAX_ARCHIVE_ENTRIES, unsafeEntryReason } from './archive.js';
export type { ArchiveFormat, ExtractLimits } from './archive.js';
export { ACCEPTED_EXTENSIONS, BUNDLE_ID_PATTERN, classifyBundleName, sanitizeBundleName } from './bundle-names.js';

export interface BundleStoreOptions {
  /** Directory holding the bundles, e.g. `<dataDir>/jars`. */
  dir: string;
  /** Largest accepted upload in bytes (default: the maxUploadBytes option's); archives may expand to 4× this. */
  maxBytes?: number;
  /** Bundles stored at most, uploads in progress included (507 beyond). @default unlimited */
  maxCount?: number;
  /** Uploaded bytes of all bundles together, uploads in progress included (507 beyond). @default unlimited */
  maxTotalBytes?: number;
  /**
   * HA: the directory is shared by several dispatchers, so `init` removes only leftovers untouched
   * for `SHARED_LEFTOVER_AGE_MS` (a younger one could be another dispatcher's upload in progress). @default false
   */
  shared?: boolean;
  /** HA storage on S3: the shared copy; `dir` is then a local cache (not shared). */
  remote?: RemoteBundles;
}

export interface StoredBundle {
  id: string;
  /** The uploaded file's name (without any directory part). */
  name: string;
  /** Upload time, epoch ms. */
  uploaded: number;
  /** Size of the uploaded file in bytes. */
  size: number;
  kind: 'module' | 'archive';
  /** What the job process loads: the module file itself, or the extracted directory of an archive. */
  bundlePath: string;
  /** Archives: the entry module named by the manifest, relative to bundlePath. */
  entry: string | undefined;
  /**
   * HA storage on S3: the shared `s3://…/jars/<id>` the job record names, which any leader brings into
   * its own cache (`materialise`); bundlePath is this dispatcher's cache, present once materialised.
   */
  location?: string;
}

const TMP = '.tmp';
/**
 * In a shared (HA) directory, leftovers are removed once untouched for this long: far beyond the
 * longest an upload may take to arrive (the request timeout, 300 s by default) and be placed.
 */
export const SHARED_LEFTOVER_AGE_MS = 6 * 3600_000;

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

export class BundleStore {
  readonly dir: string;
  readonly maxBytes: number;
  /** Count and total bytes of the stored bundles (0: no limit). */
  readonly quota: UploadQuota;
  private readonly tmpDir: string;
  private readonly shared: boolean;
  private readonly remote: RemoteBundles | undefined;
  /** Bundles being fetched into the cache, by id: concurrent starts share one download. */
  private readonly fetching = new Map<string, Promise<void>>();
  private lastUploaded = 0;

  constructor(opts: BundleStoreOptions) {
    this.dir = resolve(opts.dir);
    this.maxBytes = opts.maxBytes !== undefined && opts.maxBytes > 0 ? opts.maxBytes : defaultOf(DISPATCHER_OPTIONS.maxUploadBytes)!;
    this.tmpDir = join(this.dir, TMP);
    this.shared = opts.shared ?? false;
    this.remote = opts.remote;
    this.quota = new UploadQuota(opts.maxCount ?? 0, opts.maxTotalBytes ?? 0);
  }

  /**
   * Creates the directories and removes what a crashed run left: temp files and bundles without a
   * sidecar. Call once at startup, before any save().
   */
  async init(now = Date.now()): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    // Shared (HA): another dispatcher may be writing some of these right now; only what has not been
    // touched for far longer than any upload may take is a leftover (a dispatcher killed mid-upload).
    const stale = async (path: string) => !this.shared || now - (await lstat(path)).mtimeMs > SHARED_LEFTOVER_AGE_MS;
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      if (await stale(path).catch(() => false)) await rm(path, { recursive: true, force: true });
    }
    const names = new Set(await readdir(this.dir));
    for (const name of names) {
      const id = name.endsWith('.d') ? name.slice(0, -2) : name;
      if (BUNDLE_ID_PATTERN.test(id) && !id.endsWith('.json') && !names.has(`${id}.json`) && await stale(join(this.dir, name)).catch(() => false)) {
        await rm(join(this.dir, name), { recursive: true, force: true });
      }
    }
  }

  async save(originalName: string, data: NodeJS.ReadableStream | AsyncIterable<Uint8Array>): Promise<StoredBundle> {
    const baseName = originalName.split(/[\\/]/).pop() ?? '';
    const cls = classifyBundleName(baseName);
    if (!cls) {
      throw new BundleRejectedError(`unsupported bundle file "${baseName}": accepted extensions are ${ACCEPTED_EXTENSIONS.join(', ')}`);
    }
    const id = `${randomUUID().replace(/-/g, '')}_${sanitizeBundleName(baseName, cls.ext)}`;
    const upload = Symbol(id);
    this.quota.begin(upload); // before the first await: concurrent uploads see each other
    try {
      return await this.saveCounted(upload, id, baseName, cls, data);
    } finally {
      this.quota.end(upload);
    }
  }

  private async saveCounted(upload: symbol, id: string, baseName: string, cls: NonNullable<ReturnType<typeof classifyBundleName>>,
    data: NodeJS.ReadableStream | AsyncIterable<Uint8Array>): Promise<StoredBundle> {
    const quota = await this.quota.check(upload, () => this.list());
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    const tmpBase = join(this.tmpDir, randomUUID());
    const tmpFile = tmpBase;
    const tmpDirD = `${tmpBase}.d`;
    const finalFile = join(this.dir, id);
    const finalDir = `${finalFile}.d`;
    let placed = false;
    try {
      const size = await this.receive(data, tmpFile, (n) => quota(n));
      let entry: string | undefined;
      if (cls.kind === 'archive') {
        await mkdir(tmpDirD, { mode: 0o700 });
        // Off the event loop, bounded in time and memory: a hostile archive cannot stall the API.
        await extractArchiveIsolated(cls.format!, tmpFile, tmpDirD, { maxTotalBytes: 4 * this.maxBytes, maxEntries: MAX_ARCHIVE_ENTRIES });
        entry = await archiveEntry(tmpDirD);
      }
      const uploaded = (this.lastUploaded = Math.max(Date.now(), this.lastUploaded + 1)); // strictly newer: stable list order
      const sidecar: Sidecar = { name: baseName, uploaded, size, kind: cls.kind, entry: entry ?? null };
      if (this.remote) await this.remote.putBundle(id, tmpFile, sidecar);
      placed = true;
      if (cls.kind === 'archive') await rename(tmpDirD, finalDir);
      await rename(tmpFile, finalFile);
      const tmpSidecar = `${tmpBase}.json`;
      await writeFile(tmpSidecar, JSON.stringify(sidecar), { flag: 'wx', mode: 0o600 });
      await rename(tmpSidecar, `${finalFile}.json`);
      return this.toStored(id, sidecar);
    } catch (err) {
      await removeLeftovers([tmpFile, tmpDirD, `${tmpBase}.json`, ...(placed ? [finalFile, finalDir] : [])]);
      throw err;
    }
  }

  /** Newest first. */
  async list(): Promise<StoredBundle[]> {
    if (this.remote) return this.sorted(await Promise.all((await this.remote.ids()).filter((id) => BUNDLE_ID_PATTERN.test(id)).map((id) => this.get(id))));
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).filter((id) => BUNDLE_ID_PATTERN.test(id));
    return this.sorted(await Promise.all(ids.map((id) => this.get(id))));
  }

  private sorted(found: Array<StoredBundle | undefined>): StoredBundle[] {
    return found
      .filter((b): b is StoredBundle => b !== undefined)
      .sort((a, b) => b.uploaded - a.uploaded || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The bundle, or undefined for unknown and malformed ids. */
  async get(id: string): Promise<StoredBundle | undefined> {
    if (typeof id !== 'string' || !BUNDLE_ID_PATTERN.test(id)) return undefined;
    let parsed: unknown;
    if (this.remote) {
      parsed = await this.remote.sidecar(id);
    } else {
      try {
        parsed = JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8'));
      } catch {
        return undefined;
      }
    }
    return isSidecar(parsed) ? this.toStored(id, parsed) : undefined;
  }

  /**
   * The bundle of a job record's `location` (HA storage on S3), in this dispatcher's cache; throws
   * when the location is not one of this store's or the bundle was deleted. A bundle already in the
   * cache is used without asking S3, so a job process can be restarted while S3 is unreachable (a
   * bundle a job that has not ended uses cannot be deleted: JarService refuses).
   */
  async materialiseLocation(location: string): Promise<StoredBundle> {
    const id = this.remote?.idOf(location);
    if (id === undefined || !BUNDLE_ID_PATTERN.test(id)) throw new Error(`${location} is not a bundle of this cluster's HA storage (${this.remote?.dir ?? 'none'})`);
    const cached = await this.cached(id);
    if (cached) return cached;
    const bundle = await this.get(id);
    if (!bundle) throw new Error(`bundle ${location} is not in the HA storage (deleted?)`);
    return this.materialise(bundle);
  }

  /** A complete entry of the cache (its local sidecar written), or undefined. */
  private async cached(id: string): Promise<StoredBundle | undefined> {
    try {
      const parsed: unknown = JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8'));
      return isSidecar(parsed) ? this.toStored(id, parsed) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Makes `bundle.bundlePath` exist here: with HA storage on S3, a bundle this dispatcher has not
   * seen (uploaded at another, or its cache lost) is fetched into the cache, an archive extracted and
   * checked as at upload; the local sidecar, written last, marks the cache entry complete.
   */
  async materialise(bundle: StoredBundle): Promise<StoredBundle> {
    if (!this.remote) return bundle;
    const file = join(this.dir, bundle.id);
    if (await exists(`${file}.json`)) return bundle;
    let running = this.fetching.get(bundle.id);
    if (!running) {
      running = this.fetchIntoCache(bundle).finally(() => this.fetching.delete(bundle.id));
      this.fetching.set(bundle.id, running);
    }
    await running;
    return bundle;
  }

  private async fetchIntoCache(b: StoredBundle): Promise<void> {
    await fetchIntoCache(this.remote!, b, { dir: this.dir, tmpDir: this.tmpDir, maxBytes: this.maxBytes, format: classifyBundleName(b.name)?.format });
  }


  /** Removes the bundle; false when the id is unknown or malformed. */
  async delete(id: string): Promise<boolean> {
    if (typeof id !== 'string' || !BUNDLE_ID_PATTERN.test(id)) return false;
    const file = join(this.dir, id);
    if (this.remote) {
      if (!(await this.get(id))) return false;
      await this.remote.remove(id);
      // This dispatcher's cache; other dispatchers' caches keep a copy nobody lists (removed with their data directory).
      for (const p of [`${file}.json`, `${file}.d`, file]) await rm(p, { recursive: true, force: true });
      return true;
    }
    try {
      await rm(`${file}.json`); // first, so the bundle vanishes from list()/get() at once
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await rm(`${file}.d`, { recursive: true, force: true });
    await rm(file, { recursive: true, force: true });
    return true;
  }

  private toStored(id: string, s: Sidecar): StoredBundle {
    return toStoredBundle(this.dir, id, s, this.remote);
  }

  /** Streams the upload into `target`, counting bytes; 413 above maxBytes, 400 when empty; `onBytes` may refuse (quota). */
  private async receive(data: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, target: string, onBytes: (received: number) => void): Promise<number> {
    const fh = await open(target, 'wx', 0o600);
    let size = 0;
    try {
      for await (const chunk of data as AsyncIterable<Uint8Array | string>) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += buf.byteLength;
        if (size > this.maxBytes) throw new BundleRejectedError(`bundle is larger than the limit of ${this.maxBytes} bytes`, 413);
        onBytes(size);
        await fh.write(buf);
      }
    } finally {
      await fh.close();
    }
    if (size === 0) throw new BundleRejectedError('the uploaded bundle file is empty');
    return size;
  }

}
