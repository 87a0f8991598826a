/**
 * The Redis Streams source against a real Redis: what is there is read without blocking (no wait
 * counted), and a poll that had to wait for the next entry counts that wait (`waitedMs`), which the
 * subtask books as idle time. Without it a source fed a trickle reads as fully busy.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Collector } from '../../runtime/elements.js';
import { RedisStreamSourceReader } from '../../runtime/connectors/redis-stream-source.js';
import { deleteKeys } from '../helpers/dispatcher.js';

const prefix = `ebbtest-source-wait-${randomBytes(4).toString('hex')}:`;
let redis: Redis;
const readers: RedisStreamSourceReader[] = [];

function collector(): Collector & { records: unknown[] } {
  const records: unknown[] = [];
  return { records, collect: (v) => { records.push(v); }, watermark: () => {}, end: () => {} };
}

async function reader(stream: string): Promise<RedisStreamSourceReader> {
  const r = new RedisStreamSourceReader(0, { url: inject('redisUrl'), streams: [stream], startFrom: 'earliest' }, 0, 1);
  readers.push(r);
  await r.open();
  return r;
}

beforeAll(() => { redis = new Redis(inject('redisUrl')); });
afterAll(async () => {
  for (const r of readers) await r.close();
  await deleteKeys(redis, `${prefix}*`);
  redis.disconnect();
});

describe('Redis Streams source wait time', () => {
  it('reads entries that are there without counting a wait', async () => {
    const s = `${prefix}ready`;
    for (let i = 0; i < 5; i++) await redis.xadd(s, '*', 'n', String(i));
    const r = await reader(s);
    const out = collector();
    expect(await r.pollNext(out)).toBe(true);
    expect(out.records).toHaveLength(5);
    expect(r.waitedMs).toBe(0);
  });

  it('counts the wait of a poll that blocked until an entry arrived, and reads that entry', async () => {
    const s = `${prefix}trickle`;
    await redis.xadd(s, '*', 'n', 'first');
    const r = await reader(s);
    const out = collector();
    await r.pollNext(out);
    expect(out.records).toHaveLength(1);
    // The next entry comes 120 ms after the poll starts: the poll blocks for it.
    const started = performance.now();
    const add = new Promise<void>((resolve) => setTimeout(() => { void redis.xadd(s, '*', 'n', 'second').then(() => resolve()); }, 120));
    expect(await r.pollNext(out)).toBe(true);
    await add;
    const took = performance.now() - started;
    expect(out.records).toHaveLength(2);
    // A timer never fires early: the read blocked at least ~120 ms (less the non-blocking read before it), and never longer than the poll.
    expect(r.waitedMs).toBeGreaterThanOrEqual(100);
    expect(r.waitedMs).toBeLessThanOrEqual(took);
  });
});
