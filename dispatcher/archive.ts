/**
 * Safe extraction of uploaded job-bundle archives (.zip/.jar via yauzl, .tgz/.tar.gz via tar).
 * Every entry is checked before anything is written: no absolute names, no `..` segments, no
 * backslashes, nothing resolving outside the target directory, no links or special files, and
 * caps on the entry count and the total uncompressed size (zip/tar bombs). Violations become a
 * BundleRejectedError (HTTP 400). Nothing here imports or runs the bundle's code.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { dirname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import yauzl from 'yauzl';
import type { Entry as ZipEntry, ZipFile } from 'yauzl';
import { EbbflowError } from '../runtime/errors.js';

/** The upload was refused; `statusCode` is the HTTP status to answer with (400, or 413 for too large). */
export class BundleRejectedError extends EbbflowError {
  override readonly code = 'EBBFLOW_BUNDLE_REJECTED';
  readonly statusCode: number;
  constructor(message: string, statusCode = 400, options?: ErrorOptions) {
    super(message, options);
    this.statusCode = statusCode;
  }
}

export interface ExtractLimits {
  /** Cap on the sum of the entries' uncompressed sizes. */
  maxTotalBytes: number;
  /** Cap on the number of entries. */
  maxEntries: number;
}

export const MAX_ARCHIVE_ENTRIES = 10_000;

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
/** fs error codes caused by the archive's own contents (name clashes), not by the server. */
const CONFLICT_CODES = new Set(['EEXIST', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'EINVAL', 'ENOENT']);

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why an entry name is unsafe, or undefined when it is fine. */
export function unsafeEntryReason(name: string, dest: string): string | undefined {
  if (name.length === 0) return 'empty name';
  if (name.includes('\0')) return 'name contains a NUL character';
  if (name.includes('\\')) return 'name contains a backslash';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'absolute path';
  if (name.split('/').includes('..')) return 'path contains a ".." segment';
  const root = resolve(dest);
  const full = resolve(root, name);
  if (full !== root && !full.startsWith(root + sep)) return 'path resolves outside the bundle directory';
  return undefined;
}

/** Rethrows server-side fs failures (ENOSPC, EACCES, ...) as-is; everything else is the archive's fault (400). */
function classify(err: unknown, what: string): Error {
  if (err instanceof BundleRejectedError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.syscall === 'string') {
    if (!CONFLICT_CODES.has(e.code ?? '')) return e;
    // Do not echo server paths back to the client.
    return new BundleRejectedError(`${what}: ${e.code} (duplicate or conflicting entries)`, 400, { cause: err });
  }
  return new BundleRejectedError(`${what}: ${message(err)}`, 400, { cause: err });
}

function limitCheck(count: number, total: number, limits: ExtractLimits): BundleRejectedError | undefined {
  if (count > limits.maxEntries) return new BundleRejectedError(`archive has more than ${limits.maxEntries} entries`);
  if (total > limits.maxTotalBytes) return new BundleRejectedError(`archive expands to more than ${limits.maxTotalBytes} bytes`);
  return undefined;
}

/** Extracts a zip (or jar) file into the existing, empty directory `dest`. */
export async function extractZip(file: string, dest: string, limits: ExtractLimits): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true, autoClose: true });
  } catch (err) {
    throw new BundleRejectedError(`not a valid zip archive: ${message(err)}`, 400, { cause: err });
  }
  try {
    if (zip.entryCount > limits.maxEntries) throw new BundleRejectedError(`archive has ${zip.entryCount} entries (limit ${limits.maxEntries})`);
    await new Promise<void>((resolvePromise, reject) => {
      let count = 0;
      let total = 0;
      let done = false;
      const fail = (err: unknown, what: string): void => {
        if (done) return;
        done = true;
        zip.close();
        reject(classify(err, what));
      };
      zip.on('error', (err: Error) => {
        // yauzl validates names itself before emitting the entry ("invalid relative path: ../x").
        const unsafeName = /^(invalid relative path|absolute path|invalid characters in fileName)/.test(err.message);
        fail(err, unsafeName ? 'unsafe entry in zip archive' : 'not a valid zip archive');
      });
      zip.on('end', () => {
        if (!done) (done = true), resolvePromise();
      });
      zip.on('entry', (entry: ZipEntry) => {
        const name = entry.fileName;
        const handle = async (): Promise<void> => {
          const reason = unsafeEntryReason(name, dest);
          if (reason) throw new BundleRejectedError(`zip entry "${name}" rejected: ${reason}`);
          const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
          if (type === S_IFLNK) throw new BundleRejectedError(`zip entry "${name}" is a symbolic link; links are not allowed in bundles`);
          if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
            throw new BundleRejectedError(`zip entry "${name}" is a special file (mode 0o${type.toString(8)}); only files and directories are allowed`);
          }
          count += 1;
          total += entry.uncompressedSize;
          const over = limitCheck(count, total, limits);
          if (over) throw over;
          const target = resolve(dest, name);
          if (name.endsWith('/') || type === S_IFDIR) {
            await mkdir(target, { recursive: true, mode: 0o700 });
            return;
          }
          if (target === resolve(dest)) throw new BundleRejectedError(`zip entry "${name}" has no file name`);
          await mkdir(dirname(target), { recursive: true, mode: 0o700 });
          let stream;
          try {
            stream = await zip.openReadStreamPromise(entry);
          } catch (err) {
            throw new BundleRejectedError(`cannot read zip entry "${name}": ${message(err)}`, 400, { cause: err });
          }
          // 'wx' never follows or overwrites an existing path (duplicate entries fail here).
          await pipeline(stream, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
        };
        handle().then(
          () => {
            if (!done) zip.readEntry();
          },
          (err: unknown) => fail(err, `cannot extract zip entry "${name}"`),
        );
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

const TAR_ALLOWED = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

/** Why a tar entry is not allowed, or undefined. */
function tarEntryReason(entry: tar.ReadEntry, dest: string): string | undefined {
  const reason = unsafeEntryReason(entry.path, dest);
  if (reason) return reason;
  if (entry.type === 'SymbolicLink') return 'symbolic links are not allowed in bundles';
  if (entry.type === 'Link') return 'hard links are not allowed in bundles';
  if (!TAR_ALLOWED.has(entry.type)) return `unsupported entry type ${entry.type}; only files and directories are allowed`;
  return undefined;
}

/**
 * Counts the bytes that come out of the decompressor and fails past `max`: this bounds the work on
 * what an archive expands to, whatever its entries declare (zeros after the end marker included).
 */
function expansionGuard(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) return done(new BundleRejectedError(`archive expands to more than ${max} bytes`));
      done(null, chunk);
    },
  });
}

/**
 * Passes a tar stream through up to its end marker (two zero header blocks) and no further: what
 * follows the marker (a gigabyte of zeros, say) is neither parsed nor decompressed. Walks the
 * headers itself: each gives the size of the data that follows, rounded up to 512-byte blocks.
 */
function tarEndGuard(onEnd: () => void): Transform {
  let pos = 0; // bytes of the stream seen so far
  let nextHeader = 0; // where the next header block starts
  let zeros = 0; // consecutive zero header blocks
  let header = Buffer.alloc(0);
  let ended = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (ended) return done();
      let off = 0;
      const out: Buffer[] = [];
      while (off < chunk.length) {
        if (pos < nextHeader) {
          const n = Math.min(nextHeader - pos, chunk.length - off);
          out.push(chunk.subarray(off, off + n));
          off += n;
          pos += n;
          continue;
        }
        const need = 512 - header.length;
        const take = chunk.subarray(off, off + need);
        header = Buffer.concat([header, take]);
        off += take.length;
        pos += take.length;
        if (header.length < 512) break;
        out.push(header);
        if (header.every((b) => b === 0)) {
          zeros++;
          nextHeader = pos;
          if (zeros === 2) {
            ended = true;
            header = Buffer.alloc(0);
            this.push(Buffer.concat(out));
            this.push(null);
            onEnd();
            return done();
          }
        } else {
          zeros = 0;
          const field = header.subarray(124, 136);
          // Base-256 sizes (first byte 0x80) mean more than 8 GB: far past any limit.
          const size = field[0]! & 0x80 ? Number.MAX_SAFE_INTEGER : parseInt(field.toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
          if (!Number.isFinite(size)) return done(new BundleRejectedError('not a valid tar archive: bad entry size'));
          nextHeader = pos + Math.ceil(size / 512) * 512;
        }
        header = Buffer.alloc(0);
      }
      done(null, Buffer.concat(out));
    },
  });
}

/** A gzip stream starts with 1f 8b; a plain tar does not. */
async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(2);
    await fh.read(b, 0, 2, 0);
    return b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * The archive's tar bytes, decompressed when gzipped, bounded by what it may expand to, and cut at
 * the tar end marker. `onError` hears of any failure on the way.
 */
function guardedTarStream(file: string, gzip: boolean, limits: ExtractLimits, onError: (err: Error) => void): { stream: Transform; raw: ReturnType<typeof createReadStream> } {
  const raw = createReadStream(file);
  // Headers and padding come on top of the entries' sizes: up to 1 KB an entry.
  const guard = expansionGuard(limits.maxTotalBytes + limits.maxEntries * 1024);
  const gunzip = gzip ? createGunzip() : undefined;
  // Past the end marker nothing is read: the file stream stops, so nothing more is decompressed.
  const end = tarEndGuard(() => raw.destroy());
  const stream = (gunzip ? raw.pipe(gunzip).pipe(guard) : raw.pipe(guard)).pipe(end);
  guard.on('error', onError);
  end.on('error', onError);
  gunzip?.on('error', onError);
  raw.on('error', onError);
  return { stream, raw };
}

/** Lists every entry of the tarball and rejects the first unsafe one, before anything is extracted. */
async function scanTar(file: string, gzip: boolean, dest: string, limits: ExtractLimits): Promise<void> {
  await new Promise<void>((resolvePromise, reject) => {
    let rejection: BundleRejectedError | undefined;
    let count = 0;
    let total = 0;
    const stop = (err: Error) => { raw.destroy(); reject(rejection ?? (err instanceof BundleRejectedError ? err : new BundleRejectedError(`not a valid tar.gz archive: ${message(err)}`, 400, { cause: err }))); };
    const { stream: input, raw } = guardedTarStream(file, gzip, limits, stop);
    const parser = tar.t({
      strict: true,
      onReadEntry: (entry: tar.ReadEntry) => {
        entry.resume();
        if (rejection) return;
        const reason = tarEntryReason(entry, dest);
        count += 1;
        total += entry.size;
        rejection = reason ? new BundleRejectedError(`tar entry "${entry.path}" rejected: ${reason}`) : limitCheck(count, total, limits);
        if (rejection) {
          raw.destroy();
          parser.abort(new Error(rejection.message));
        }
      },
    });
    parser.on('error', stop);
    parser.on('end', () => (rejection ? reject(rejection) : resolvePromise()));
    input.pipe(parser);
  });
}

/** Extracts a .tgz/.tar.gz (plain tar is accepted too) into the existing, empty directory `dest`. */
export async function extractTarGz(file: string, dest: string, limits: ExtractLimits): Promise<void> {
  const gzip = await isGzip(file);
  await scanTar(file, gzip, dest, limits);
  try {
    await new Promise<void>((resolvePromise, reject) => {
      const unpack = tar.x({
        cwd: dest,
        strict: true,
        preserveOwner: false,
        preservePaths: false,
        dmode: 0o700, // directories the archive only implies
        fmode: 0o600,
        filter: (_path, entry) => {
          if (!(entry instanceof tar.ReadEntry) || tarEntryReason(entry, dest)) return false;
          // Keep everything readable and removable by us, and private to us, whatever modes the archive carries.
          entry.mode = ((entry.mode ?? 0) & 0o700) | (entry.type === 'Directory' ? 0o700 : 0o600);
          return true;
        },
      });
      unpack.on('error', reject);
      unpack.on('close', () => resolvePromise());
      guardedTarStream(file, gzip, limits, reject).stream.pipe(unpack);
    });
  } catch (err) {
    throw classify(err, 'cannot extract tar.gz archive');
  }
}

export type ArchiveFormat = 'zip' | 'tgz';

export function extractArchive(format: ArchiveFormat, file: string, dest: string, limits: ExtractLimits): Promise<void> {
  return format === 'zip' ? extractZip(file, dest, limits) : extractTarGz(file, dest, limits);
}
