/**
 * The Redis Streams source's XREAD reply, parsed straight into StreamEntry objects (the connection
 * that reads it: redis-xread-connection.ts). A reply is checked to be ASCII in one native call and
 * its short strings are cut out of windows of it made into one string; field names repeat from entry
 * to entry and are reused, not re-made, and an entry's fields object is made by an object literal
 * for its names. Replies with other bytes take a UTF-8 decode per string, as ioredis does (same
 * results).
 */
import { isAscii } from 'node:buffer';
import type { StreamEntry } from '../../sdk/types.js';
import { Latin1Cutter, objectFactory, type ObjectFactory } from '../fast-decode.js';

/** The entries one XREAD returned for one stream. */
export interface StreamBatch { stream: string; entries: StreamEntry[] }

/** An error reply from Redis, or a reply that is not what XREAD answers. */
export class RedisReplyError extends Error {}

const CR = 13;
/** Entries with more fields than this are built field by field (and their names not kept). */
const MAX_FIELDS = 32;

/** Node's Buffer UTF-8 slicing without toString's encoding lookup (on every Buffer, not in @types/node). */
interface Utf8Sliceable extends Buffer { utf8Slice(start: number, end: number): string }

/**
 * Where the RESP line from `from` ends (its CR), with its integer in `out.int`; -1 while the CR has
 * not arrived (before `len`). Throws on a character that is not part of an integer.
 */
export function respLine(b: Buffer, from: number, len: number, out: { int: number }): number {
  let i = from;
  let sign = 1;
  if (i < len && b[i] === 0x2d) { sign = -1; i++; }
  let n = 0;
  for (; i < len; i++) {
    const c = b[i]!;
    if (c === CR) { out.int = sign * n; return i; }
    const d = c - 48;
    if (d < 0 || d > 9) throw new Error('a bad length in a Redis reply');
    n = n * 10 + d;
  }
  return -1;
}

/** Parses XREAD replies; keeps what entries share from one reply to the next (field names, the fields maker). */
export class XreadReplyParser {
  /** Field names seen at each position of an entry, reused when the same name comes again. */
  private readonly names: string[] = [];
  /** How many fields the last entry had, and a maker of a fields object for its names (objectFactory). */
  private fieldCount = -1;
  private factory: ObjectFactory | undefined;
  /** An entry's values, in order (reused). */
  private readonly values: string[] = [];

  /** The fields of an entry with more than MAX_FIELDS fields, the plain way. */
  private manyFields(nFlat: number, str: () => string): Record<string, string> {
    const fields: Record<string, string> = {};
    for (let k = 0; k + 1 < nFlat; k += 2) {
      const f = str();
      fields[f] = str();
    }
    if (nFlat % 2 === 1) str();
    this.fieldCount = -1;
    return fields;
  }

  /** The XREAD reply in b[0, end): null, or per stream its entries. */
  parse(b: Buffer, end: number): StreamBatch[] | null {
    const ascii = isAscii(b.subarray(0, end));
    // Short strings are cut out of a window of the reply made into one string (fast-decode.ts): one
    // string of a whole 400 KB reply took ~50× longer to make than the same bytes in 32 KB pieces.
    const text = new Latin1Cutter(b, end);
    const line = { int: 0 };
    let off = 0;
    const fail = (): never => { throw new RedisReplyError('unexpected reply to XREAD'); };
    /** Reads a `*n` or `$n` header of the expected type; -1 for a null. */
    const header = (type: number): number => {
      if (b[off] !== type) fail();
      const lineEnd = respLine(b, off + 1, end, line);
      if (lineEnd < 0 || lineEnd >= end) fail();
      off = lineEnd + 2;
      return line.int;
    };
    const str = (): string => {
      const n = header(0x24);
      if (n < 0) fail();
      const s = ascii ? text.cut(off, n) : (b as Utf8Sliceable).utf8Slice(off, off + n);
      off += n + 2;
      return s;
    };
    /** Set when an entry's field names differ from the last entry's. */
    let renamed = false;
    const name = (i: number): string => {
      const known = this.names[i];
      if (ascii && known !== undefined && b[off] === 0x24) {
        // `$<len>\r\n<name>\r\n` with the name seen last time at this position: no new string.
        const lineEnd = respLine(b, off + 1, end, line);
        const n = line.int;
        if (lineEnd > 0 && n === known.length && lineEnd + 2 + n <= end) {
          const at = lineEnd + 2;
          let j = 0;
          while (j < n && b[at + j] === known.charCodeAt(j)) j++;
          if (j === n) {
            off = at + n + 2;
            return known;
          }
        }
      }
      const s = str();
      renamed = true;
      this.names[i] = s;
      return s;
    };
    const nStreams = header(0x2a);
    if (nStreams < 0) return null;
    const out: StreamBatch[] = [];
    for (let si = 0; si < nStreams; si++) {
      if (header(0x2a) !== 2) fail();
      const stream = str();
      const nEntries = header(0x2a);
      const entries: StreamEntry[] = new Array<StreamEntry>(Math.max(nEntries, 0));
      for (let ei = 0; ei < nEntries; ei++) {
        if (header(0x2a) !== 2) fail();
        const id = str();
        const nFlat = header(0x2a);
        const nFields = nFlat > 0 ? nFlat >> 1 : 0;
        if (nFields > MAX_FIELDS) { entries[ei] = { stream, id, fields: this.manyFields(nFlat, str) }; continue; }
        const vals = this.values;
        renamed = nFields !== this.fieldCount;
        for (let k = 0; k < nFields; k++) {
          name(k);
          vals[k] = str();
        }
        if (nFlat > 0 && nFlat % 2 === 1) str(); // an odd count cannot happen; skip the stray element
        if (renamed) {
          this.fieldCount = nFields;
          this.factory = objectFactory(this.names.slice(0, nFields));
        }
        let fields: Record<string, string>;
        if (this.factory) fields = this.factory(vals) as Record<string, string>;
        else {
          fields = {};
          for (let k = 0; k < nFields; k++) fields[this.names[k]!] = vals[k]!;
        }
        entries[ei] = { stream, id, fields };
      }
      out.push({ stream, entries });
    }
    if (off !== end) fail();
    return out;
  }
}
