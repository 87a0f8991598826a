/**
 * The encoding of a data batch between TaskManagers (the payload of a data frame, frames.ts).
 *
 * Most batches hold records whose values are strings, numbers, booleans, null/undefined and plain
 * objects of those (the fraud job's transfers are `{from, to, cents, ts}`). For them a compact
 * format: each element a tag byte and its fields, strings as their one-byte (Latin-1) or UTF-16
 * code units (so every string, lone surrogates included, comes back as it was), numbers as int32 or
 * float64 (-0, NaN and ±Infinity intact), and objects by shape: a batch lists each distinct key
 * list once and later objects of that shape refer to it by number. Encoding and decoding it take a
 * fraction of the time of node:v8's structured clone, which was 8–9 % of a TaskManager's CPU at
 * parallelism 2 (bench/README.md, "Profile (issue 18)").
 *
 * Anything else anywhere in a batch (a bigint, an array, a Map, a class instance, a Date, …) and
 * the whole batch goes through node:v8's structured clone as before. A v8 payload starts with its
 * version tag 0xFF, a compact one with COMPACT (0x01), so the decoder tells them apart by the first
 * byte. Malformed input of either kind is a FrameDecodeError (frames.ts), never a crash.
 */
import { deserialize, serialize } from 'node:v8';
import { BARRIER, END, IDLE, RECORD, WATERMARK, type StreamElement } from '../elements.js';
import { FrameDecodeError } from '../errors.js';

/** First byte of a compact batch (a v8 payload starts with 0xFF). */
const COMPACT = 0x01;
/** COMPACT, the element count and the structure's length (where the one-byte strings' characters begin), u32 LE each. */
const HEADER_BYTES = 9;
/** V8 makes a substring of at least this many characters a slice that keeps its parent alive. */
const MIN_SLICED_STRING = 13;

// Element tags. A record's tag carries whether a timestamp and a key group follow.
const E_WATERMARK = 1, E_END = 2, E_BARRIER = 3, E_IDLE_ON = 4, E_IDLE_OFF = 5;
const E_RECORD = 0x10, R_TS = 0x01, R_KG = 0x02;

// Value tags.
const V_UNDEFINED = 0, V_NULL = 1, V_TRUE = 2, V_FALSE = 3, V_INT = 4, V_DOUBLE = 5, V_LATIN1 = 6, V_UTF16 = 7, V_NEW_SHAPE = 8, V_SHAPE = 9;

/** Deepest nesting of plain objects encoded compactly (deeper: the batch goes through v8). */
const MAX_DEPTH = 16;

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

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

// ---- decoding ----

/** Characters of the strings' block made into one string at a time. */
const BLOCK_WINDOW = 32 * 1024;

type ObjectFactory = (values: unknown[]) => Record<string, unknown>;
/** Object makers by key list (joined by NUL; the list is compared too), at most FACTORY_CACHE of them. */
const factories = new Map<string, { keys: string[]; make: ObjectFactory | undefined }>();
const FACTORY_CACHE = 256;
const MAX_FACTORY_KEYS = 32;

/**
 * A function making an object of these keys from the values in order, as an object literal: many
 * times faster than a property store per key under a name known only at run time (V8's generic
 * keyed store). Keys are written as JSON string literals, so a key can only ever be a property name.
 * Undefined (key by key) for `__proto__`, more than MAX_FACTORY_KEYS keys, a full cache, or where
 * code generation is not allowed.
 */
function objectFactory(keys: string[]): ObjectFactory | undefined {
  const id = keys.join('\u0000');
  const known = factories.get(id);
  if (known && sameKeys(known.keys, keys)) return known.make;
  if (keys.length > MAX_FACTORY_KEYS || keys.includes('__proto__') || factories.size >= FACTORY_CACHE) return undefined;
  let make: ObjectFactory | undefined;
  try {
    make = new Function('v', `return { ${keys.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ')} };`) as ObjectFactory;
  } catch {
    make = undefined;
  }
  if (!known) factories.set(id, { keys, make });
  return make;
}

class Reader {
  pos = HEADER_BYTES;
  /** This batch's shapes: their keys, and the maker of their objects (objectFactory). */
  readonly shapes: Array<{ keys: string[]; make: ObjectFactory | undefined }> = [];
  /** Next character of the one-byte strings' block, as an offset in it. */
  private cpos = 0;
  /** A window of the block as one string, and where it is in the payload. */
  private block = '';
  private blockFrom = 0;
  private blockTo = 0;
  /** Per nesting depth, the values of the object being decoded there (reused). */
  private readonly scratch: unknown[][] = [];

  constructor(readonly b: Buffer, readonly end: number) {}

  need(n: number): void {
    if (this.pos + n > this.end) throw new FrameDecodeError('undecodable data batch: truncated');
  }

  byte(): number { this.need(1); return this.b[this.pos++]!; }

  varUint(): number {
    let n = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const c = this.byte();
      n += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) return n;
    }
    throw new FrameDecodeError('undecodable data batch: bad length');
  }

  double(): number { this.need(8); const x = this.b.readDoubleLE(this.pos); this.pos += 8; return x; }

  string(tag: number): string {
    const n = this.varUint();
    if (tag === V_UTF16) {
      this.need(2 * n);
      const s = this.b.toString('utf16le', this.pos, this.pos + 2 * n);
      this.pos += 2 * n;
      return s;
    }
    const at = this.end + this.cpos;
    if (at + n > this.b.length) throw new FrameDecodeError('undecodable data batch: truncated strings');
    this.cpos += n;
    // A short cut of the block is a copy; a longer one would be a slice holding the whole block.
    if (n >= MIN_SLICED_STRING) return this.b.toString('latin1', at, at + n);
    // The block is made into strings a window at a time: one string over 128 KB is a large object,
    // many times slower to make.
    if (at < this.blockFrom || at + n > this.blockTo) {
      this.blockFrom = at;
      this.blockTo = Math.min(this.b.length, at + BLOCK_WINDOW);
      this.block = this.b.toString('latin1', this.blockFrom, this.blockTo);
    }
    return this.block.substring(at - this.blockFrom, at - this.blockFrom + n);
  }

  /** Every character of the strings' block was used. */
  get charsLeft(): number { return this.b.length - this.end - this.cpos; }

  value(depth: number): unknown {
    const tag = this.byte();
    switch (tag) {
      case V_UNDEFINED: return undefined;
      case V_NULL: return null;
      case V_TRUE: return true;
      case V_FALSE: return false;
      case V_INT: { this.need(4); const x = this.b.readInt32LE(this.pos); this.pos += 4; return x; }
      case V_DOUBLE: return this.double();
      case V_LATIN1: case V_UTF16: return this.string(tag);
      case V_NEW_SHAPE: case V_SHAPE: {
        if (depth >= MAX_DEPTH) throw new FrameDecodeError('undecodable data batch: nested too deeply');
        let shape: { keys: string[]; make: ObjectFactory | undefined } | undefined;
        if (tag === V_SHAPE) shape = this.shapes[this.varUint()];
        else {
          const n = this.varUint();
          const keys: string[] = [];
          for (let i = 0; i < n; i++) {
            const t = this.byte();
            if (t !== V_LATIN1 && t !== V_UTF16) throw new FrameDecodeError('undecodable data batch: bad key');
            keys.push(this.string(t));
          }
          this.shapes.push(shape = { keys, make: objectFactory(keys) });
        }
        if (!shape) throw new FrameDecodeError('undecodable data batch: unknown shape');
        const { keys, make } = shape;
        if (make) {
          const vals = (this.scratch[depth] ??= []);
          for (let i = 0; i < keys.length; i++) vals[i] = this.value(depth + 1);
          return make(vals);
        }
        const o: Record<string, unknown> = {};
        for (const k of keys) {
          const v = this.value(depth + 1);
          // As structured clone does; a key `__proto__` must stay an own property.
          if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
          else o[k] = v;
        }
        return o;
      }
      default: throw new FrameDecodeError(`undecodable data batch: unknown value tag ${tag}`);
    }
  }

  element(): StreamElement {
    const tag = this.byte();
    if ((tag & 0xf0) === E_RECORD && (tag & 0x0c) === 0) {
      const ts = tag & R_TS ? this.double() : undefined;
      let kg: number | undefined;
      if (tag & R_KG) { this.need(2); kg = this.b.readUInt16LE(this.pos); this.pos += 2; }
      const v = this.value(0);
      return kg === undefined ? { t: RECORD, v, ts } : { t: RECORD, v, ts, kg };
    }
    switch (tag) {
      case E_WATERMARK: return { t: WATERMARK, wm: this.double() };
      case E_END: return { t: END };
      case E_BARRIER: {
        const id = this.double();
        const t = this.byte();
        if (t !== V_LATIN1 && t !== V_UTF16) throw new FrameDecodeError('undecodable data batch: bad barrier');
        return { t: BARRIER, id, dir: this.string(t) };
      }
      case E_IDLE_ON: return { t: IDLE, idle: true };
      case E_IDLE_OFF: return { t: IDLE, idle: false };
      default: throw new FrameDecodeError(`undecodable data batch: unknown element tag ${tag}`);
    }
  }
}

/** The elements of a frame's payload (either format); a FrameDecodeError when it is not a batch of stream elements. */
export function decodeBatchPayload(payload: Buffer): StreamElement[] {
  if (payload.length > 0 && payload[0] === COMPACT) {
    if (payload.length < HEADER_BYTES) throw new FrameDecodeError('undecodable data batch: truncated');
    const n = payload.readUInt32LE(1);
    const structure = payload.readUInt32LE(5);
    if (structure < HEADER_BYTES || structure > payload.length) throw new FrameDecodeError('undecodable data batch: bad structure length');
    const r = new Reader(payload, structure);
    // Every element takes at least a byte: a count beyond that is a lie, not a reason to allocate.
    if (n > payload.length) throw new FrameDecodeError('undecodable data batch: bad element count');
    const out: StreamElement[] = new Array<StreamElement>(n);
    for (let i = 0; i < n; i++) out[i] = r.element();
    if (r.pos !== structure || r.charsLeft !== 0) throw new FrameDecodeError('undecodable data batch: trailing bytes');
    return out;
  }
  let value: unknown;
  try {
    value = deserialize(payload);
  } catch (err) {
    throw new FrameDecodeError(`undecodable data batch: ${(err as Error).message}`);
  }
  if (!Array.isArray(value)) throw new FrameDecodeError('a data batch must be an array of stream elements');
  for (const e of value) {
    if (typeof e !== 'object' || e === null || typeof (e as { t?: unknown }).t !== 'number') throw new FrameDecodeError('a data batch holds something that is not a stream element');
  }
  return value as StreamElement[];
}
