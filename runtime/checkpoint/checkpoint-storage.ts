/**
 * Where checkpoint and savepoint files live. Every read and write of the
 * per-key-group layout (`<dir>/<vertex>-<subtask>.state`, `<dir>/_metadata`)
 * goes through this interface, so a storage that is not a mounted directory
 * (an object store) only has to implement it. Today there is one
 * implementation: a filesystem directory, which for TaskManagers on other hosts
 * (Mesos) must be a directory every host mounts at the same path.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cleanupFailed } from '../cleanup.js';
import { withDeadline } from './storage-deadline.js';
import { StorageHungError, StorageTimeoutError } from '../errors.js';

/**
 * Checkpoints and savepoints hold a job's state (its records, keys, stream positions): directories
 * 0700 and files 0600 from the moment they exist, whatever the umask (which can only remove bits).
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** An append-only file being written. */
export interface StorageWriter {
  writev(chunks: Uint8Array[]): Promise<void>;
  close(): Promise<void>;
}

/** A file opened for positioned reads. */
export interface StorageReader {
  read(into: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface CheckpointStorage {
  /** Makes a checkpoint directory (and its parents) exist. */
  ensureDir(dir: string): Promise<void>;
  create(path: string): Promise<StorageWriter>;
  openRead(path: string): Promise<StorageReader>;
  readAll(path: string): Promise<Buffer>;
  /** Size of a file in bytes. */
  size(path: string): Promise<number>;
  /** Names in a directory. */
  list(dir: string): Promise<string[]>;
  /**
   * Writes a whole file so that readers see either nothing or all of it. `abandoned` says that the
   * caller gave up (its deadline passed): then the file must not appear after all.
   */
  writeAtomically(path: string, bytes: Uint8Array, abandoned?: () => boolean): Promise<void>;
  /** Removes a checkpoint directory and everything in it; no error when it is gone. */
  removeDir(dir: string): Promise<void>;
}

class FileWriter implements StorageWriter {
  constructor(private readonly fh: FileHandle) {}
  async writev(chunks: Uint8Array[]): Promise<void> {
    // writev takes at most IOV_MAX buffers at once.
    for (let i = 0; i < chunks.length; i += 1024) await this.fh.writev(chunks.slice(i, i + 1024));
  }
  close(): Promise<void> { return this.fh.close(); }
}

class FileReader implements StorageReader {
  constructor(private readonly fh: FileHandle) {}
  async read(into: Buffer, position: number): Promise<number> {
    return (await this.fh.read(into, 0, into.length, position)).bytesRead;
  }
  close(): Promise<void> { return this.fh.close(); }
}

export class FileSystemStorage implements CheckpointStorage {
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
  private stuck = false;
  constructor(protected readonly file: { close(): Promise<void> }, protected readonly path: string) {}
  protected call<T>(start: () => Promise<T>, operation: string): Promise<T> {
    return withDeadline(start, operation, this.path).catch((err: unknown) => {
      if (err instanceof StorageTimeoutError || err instanceof StorageHungError) this.stuck = true;
      throw err;
    });
  }
  close(): Promise<void> {
    if (this.stuck) { closeLate(this.file); return Promise.resolve(); }
    return withDeadline(() => this.file.close(), 'close', this.path);
  }
}

class DeadlineWriter extends DeadlineFile implements StorageWriter {
  constructor(private readonly inner: StorageWriter, path: string) { super(inner, path); }
  writev(chunks: Uint8Array[]): Promise<void> { return this.call(() => this.inner.writev(chunks), 'write'); }
}

class DeadlineReader extends DeadlineFile implements StorageReader {
  constructor(private readonly inner: StorageReader, path: string) { super(inner, path); }
  read(into: Buffer, position: number): Promise<number> { return this.call(() => this.inner.read(into, position), 'read'); }
}

/** Any storage with a deadline on every call (and on every call of the files it opens). */
export class DeadlineStorage implements CheckpointStorage {
  constructor(private readonly inner: CheckpointStorage) {}
  ensureDir(dir: string): Promise<void> { return withDeadline(() => this.inner.ensureDir(dir), 'mkdir', dir); }
  async create(path: string): Promise<StorageWriter> {
    return new DeadlineWriter(await withDeadline(() => this.inner.create(path), 'create', path, closeLate), path);
  }
  async openRead(path: string): Promise<StorageReader> {
    return new DeadlineReader(await withDeadline(() => this.inner.openRead(path), 'open', path, closeLate), path);
  }
  readAll(path: string): Promise<Buffer> { return withDeadline(() => this.inner.readAll(path), 'read', path); }
  size(path: string): Promise<number> { return withDeadline(() => this.inner.size(path), 'stat', path); }
  list(dir: string): Promise<string[]> { return withDeadline(() => this.inner.list(dir), 'list', dir); }
  writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
    let abandoned = false;
    return withDeadline(() => this.inner.writeAtomically(path, bytes, () => abandoned), 'write', path)
      .catch((err: unknown) => { abandoned = true; throw err; });
  }
  removeDir(dir: string): Promise<void> { return withDeadline(() => this.inner.removeDir(dir), 'remove', dir); }
}

const filesystem = new DeadlineStorage(new FileSystemStorage());

/**
 * The storage a checkpoint path lives in: a plain path or `file://` URL is the filesystem; any
 * other scheme is refused with a clear message (no object-store implementation yet).
 */
export function storageFor(path: string): CheckpointStorage {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(path)?.[1]?.toLowerCase();
  if (!scheme || scheme === 'file') return filesystem;
  throw new Error(`no checkpoint storage for ${scheme}:// paths (${path}); use a directory every host mounts`);
}

/** A `file://` URL as a local path; other paths unchanged. */
export function localPath(path: string): string {
  return path.startsWith('file://') ? new URL(path).pathname : path;
}
