/**
 * The data batch codec: what goes through the compact format comes back exactly as node:v8's
 * structured clone would bring it back; everything else still goes through v8; malformed payloads
 * are FrameDecodeErrors.
 */
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { BARRIER, END, IDLE, RECORD, WATERMARK, type StreamElement } from '../../runtime/elements.js';
import { FrameDecodeError } from '../../runtime/errors.js';
import { decodeBatchPayload, encodeBatchPayload } from '../../runtime/network/batch-codec.js';

const COMPACT = 0x01;
const V8 = 0xff;

/** Round trip through the codec, and the same batch through v8 (what the data plane did before). */
function both(batch: StreamElement[]): { got: StreamElement[]; v8: StreamElement[]; format: number } {
  const payload = encodeBatchPayload(batch);
  return { got: decodeBatchPayload(payload), v8: deserialize(serialize(batch)) as StreamElement[], format: payload[0]! };
}

describe('data batch codec', () => {
  it('records of strings, numbers and plain objects go compact and come back as structured clone brings them', () => {
    const batch: StreamElement[] = [
      { t: RECORD, v: { from: 'acct-1', to: 'acct-2', cents: 1230, ts: 1_700_000_000_123 }, ts: 1_700_000_000_123, kg: 77 },
      { t: RECORD, v: { from: 'acct-3', to: 'acct-4', cents: 5, ts: 1 }, ts: 1, kg: 32767 },
      { t: RECORD, v: { a: -0, b: NaN, c: Infinity, d: -Infinity, e: 2 ** 31, f: -(2 ** 31), g: 0.1, h: Number.MAX_SAFE_INTEGER }, ts: undefined },
      { t: RECORD, v: { s: '', u: 'ünïcødé €', surrogate: '\ud800 lone', emoji: '🙂', long: 'x'.repeat(40), latin: 'café'.repeat(5) }, ts: -5 },
      { t: RECORD, v: { nested: { deeper: { n: 1, z: null, u: undefined, yes: true, no: false } }, '2': 'integer-like key', '1': 'first', __proto__x: 1 }, ts: 3 },
      { t: RECORD, v: 'plain string', ts: 4 },
      { t: RECORD, v: 42, ts: 5 },
      { t: RECORD, v: null, ts: 6 },
      { t: RECORD, v: {}, ts: 7 },
      { t: RECORD, v: { ['a\u0000b']: 1, c: 2 }, ts: 8 },
      { t: RECORD, v: { a: 1, ['b\u0000c']: 2 }, ts: 9 },
      { t: WATERMARK, wm: Infinity },
      { t: WATERMARK, wm: -Infinity },
      { t: BARRIER, id: 12, dir: '/tmp/chk-12/ünï' },
      { t: IDLE, idle: true },
      { t: IDLE, idle: false },
      { t: END },
    ];
    const { got, v8, format } = both(batch);
    expect(format).toBe(COMPACT);
    expect(got).toStrictEqual(v8);
    expect(Object.is((got[2] as { v: { a: number } }).v.a, -0)).toBe(true);
    expect(Object.keys((got[4] as { v: object }).v)).toEqual(Object.keys((v8[4] as { v: object }).v));
    expect('kg' in got[2]!).toBe(false);
    expect('ts' in got[2]!).toBe(true);
  });

  it('a key named __proto__ stays an own property', () => {
    const v = JSON.parse('{"__proto__": {"polluted": 1}, "a": 2}') as object;
    const { got, v8, format } = both([{ t: RECORD, v, ts: 1 }]);
    expect(format).toBe(COMPACT);
    expect(got).toStrictEqual(v8);
    expect(Object.getPrototypeOf((got[0] as { v: object }).v)).toBe(Object.prototype);
    expect(Object.keys((got[0] as { v: object }).v)).toEqual(['__proto__', 'a']);
  });

  it('many shapes and large batches', () => {
    const batch: StreamElement[] = [];
    for (let i = 0; i < 5000; i++) batch.push({ t: RECORD, v: i % 3 ? { [`k${i % 300}`]: i, s: `s${i}`.repeat(i % 20) } : { from: `a${i}`, to: `b${i}` }, ts: i, kg: i % 128 });
    const { got, v8, format } = both(batch);
    expect(format).toBe(COMPACT);
    expect(got).toStrictEqual(v8);
  });

  it('anything else sends the whole batch through v8, which keeps it', () => {
    class Point { constructor(public x: number) {} }
    for (const v of [10n ** 20n, [1, 2], new Map([[1, 2]]), new Date(5), { nested: [1] }, { big: 1n }, new Point(1), Object.create(null) as object, new Uint8Array([1])]) {
      const batch: StreamElement[] = [{ t: RECORD, v: { ok: 'x' }, ts: 1 }, { t: RECORD, v, ts: 2 }];
      const { got, v8, format } = both(batch);
      expect(format).toBe(V8);
      expect(got).toStrictEqual(v8);
    }
  });

  it('the format does not lose its state between batches', () => {
    for (let i = 0; i < 3; i++) {
      expect(both([{ t: RECORD, v: { a: i }, ts: 1 }]).got).toStrictEqual([{ t: RECORD, v: { a: i }, ts: 1 }]);
      expect(both([{ t: RECORD, v: 1n, ts: 1 }]).format).toBe(V8);
      expect(both([{ t: RECORD, v: { b: 'x', a: i }, ts: 1 }]).got).toStrictEqual([{ t: RECORD, v: { b: 'x', a: i }, ts: 1 }]);
    }
  });

  it('malformed compact payloads are decode errors, whatever is cut or changed', () => {
    const payload = encodeBatchPayload([
      { t: RECORD, v: { from: 'acct-1', to: 'a'.repeat(30), u: 'ü€' }, ts: 1, kg: 3 },
      { t: BARRIER, id: 1, dir: 'd' },
      { t: WATERMARK, wm: 5 },
    ]);
    expect(payload[0]).toBe(COMPACT);
    for (let cut = 0; cut < payload.length; cut++) expect(() => decodeBatchPayload(payload.subarray(0, cut))).toThrow(FrameDecodeError);
    expect(() => decodeBatchPayload(Buffer.concat([payload, Buffer.from([0])]))).toThrow(FrameDecodeError);
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const bad = Buffer.from(payload);
      bad[1 + (rnd() % (bad.length - 1))] = rnd() & 0xff;
      try {
        const els = decodeBatchPayload(bad);
        for (const e of els) expect(typeof e.t).toBe('number');
      } catch (err) {
        expect(err).toBeInstanceOf(FrameDecodeError);
      }
    }
  });

  it('v8 payloads from before still decode', () => {
    const batch: StreamElement[] = [{ t: RECORD, v: { big: 10n ** 20n }, ts: 1 }, { t: END }];
    expect(decodeBatchPayload(serialize(batch))).toStrictEqual(batch);
    expect(() => decodeBatchPayload(serialize({ not: 'an array' }))).toThrow(FrameDecodeError);
  });
});
