/**
 * Reading and writing checkpoint files. A subtask writes one keyed-state file
 * (`<vertexId>-<subtask>.state`: the serialized key groups back to back) and
 * reports, in its SubtaskState, where each key group's bytes are. The
 * coordinator writes `_metadata` (proto/snapshot.proto) last, atomically (a temp
 * file and rename; on an object store one PUT), so a directory without `_metadata`
 * is never a checkpoint. All file access goes through the CheckpointStorage of the path.
 */
import { storageFor, storagePath, type CheckpointStorage, type StorageWriter } from './checkpoint-storage.js';
import { deserialize } from 'node:v8';
import { decodeKeyedValue } from './keyed-value-codec.js';
import { ebbflow } from '../../proto/generated/snapshot.js';
import type { KeyGroupRange } from '../../state/key-groups.js';

export const METADATA_FILE = '_metadata';
export const CheckpointMetadata = ebbflow.snapshot.CheckpointMetadata;
export const SubtaskState = ebbflow.snapshot.SubtaskState;
export type CheckpointMetadataProps = ebbflow.snapshot.CheckpointMetadata.$Properties;
export type SubtaskStateProps = ebbflow.snapshot.SubtaskState.$Properties;

/** One keyed-state entry's bytes, as the chunks written back to back (keyed-value-codec.ts). */
export interface KeyedStateBlob { operatorId: number; keyGroup: number; chunks: Uint8Array[]; length: number }

/**
 * A subtask's keyed state file, written in one or more parts (key groups back to back, each part
 * appended with one vectored write, no copy into one big buffer). At a rescale barrier the key
 * groups that move are the first part, so gainers can read them before the rest is written. On a
 * storage whose open files cannot be read yet (an object store), each part is a file of its own,
 * closed when written: the first `<name>`, the next `<name>.1`, … (KeyGroupEntry.file names them).
 */
export class StateFileWriter {
  private fh: StorageWriter | undefined;
  private offset = 0;
  /** Bytes written in all parts (`offset` is within the current part). */
  private bytes = 0;
  private created = false;
  private parts = 0;
  private readonly index: ebbflow.snapshot.KeyGroupEntry.$Properties[] = [];

  constructor(private readonly dir: string, private readonly fileName: string, private readonly subtaskIndex: number, private readonly keyGroups: KeyGroupRange[]) {}

  async append(blobs: KeyedStateBlob[]): Promise<void> {
    if (!blobs.length) return;
    const storage = storageFor(this.dir);
    const separate = !storage.appendVisible;
    const file = separate && this.parts > 0 ? `${this.fileName}.${this.parts}` : this.fileName;
    if (!this.fh) {
      this.fh = await storage.create(storagePath(this.dir, file));
      this.created = true;
      if (separate) this.offset = 0;
    }
    for (const b of blobs) {
      this.index.push({ keyGroup: b.keyGroup, operatorId: b.operatorId, offset: this.offset, length: b.length, file: file === this.fileName ? '' : file });
      this.offset += b.length;
      this.bytes += b.length;
    }
    await this.fh.writev(blobs.flatMap((b) => b.chunks));
    if (separate) {
      const fh = this.fh;
      this.fh = undefined;
      this.parts++;
      await fh.close();
    }
  }

  /** What is written so far, as a SubtaskState without operator state. */
  written(): SubtaskStateProps {
    return { subtaskIndex: this.subtaskIndex, keyGroups: this.keyGroups, keyedStateFile: this.created ? this.fileName : '', keyGroupIndex: [...this.index], stateSize: this.bytes };
  }

  /** Closes the file; the SubtaskState with the operator state. */
  async finish(operatorState: Uint8Array): Promise<SubtaskStateProps> {
    await this.fh?.close();
    this.fh = undefined;
    return { ...this.written(), operatorState, stateSize: this.bytes + operatorState.length };
  }

  /** Gives up (the checkpoint failed): drops the file being written; rejects if that fails (the caller logs it). */
  async abort(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.abort();
  }
}

export async function writeMetadata(dir: string, meta: CheckpointMetadataProps): Promise<number> {
  const bytes = CheckpointMetadata.encode(meta).finish();
  await storageFor(dir).writeAtomically(storagePath(dir, METADATA_FILE), bytes);
  return bytes.length;
}

export interface KeyGroupEntryPlain { keyGroup: number; operatorId: number; offset: number; length: number; file: string }
export interface SubtaskStatePlain { subtaskIndex: number; keyGroups: KeyGroupRange[]; keyedStateFile: string; keyGroupIndex: KeyGroupEntryPlain[]; operatorState: Uint8Array; stateSize: number }
/** `parallelism` and `keyGroupOwners` (keyed vertices; else empty) are the configuration to resume at. */
export interface VertexStatePlain { vertexId: string; name: string; parallelism: number; subtasks: SubtaskStatePlain[]; keyGroupOwners: number[] }
export interface MetadataPlain { formatVersion: number; jobId: string; checkpointId: number; timestamp: number; isSavepoint: boolean; maxParallelism: number; vertices: VertexStatePlain[]; jobName: string }

/**
 * Metadata is small (an index, not state): a few KB per vertex and subtask. A larger file is not
 * ours, and reading it whole could exhaust memory.
 */
export const MAX_METADATA_BYTES = 16 * 1024 * 1024;

/**
 * Reads `<dir>/_metadata`; throws a clear error when missing, too large or corrupt. `storage`: the
 * storage of `dir` with other than this process's settings (the dispatcher checking a job's savepoint).
 */
export async function readMetadata(dir: string, storage: CheckpointStorage = storageFor(dir)): Promise<MetadataPlain> {
  let bytes: Buffer;
  const file = storagePath(dir, METADATA_FILE);
  try {
    const size = await storage.size(file);
    if (size > MAX_METADATA_BYTES) throw Object.assign(new Error(`it is ${size} bytes, more than the ${MAX_METADATA_BYTES} a metadata file may have`), { code: 'TOO_LARGE' });
    bytes = await storage.readAll(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // An S3 error's message names the store's answer (503, access denied); a file error's code says it all.
    throw new Error(`no checkpoint or savepoint at ${dir}: cannot read ${METADATA_FILE} (${code && !/^s3:/i.test(dir) ? code : (err as Error).message})`);
  }
  let meta: MetadataPlain;
  try {
    meta = CheckpointMetadata.toObject(CheckpointMetadata.decode(bytes), { longs: Number, defaults: true, arrays: true, bytes: Buffer }) as unknown as MetadataPlain;
  } catch (err) {
    throw new Error(`${file} is corrupt: ${(err as Error).message}`);
  }
  if (meta.formatVersion !== 1) throw new Error(`${file} has unknown format version ${meta.formatVersion}`);
  return meta;
}

export interface RestoredState {
  /** operatorId → keyGroup → value */
  keyed: Map<number, Map<number, unknown>>;
  /** operatorId → states of every old subtask */
  operator: Map<number, Array<{ subtaskIndex: number; parallelism: number; state: unknown }>>;
  /** Key groups found and bytes of keyed state read. */
  keyGroups: number;
  bytes: number;
}

/**
 * The state of one vertex that a subtask owning `keyGroups` needs: exactly those key groups (read
 * from whichever old subtask's file holds them; entries adjacent in a file are read at once) and
 * the operator states of every old subtask.
 */
export async function readVertexState(dir: string, meta: MetadataPlain, vertexId: string, keyGroups: ReadonlySet<number>): Promise<RestoredState> {
  const vertex = meta.vertices.find((v) => v.vertexId === vertexId);
  return vertex ? readSubtaskStates(dir, vertex.subtasks, vertex.parallelism, keyGroups) : { keyed: new Map(), operator: new Map(), keyGroups: 0, bytes: 0 };
}

/** Decodes an encoded SubtaskState (as acknowledged, and as forwarded to rescale gainers). */
export function decodeSubtaskState(bytes: Uint8Array): SubtaskStatePlain {
  return SubtaskState.toObject(SubtaskState.decode(bytes), { longs: Number, defaults: true, arrays: true, bytes: Buffer }) as unknown as SubtaskStatePlain;
}

/** `keyGroups` and the operator states from the given subtasks' states (files in `dir`). */
export async function readSubtaskStates(dir: string, subtasks: SubtaskStatePlain[], parallelism: number, keyGroups: ReadonlySet<number>): Promise<RestoredState> {
  const out: RestoredState = { keyed: new Map(), operator: new Map(), keyGroups: 0, bytes: 0 };
  const found = new Set<number>();
  for (const st of subtasks) {
    if (st.operatorState?.length) {
      const states = deserialize(Buffer.from(st.operatorState)) as Record<string, unknown>;
      for (const [op, state] of Object.entries(states)) {
        const list = out.operator.get(Number(op)) ?? [];
        list.push({ subtaskIndex: st.subtaskIndex, parallelism, state });
        out.operator.set(Number(op), list);
      }
    }
    if (!st.keyedStateFile) continue;
    // Per file (one, or on an object store possibly two), the wanted entries in file order.
    const byFile = new Map<string, KeyGroupEntryPlain[]>();
    for (const e of st.keyGroupIndex) {
      if (!keyGroups.has(e.keyGroup)) continue;
      const name = e.file || st.keyedStateFile;
      byFile.set(name, [...byFile.get(name) ?? [], e]);
    }
    for (const [name, entries] of byFile) {
      out.bytes += await readEntries(dir, name, entries.sort((a, b) => Number(a.offset) - Number(b.offset)), out, found);
    }
  }
  out.keyGroups = found.size;
  return out;
}

/** Reads `entries` (sorted by offset) of `<dir>/<name>` into `out`; the bytes read. */
async function readEntries(dir: string, name: string, wanted: KeyGroupEntryPlain[], out: RestoredState, found: Set<number>): Promise<number> {
  let bytes = 0;
  const fh = await storageFor(dir).openRead(storagePath(dir, name));
  try {
    for (let i = 0; i < wanted.length;) {
      // Coalesce entries that sit back to back in the file into one read.
      let j = i + 1;
      let end = Number(wanted[i]!.offset) + wanted[i]!.length;
      while (j < wanted.length && Number(wanted[j]!.offset) === end) end += wanted[j++]!.length;
      const start = Number(wanted[i]!.offset);
      const buf = Buffer.allocUnsafe(end - start);
      const bytesRead = await fh.read(buf, start);
      if (bytesRead !== buf.length) throw new Error(`${storagePath(dir, name)} is truncated (wanted ${buf.length} bytes at ${start}, got ${bytesRead})`);
      for (; i < j; i++) {
        const e = wanted[i]!;
        const off = Number(e.offset) - start;
        const byKg = out.keyed.get(e.operatorId) ?? new Map<number, unknown>();
        byKg.set(e.keyGroup, decodeKeyedValue(buf.subarray(off, off + e.length)));
        out.keyed.set(e.operatorId, byKg);
        found.add(e.keyGroup);
      }
      bytes += buf.length;
    }
  } finally {
    await fh.close();
  }
  return bytes;
}

/** ENOENT or ENOTDIR mean "not there" (S3: 404); any other error (a storage timeout) must not be taken for it. */
function absentAs<T>(value: T): (err: NodeJS.ErrnoException) => T {
  return (err) => { if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return value; throw err; };
}

/**
 * The newest `chk-<n>` under `baseDir` that holds a `_metadata` (a completed checkpoint), or
 * undefined. Only a missing directory or file counts as "none": a storage that fails or times out
 * rejects, so that a recovery never silently restores an older checkpoint (or none) than the newest.
 */
export async function latestCompletedCheckpoint(baseDir: string): Promise<string | undefined> {
  const storage = storageFor(baseDir);
  const ids = (await storage.list(baseDir).catch(absentAs([] as string[])))
    .map((name) => /^chk-(\d+)$/.exec(name)?.[1]).filter((n): n is string => n !== undefined).map(Number).sort((a, b) => b - a);
  for (const n of ids) {
    const dir = storagePath(baseDir, `chk-${n}`);
    if (await storage.size(storagePath(dir, METADATA_FILE)).then(() => true, absentAs(false))) return dir;
  }
  return undefined;
}
