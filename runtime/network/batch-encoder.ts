/**
 * Writes a batch of stream elements in the compact format (batch-format.ts), or through node:v8's
 * structured clone when something in it has no compact form (batch-codec.ts).
 */
import { serialize } from 'node:v8';
import { BARRIER, END, IDLE, RECORD, WATERMARK, type StreamElement } from '../elements.js';
import { sameKeys } from '../fast-decode.js';
import {
  COMPACT, E_BARRIER, E_END, E_IDLE_OFF, E_IDLE_ON, E_RECORD, E_WATERMARK, HEADER_BYTES, MAX_DEPTH, R_KG, R_TS,
  V_DOUBLE, V_FALSE, V_INT, V_LATIN1, V_NEW_SHAPE, V_NULL, V_SHAPE, V_TRUE, V_UNDEFINED, V_UTF16,
} from './batch-format.js';

/** Thrown inside the encoder when a value has no compact form; the batch then goes through v8. */
class NotCompact extends Error {}
const NOT_COMPACT = new NotCompact();
const EMPTY = {};

/**
 * The encoder's scratch space, reused across batches (the frame returned is a copy): the structure
 * (tags, lengths, numbers) in `buf`, the characters of one-byte strings in `chars`. They go in
 * one block after the structure so that the decoder turns them into one string and cuts short
 * strings out of it, which is several times faster than a Buffer-to-string call per string.
 */
let buf = Buffer.allocUnsafe(64 * 1024);
let pos = 0;
let chars = Buffer.allocUnsafe(64 * 1024);
let cpos = 0;
/** Shapes of this batch: key list joined by NUL → shape number, and the key lists in order. */
const shapeIds = new Map<string, number>();
const shapes: string[][] = [];

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  const next = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + n));
  buf.copy(next, 0, 0, pos);
  buf = next;
}

function ensureChars(n: number): void {
  if (cpos + n <= chars.length) return;
  const next = Buffer.allocUnsafe(Math.max(chars.length * 2, cpos + n));
  chars.copy(next, 0, 0, cpos);
  chars = next;
}

function writeVarUint(n: number): void {
  ensure(5);
  while (n >= 0x80) { buf[pos++] = (n & 0x7f) | 0x80; n >>>= 7; }
  buf[pos++] = n;
}

function writeString(s: string): void {
  const n = s.length;
  ensureChars(n);
  // The code units into `chars`; a unit above 0xFF means the string goes as UTF-16 instead, in `buf`.
  const start = cpos;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) {
      cpos = start;
      ensure(6 + 2 * n);
      buf[pos++] = V_UTF16;
      writeVarUint(n);
      pos += buf.write(s, pos, 'utf16le');
      return;
    }
    chars[cpos++] = c;
  }
  ensure(1);
  buf[pos++] = V_LATIN1;
  writeVarUint(n);
}

function writeNumber(x: number): void {
  ensure(9);
  // -0 is not an int32 (it would come back as 0).
  if ((x | 0) === x && (x !== 0 || 1 / x > 0)) {
    buf[pos++] = V_INT;
    buf.writeInt32LE(x, pos);
    pos += 4;
  } else {
    buf[pos++] = V_DOUBLE;
    buf.writeDoubleLE(x, pos);
    pos += 8;
  }
}

function writeValue(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'string': writeString(v); return;
    case 'number': writeNumber(v); return;
    case 'boolean': ensure(1); buf[pos++] = v ? V_TRUE : V_FALSE; return;
    case 'undefined': ensure(1); buf[pos++] = V_UNDEFINED; return;
    case 'object':
      if (v === null) { ensure(1); buf[pos++] = V_NULL; return; }
      writeObject(v, depth);
      return;
    default: throw NOT_COMPACT;
  }
}

/** Per nesting depth, the shape of the last object written there: the first one tried for the next. */
const lastShapeAt: number[] = [];

function writeObject(o: object, depth: number): void {
  if (depth >= MAX_DEPTH || Object.getPrototypeOf(o) !== Object.prototype) throw NOT_COMPACT;
  const rec = o as Record<string, unknown>;
  // The shape: the keys in for-in order, which (no enumerable key being inherited from
  // Object.prototype, checked per batch) are the own enumerable keys structured clone keeps.
  let shape: number | undefined = lastShapeAt[depth];
  if (shape !== undefined) {
    const keys = shapes[shape]!;
    let i = 0;
    for (const k in rec) {
      if (keys[i] !== k) { i = -1; break; }
      i++;
    }
    if (i !== keys.length) shape = undefined;
  }
  if (shape !== undefined) {
    ensure(6);
    buf[pos++] = V_SHAPE;
    writeVarUint(shape);
  } else {
    const keys = Object.keys(rec);
    const id = keys.join('\u0000');
    shape = shapeIds.get(id);
    if (shape === undefined || !sameKeys(shapes[shape]!, keys)) { // (NUL inside a key can make two lists join alike)
      shape = shapes.length;
      shapeIds.set(id, shape);
      shapes.push(keys);
      ensure(6);
      buf[pos++] = V_NEW_SHAPE;
      writeVarUint(keys.length);
      for (const k of keys) writeString(k);
    } else {
      ensure(6);
      buf[pos++] = V_SHAPE;
      writeVarUint(shape);
    }
    lastShapeAt[depth] = shape;
  }
  const keys = shapes[shape]!;
  for (let i = 0; i < keys.length; i++) writeValue(rec[keys[i]!], depth + 1);
}

/**
 * An element as its kind's fields (elements.ts): the runtime makes elements of exactly those keys,
 * so nothing else is carried. A field of an unexpected type sends the batch through v8.
 */
function writeElement(e: StreamElement): void {
  if (typeof e !== 'object' || e === null) throw NOT_COMPACT;
  ensure(11);
  switch (e.t) {
    case RECORD: {
      const { ts, kg } = e;
      let tag = E_RECORD;
      if (ts !== undefined) { if (typeof ts !== 'number') throw NOT_COMPACT; tag |= R_TS; }
      if (kg !== undefined) { if (typeof kg !== 'number' || !(kg >= 0 && kg <= 0xffff && (kg | 0) === kg)) throw NOT_COMPACT; tag |= R_KG; }
      buf[pos++] = tag;
      if (ts !== undefined) { buf.writeDoubleLE(ts, pos); pos += 8; }
      if (kg !== undefined) { buf.writeUInt16LE(kg, pos); pos += 2; }
      writeValue(e.v, 0);
      return;
    }
    case WATERMARK:
      if (typeof e.wm !== 'number') throw NOT_COMPACT;
      buf[pos++] = E_WATERMARK;
      buf.writeDoubleLE(e.wm, pos);
      pos += 8;
      return;
    case END: buf[pos++] = E_END; return;
    case BARRIER:
      if (typeof e.id !== 'number' || typeof e.dir !== 'string') throw NOT_COMPACT;
      buf[pos++] = E_BARRIER;
      buf.writeDoubleLE(e.id, pos);
      pos += 8;
      writeString(e.dir);
      return;
    case IDLE:
      if (typeof e.idle !== 'boolean') throw NOT_COMPACT;
      buf[pos++] = e.idle ? E_IDLE_ON : E_IDLE_OFF;
      return;
    default: throw NOT_COMPACT;
  }
}

/** The payload of a data frame for `batch`: compact when every element has a compact form, else node:v8's. */
export function encodeBatchPayload(batch: StreamElement[]): Buffer {
  pos = 0;
  cpos = 0;
  try {
    ensure(HEADER_BYTES);
    buf[0] = COMPACT;
    buf.writeUInt32LE(batch.length, 1);
    pos = HEADER_BYTES;
    // An enumerable key on Object.prototype would show up in every for-in (and v8 would not copy it).
    for (const _ in EMPTY) throw NOT_COMPACT;
    for (const e of batch) writeElement(e);
    buf.writeUInt32LE(pos, 5);
    const frame = Buffer.allocUnsafe(pos + cpos);
    buf.copy(frame, 0, 0, pos);
    chars.copy(frame, pos, 0, cpos);
    return frame;
  } catch (err) {
    if (err !== NOT_COMPACT) throw err;
    return serialize(batch);
  } finally {
    shapeIds.clear();
    shapes.length = 0;
    lastShapeAt.length = 0;
    // A huge batch does not keep its scratch space.
    if (buf.length > 1024 * 1024) buf = Buffer.allocUnsafe(64 * 1024);
    if (chars.length > 1024 * 1024) chars = Buffer.allocUnsafe(64 * 1024);
  }
}
