/**
 * The bytes of one keyed-state entry (key group × operator) in a state file.
 *
 * - Usually the node:v8 serialization of the operator's value (its first byte is v8's version
 *   tag, 0xFF).
 * - A value handed over as `SerializedParts` — pieces its operator serialized already and keeps
 *   (the window operator's windows) — is written as `[0x01, n, length × n, piece × n]` (the numbers
 *   as protobuf varints). The pieces go to the file as they are, one buffer each in the vectored
 *   write: a checkpoint of state that mostly did not change copies and allocates next to nothing,
 *   where one v8 buffer per key group would copy the whole state every time (at 220 MB that held a
 *   rescale's gainers 0.3–1.2 s). It reads back as an array of the pieces (views into the bytes read).
 */
import { deserialize, serialize } from 'node:v8';
import protobuf from 'protobufjs/minimal.js';

const PARTS_TAG = 0x01;

/** Pieces of a keyed value serialized already; they must not change once handed over (a file may be written from them later). */
export class SerializedParts {
  constructor(readonly parts: readonly Uint8Array[]) {}
}

/** The chunks that make up `value`'s bytes, in order (a function stands for the value it returns). */
export function encodeKeyedValue(value: unknown): Uint8Array[] {
  const v = typeof value === 'function' ? (value as () => unknown)() : value;
  if (!(v instanceof SerializedParts)) return [serialize(v)];
  const head = protobuf.Writer.create().uint32(PARTS_TAG).uint32(v.parts.length);
  for (const p of v.parts) head.uint32(p.byteLength);
  return [head.finish(), ...v.parts];
}

/** Reads back what `encodeKeyedValue` wrote. */
export function decodeKeyedValue(bytes: Uint8Array): unknown {
  if (bytes[0] !== PARTS_TAG) return deserialize(bytes);
  const r = protobuf.Reader.create(bytes);
  const lengths: number[] = [];
  try {
    r.uint32();
    const n = r.uint32();
    for (let i = 0; i < n; i++) lengths.push(r.uint32());
  } catch {
    throw new Error('a keyed state entry in parts is truncated');
  }
  const parts: Uint8Array[] = [];
  let pos = r.pos;
  for (const len of lengths) {
    if (pos + len > bytes.length) throw new Error('a keyed state entry in parts is truncated');
    parts.push(bytes.subarray(pos, pos + len));
    pos += len;
  }
  if (pos !== bytes.length) throw new Error('a keyed state entry in parts has bytes after its last part');
  return parts;
}

/** Total length of chunks. */
export function chunksLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  return n;
}
