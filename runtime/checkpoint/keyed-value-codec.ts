/**
 * The bytes of one keyed-state entry (key group × operator) in a state file.
 *
 * - Usually the node:v8 serialization of the operator's value (its first byte is v8's version
 *   tag, 0xFF).
 * - A value handed over as `SerializedParts` — pieces its operator serialized already and keeps
 *   (the window operator's windows) — is written as `[0x01, varint n, varint length × n, piece × n]`.
 *   The pieces go to the file as they are, one buffer each in the vectored write: a checkpoint of
 *   state that mostly did not change copies and allocates next to nothing, where one v8 buffer per
 *   key group would copy the whole state (and at a few hundred MB, the garbage of that copy costs
 *   full collections). It reads back as an array of the pieces (views into the bytes read).
 */
import { deserialize, serialize } from 'node:v8';

const PARTS_TAG = 0x01;

/** Pieces of a keyed value serialized already; they must not change once handed over (a file may be written from them later). */
export class SerializedParts {
  constructor(readonly parts: readonly Uint8Array[]) {}
}

function varint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** The chunks that make up `value`'s bytes, in order (a function stands for the value it returns). */
export function encodeKeyedValue(value: unknown): Uint8Array[] {
  const v = typeof value === 'function' ? (value as () => unknown)() : value;
  if (!(v instanceof SerializedParts)) return [serialize(v)];
  const head: number[] = [PARTS_TAG];
  varint(head, v.parts.length);
  for (const p of v.parts) varint(head, p.byteLength);
  return [Uint8Array.from(head), ...v.parts];
}

/** Reads back what `encodeKeyedValue` wrote. */
export function decodeKeyedValue(bytes: Uint8Array): unknown {
  if (bytes[0] !== PARTS_TAG) return deserialize(bytes);
  let pos = 1;
  const next = (): number => {
    let v = 0;
    for (let shift = 1; ; shift *= 128) {
      if (pos >= bytes.length) throw new Error('a keyed state entry in parts is truncated');
      const b = bytes[pos++]!;
      v += (b & 0x7f) * shift;
      if (b < 0x80) return v;
      if (shift > 2 ** 28) throw new Error('a keyed state entry in parts has a bad length');
    }
  };
  const n = next();
  const lengths: number[] = [];
  for (let i = 0; i < n; i++) lengths.push(next());
  const parts: Uint8Array[] = [];
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
