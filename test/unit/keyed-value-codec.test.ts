/** The bytes of a keyed-state entry: node:v8 for plain values, a header and the pieces as they are for SerializedParts. */
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { chunksLength, decodeKeyedValue, encodeKeyedValue, SerializedParts } from '../../runtime/checkpoint/keyed-value-codec.js';

describe('keyed value codec', () => {
  it('writes a plain value as its node:v8 bytes (a function stands for its value)', () => {
    const chunks = encodeKeyedValue(() => ({ a: 1, b: [2n, 'x'] }));
    expect(chunks).toHaveLength(1);
    expect(Buffer.from(chunks[0]!)).toEqual(serialize({ a: 1, b: [2n, 'x'] }));
    expect(decodeKeyedValue(chunks[0]!)).toEqual({ a: 1, b: [2n, 'x'] });
  });

  it('writes serialized parts without copying them and reads them back in order', () => {
    const parts = [serialize([10, ['a'], null, [1]]), new Uint8Array(0), Buffer.alloc(300, 7)];
    const chunks = encodeKeyedValue(new SerializedParts(parts));
    // The pieces themselves follow a small header: nothing was copied into one buffer.
    expect(chunks.slice(1)).toEqual(parts);
    expect(chunks[1]).toBe(parts[0]);
    expect(chunks[0]!.length).toBeLessThan(10);
    const bytes = Buffer.concat(chunks);
    expect(chunksLength(chunks)).toBe(bytes.length);
    const back = decodeKeyedValue(bytes) as Uint8Array[];
    expect(back.map((b) => Buffer.from(b))).toEqual(parts.map((p) => Buffer.from(p)));
  });

  it('refuses truncated or padded entries in parts with a clear error', () => {
    const bytes = Buffer.concat(encodeKeyedValue(new SerializedParts([Buffer.from('hello'), Buffer.from('world')])));
    expect(() => decodeKeyedValue(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => decodeKeyedValue(bytes.subarray(0, 2))).toThrow(/truncated/);
    expect(() => decodeKeyedValue(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/after its last part/);
  });
});
