/**
 * Reads a data batch's payload: the compact format (batch-format.ts), or node:v8's structured clone
 * (its first byte tells which). Malformed input of either kind is a FrameDecodeError, never a crash.
 */
import { deserialize } from 'node:v8';
import { BARRIER, END, IDLE, RECORD, WATERMARK, type StreamElement } from '../elements.js';
import { FrameDecodeError } from '../errors.js';
import { Latin1Cutter, objectFactory, type ObjectFactory } from '../fast-decode.js';
import {
  COMPACT, E_BARRIER, E_END, E_IDLE_OFF, E_IDLE_ON, E_RECORD, E_WATERMARK, HEADER_BYTES, MAX_DEPTH, R_KG, R_TS,
  V_DOUBLE, V_FALSE, V_INT, V_LATIN1, V_NEW_SHAPE, V_NULL, V_SHAPE, V_TRUE, V_UNDEFINED, V_UTF16,
} from './batch-format.js';

class Reader {
  pos = HEADER_BYTES;
  /** This batch's shapes: their keys, and the maker of their objects (objectFactory). */
  readonly shapes: Array<{ keys: string[]; make: ObjectFactory | undefined }> = [];
  /** Next character of the one-byte strings' block, as an offset in it. */
  private cpos = 0;
  /** The block's short strings (its characters follow the structure, to the end of the payload). */
  private readonly block: Latin1Cutter;
  /** Per nesting depth, the values of the object being decoded there (reused). */
  private readonly scratch: unknown[][] = [];

  constructor(readonly b: Buffer, readonly end: number) {
    this.block = new Latin1Cutter(b, b.length);
  }

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
    return this.block.cut(at, n);
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
