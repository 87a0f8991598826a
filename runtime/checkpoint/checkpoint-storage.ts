/**
 * Where checkpoint and savepoint files live. Every read and write of the
 * per-key-group layout (`<dir>/<vertex>-<subtask>.state`, `<dir>/_metadata`)
 * goes through this interface, chosen by the path's scheme (`storageFor`): a plain
 * path or `file://` URL is a filesystem directory (which for TaskManagers on other
 * hosts, e.g. Mesos, must be mounted at the same path everywhere); `s3://bucket/prefix`
 * is S3 or an S3-compatible store (s3-storage.ts). Paths inside a checkpoint are
 * built with `storagePath`, never node:path (which would fold `s3://` into `s3:/`).
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cleanupFailed } from '../cleanup.js';
import { withDeadline } from './storage-deadline.js';
import { StorageHungError, StorageTimeoutError } from '../errors.js';
import { isS3Path, joinS3, parseS3Path } from './s3-location.js';
import { s3Settings, s3SettingsKey, type S3Settings } from './s3-settings.js';
import { S3Storage } from './s3-storage.js';

/**
 * Checkpoints and savepoints hold a job's state (its records, keys, stream positions): directories
 * 0700 and files 0600 from the moment they exist, whatever the umask (which can only remove bits).
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * An append-only file being written. `signal` (from the storage deadline) aborts a call that can be
 * cancelled (an HTTP request); a filesystem call cannot be and ignores it. The chunks given to
 * `writev` must stay unchanged until `close`: an object store may hold them until then.
 */
export interface StorageWriter {
  writev(chunks: Uint8Array[], signal?: AbortSignal): Promise<void>;
  /** Makes the file whole and final. */
  close(signal?: AbortSignal): Promise<void>;
  /** Gives the file up (its checkpoint failed): what an object store had received is dropped. */
  abort(): Promise<void>;
}

/** A file opened for positioned reads. */
export interface StorageReader {
  read(into: Buffer, position: number, signal?: AbortSignal): Promise<number>;
  close(): Promise<void>;
}

export interface CheckpointStorage {
  /**
   * Whether bytes written to a file that is still open can already be read by others (a
   * filesystem: yes; an object store: no, an object appears when it is closed).
   */
  readonly appendVisible: boolean;
  /** Makes a checkpoint directory (and its parents) exist. */
  ensureDir(dir: string, signal?: AbortSignal): Promise<void>;
  create(path: string, signal?: AbortSignal): Promise<StorageWriter>;
  openRead(path: string, signal?: AbortSignal): Promise<StorageReader>;
  readAll(path: string, signal?: AbortSignal): Promise<Buffer>;
  /** Size of a file in bytes; a missing file rejects with code ENOENT. */
  size(path: string, signal?: AbortSignal): Promise<number>;
  /** Names in a directory. */
  list(dir: string, signal?: AbortSignal): Promise<string[]>;
  /**
   * Writes a whole file so that readers see either nothing or all of it. `abandoned` says that the
   * caller gave up (its deadline passed): then the file must not appear after all.
   */
  writeAtomically(path: string, bytes: Uint8Array, abandoned?: () => boolean, signal?: AbortSignal): Promise<void>;
  /** Removes a checkpoint directory and everything in it; no error when it is gone. */
  removeDir(dir: string, signal?: AbortSignal): Promise<void>;
}

class FileWriter implements StorageWriter {
  constructor(private readonly fh: FileHandle) {}
  async writev(chunks: Uint8Array[]): Promise<void> {
    // writev takes at most IOV_MAX buffers at once.
    for (let i = 0; i < chunks.length; i += 1024) await this.fh.writev(chunks.slice(i, i + 1024));
  }
  close(): Promise<void> { return this.fh.close(); }
  abort(): Promise<void> { return this.fh.close(); }
}

class FileReader implements StorageReader {
  constructor(private readonly fh: FileHandle) {}
  async read(into: Buffer, position: number): Promise<number> {
    return (await this.fh.read(into, 0, into.length, position)).bytesRead;
  }
  close(): Promise<void> { return this.fh.close(); }
}

export class FileSystemStorage implements CheckpointStorage {
  readonly appendVisible = true;
  async ensureDir(dir: string): Promise<void> { await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE }); }
  async create(path: string): Promise<StorageWriter> {
    await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
    return new FileWriter(await open(path, 'w', PRIVATE_FILE_MODE));
  }
  async openRead(path: string): Promise<StorageReader> { return new FileReader(await open(path, 'r')); }
  readAll(path: string): Promise<Buffer> { return readFile(path); }
  async size(path: string): Promise<number> { return (await stat(path)).size; }
  list(dir: string): Promise<string[]> { return readdir(dir); }
  async writeAtomically(path: string, bytes: Uint8Array, abandoned?: () => boolean): Promise<void> {
    const tmp = `${path}.tmp`;
    await writeFile(tmp, bytes, { mode: PRIVATE_FILE_MODE });
    // A write that returned after its deadline: the checkpoint was failed meanwhile, so no `_metadata` may appear late.
    if (abandoned?.()) { await rm(tmp, { force: true }); return; }
    await rename(tmp, path);
  }
  removeDir(dir: string): Promise<void> { return rm(dir, { recursive: true, force: true }); }
}

/** Closes a file that opened after its caller gave up on it; a failure to close changes nothing for anyone. */
const closeLate = (f: { close(): Promise<void> }): void => { f.close().catch(cleanupFailed('closing a checkpoint file its caller gave up on', undefined)); };

/**
 * A file whose calls have deadlines. Once a call on it passed its deadline (or could not start),
 * `close` returns at once and closes the file in the background: a file handle's close waits for
 * the call still blocked on it, which would cost a second deadline and a second stuck thread count.
 */
abstract class DeadlineFile {
  protected stuck = false;
  constructor(protected readonly path: string) {}
  protected call<T>(start: (signal: AbortSignal) => Promise<T>, operation: string): Promise<T> {
    return withDeadline(start, operation, this.path).catch((err: unknown) => {
      if (err instanceof StorageTimeoutError || err instanceof StorageHungError) this.stuck = true;
      throw err;
    });
  }
  /** `end` with the deadline, or in the background once a call on this file got stuck. */
  protected end(end: () => Promise<void>, operation: string): Promise<void> {
    if (this.stuck) { closeLate({ close: end }); return Promise.resolve(); }
    return withDeadline(end, operation, this.path);
  }
}

class DeadlineWriter extends DeadlineFile implements StorageWriter {
  constructor(private readonly inner: StorageWriter, path: string) { super(path); }
  writev(chunks: Uint8Array[]): Promise<void> { return this.call((signal) => this.inner.writev(chunks, signal), 'write'); }
  /** A file some of whose bytes may be missing (a stuck write) is given up rather than made final. */
  close(): Promise<void> { return this.stuck ? this.abort() : this.call((signal) => this.inner.close(signal), 'close'); }
  abort(): Promise<void> { return this.end(() => this.inner.abort(), 'close'); }
}

class DeadlineReader extends DeadlineFile implements StorageReader {
  constructor(private readonly inner: StorageReader, path: string) { super(path); }
  read(into: Buffer, position: number): Promise<number> { return this.call((signal) => this.inner.read(into, position, signal), 'read'); }
  close(): Promise<void> { return this.end(() => this.inner.close(), 'close'); }
}

/** Any storage with a deadline on every call (and on every call of the files it opens). */
export class DeadlineStorage implements CheckpointStorage {
  constructor(private readonly inner: CheckpointStorage) {}
  get appendVisible(): boolean { return this.inner.appendVisible; }
  ensureDir(dir: string): Promise<void> { return withDeadline((signal) => this.inner.ensureDir(dir, signal), 'mkdir', dir); }
  async create(path: string): Promise<StorageWriter> {
    const abortLate = (w: StorageWriter): void => { w.abort().catch(cleanupFailed('giving up a checkpoint file its caller gave up on', undefined)); };
    return new DeadlineWriter(await withDeadline((signal) => this.inner.create(path, signal), 'create', path, abortLate), path);
  }
  async openRead(path: string): Promise<StorageReader> {
    return new DeadlineReader(await withDeadline((signal) => this.inner.openRead(path, signal), 'open', path, closeLate), path);
  }
  readAll(path: string): Promise<Buffer> { return withDeadline((signal) => this.inner.readAll(path, signal), 'read', path); }
  size(path: string): Promise<number> { return withDeadline((signal) => this.inner.size(path, signal), 'stat', path); }
  list(dir: string): Promise<string[]> { return withDeadline((signal) => this.inner.list(dir, signal), 'list', dir); }
  writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
    let abandoned = false;
    return withDeadline((signal) => this.inner.writeAtomically(path, bytes, () => abandoned, signal), 'write', path)
      .catch((err: unknown) => { abandoned = true; throw err; });
  }
  removeDir(dir: string): Promise<void> { return withDeadline((signal) => this.inner.removeDir(dir, signal), 'remove', dir); }
}

const filesystem = new DeadlineStorage(new FileSystemStorage());
/** One S3 storage (one client, one connection pool) per distinct settings. */
const s3Storages = new Map<string, CheckpointStorage>();

/**
 * The storage a checkpoint path lives in: a plain path or `file://` URL is the filesystem,
 * `s3://bucket/prefix` S3 with `s3` (default: this process's settings, setS3Settings); any other
 * scheme is refused with a clear message. Every storage has the deadline on every call.
 */
export function storageFor(path: string, s3: S3Settings = s3Settings()): CheckpointStorage {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(path)?.[1]?.toLowerCase();
  if (!scheme || scheme === 'file') return filesystem;
  if (scheme === 's3') {
    parseS3Path(path);
    const key = s3SettingsKey(s3);
    let storage = s3Storages.get(key);
    if (!storage) s3Storages.set(key, storage = new DeadlineStorage(new S3Storage(s3)));
    return storage;
  }
  throw new Error(`no checkpoint storage for ${scheme}:// paths (${path}); use a directory every host mounts, or s3://bucket/prefix`);
}

/** `<dir>/<name>…` in the storage of `dir`: node:path's join for files, `/`-joined for `s3://` (whose `//` join would fold). */
export function storagePath(dir: string, ...names: string[]): string {
  return isS3Path(dir) ? joinS3(dir, ...names) : join(localPath(dir), ...names);
}

/** A `file://` URL as a local path; other paths unchanged. */
export function localPath(path: string): string {
  return path.startsWith('file://') ? new URL(path).pathname : path;
}
