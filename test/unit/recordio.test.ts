/**
 * RecordIO decoding of the Mesos SUBSCRIBE stream (resourcemanager/mesos/recordio.ts): every way of
 * splitting a stream into chunks gives the same records, including splits inside a size line and
 * between a size line and its data; corrupt input fails with a clear error and never hangs or
 * buffers without bound.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 as rng } from '../../examples/fraud-detection/generator.js';
import { RecordIOError } from '../../resourcemanager/mesos/errors.js';
import { encodeRecord, RecordIODecoder } from '../../resourcemanager/mesos/recordio.js';

const SUBSCRIBED = '{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"f3a0e6c2-0d7f-4d5e-9a57-1c2b3d4e5f60-0000"},"heartbeat_interval_seconds":15.0}}';
const HEARTBEAT = '{"type":"HEARTBEAT"}';

function decodeAll(chunks: Buffer[], encoding: BufferEncoding = 'utf8'): string[] {
  const d = new RecordIODecoder();
  const out: string[] = [];
  for (const c of chunks) for (const r of d.push(c)) out.push(r.toString(encoding));
  d.end();
  return out;
}

describe('RecordIO', () => {
  it('frames by byte length: the reference example is exactly these bytes', () => {
    const stream = Buffer.concat([encodeRecord(SUBSCRIBED), encodeRecord(HEARTBEAT)]);
    expect(stream.toString('utf8')).toBe(`139\n${SUBSCRIBED}20\n${HEARTBEAT}`);
    expect(encodeRecord('{"type":"ERROR","error":{"message":"Framework has been removed"}}').toString()).toMatch(/^65\n/);
    // Multi-byte UTF-8: the size counts bytes, not characters.
    expect(encodeRecord('{"m":"é€"}').toString('latin1').split('\n')[0]).toBe(String(Buffer.byteLength('{"m":"é€"}')));
  });

  it('decodes the same records from every split of a stream into two and three chunks', () => {
    const records = [SUBSCRIBED, HEARTBEAT, '', '{"m":"é€"}', HEARTBEAT];
    const stream = Buffer.concat(records.map((r) => encodeRecord(r)));
    for (let i = 0; i <= stream.length; i++) {
      expect(decodeAll([stream.subarray(0, i), stream.subarray(i)])).toEqual(records);
    }
    for (let i = 0; i <= stream.length; i += 3) {
      for (let j = i; j <= stream.length; j += 5) {
        expect(decodeAll([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)])).toEqual(records);
      }
    }
  });

  it('decodes a byte at a time and in random chunk sizes, with binary records', () => {
    const next = rng(7);
    const records = Array.from({ length: 200 }, (_, i) => Buffer.from(Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256))).toString('latin1') + i);
    const stream = Buffer.concat(records.map((r) => encodeRecord(Buffer.from(r, 'latin1'))));
    const d = new RecordIODecoder();
    const out: string[] = [];
    for (let i = 0; i < stream.length; i++) for (const r of d.push(stream.subarray(i, i + 1))) out.push(r.toString('latin1'));
    expect(out).toEqual(records);
    for (let round = 0; round < 20; round++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length;) {
        const n = 1 + Math.floor(next() * 700);
        chunks.push(stream.subarray(i, i + n));
        i += n;
      }
      expect(decodeAll(chunks, 'latin1')).toEqual(records);
    }
  });

  it('returns records that stay valid while later chunks arrive', () => {
    const d = new RecordIODecoder();
    const stream = Buffer.concat([encodeRecord('first'), encodeRecord('second')]);
    const [first] = d.push(stream.subarray(0, 9));
    stream.fill(0x41, 0, 9); // the caller reuses its buffer
    expect(d.push(stream.subarray(9)).map(String)).toEqual(['second']);
    expect(first!.toString()).toBe('first');
  });

  it('fails clearly on a size that is not decimal digits, an empty size line, a record over the limit, or a truncated stream', () => {
    expect(() => new RecordIODecoder().push(Buffer.from('12a\n'))).toThrow(/decimal digits, got byte 0x61 at offset 2/);
    expect(() => new RecordIODecoder().push(Buffer.from('-5\n'))).toThrow(RecordIOError);
    expect(() => new RecordIODecoder().push(Buffer.from(' 5\nhello'))).toThrow(/0x20/);
    expect(() => new RecordIODecoder().push(Buffer.from('5\r\nhello'))).toThrow(/0x0d/);
    expect(() => new RecordIODecoder().push(Buffer.from('\nx'))).toThrow(/empty/);
    expect(() => new RecordIODecoder(1000).push(Buffer.from('1001\n'))).toThrow(/larger than the limit of 1000/);
    expect(() => new RecordIODecoder().push(Buffer.from('9'.repeat(21)))).toThrow(/longer than 20 digits/);
    const d = new RecordIODecoder();
    d.push(Buffer.from('10\nabc'));
    expect(() => d.end()).toThrow(/ended inside a record \(3 byte\(s\) of a 10-byte record\)/);
    // Once failed, it stays failed: a corrupt stream is reconnected, not resumed.
    const bad = new RecordIODecoder();
    expect(() => bad.push(Buffer.from('x'))).toThrow(RecordIOError);
    expect(() => bad.push(encodeRecord(HEARTBEAT))).toThrow(RecordIOError);
  });

  it('random bytes either decode into records or fail with RecordIOError; nothing else, and nothing grows unbounded', () => {
    const next = rng(42);
    let failed = 0;
    for (let round = 0; round < 500; round++) {
      const d = new RecordIODecoder(4096);
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(next() * 64) }, () => (next() < 0.6 ? 0x30 + Math.floor(next() * 10) : next() < 0.5 ? 0x0a : Math.floor(next() * 256))));
      try {
        for (let i = 0; i < bytes.length; i += 7) d.push(bytes.subarray(i, i + 7));
        expect(d.pendingBytes).toBeLessThanOrEqual(4096 + 21);
      } catch (err) {
        expect(err).toBeInstanceOf(RecordIOError);
        failed++;
      }
    }
    expect(failed).toBeGreaterThan(0);
  });
});
