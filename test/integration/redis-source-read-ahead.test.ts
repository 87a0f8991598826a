/**
 * The Redis Streams source reads ahead (the next XREAD is sent while a batch is processed): every
 * entry still comes exactly once and in order, whether entries arrive between polls, the backlog
 * probe reads in between (a read-ahead is dropped, not used twice), or the subtask's streams change
 * at a rescale; the checkpointed positions are those of the entries emitted, never of a read-ahead.
 * A poll blocked for input ends when woken (a checkpoint trigger), and its read goes on into the next.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Collector } from '../../runtime/elements.js';
import { RedisStreamSourceReader } from '../../runtime/connectors/redis-stream-source.js';
import type { StreamEntry } from '../../sdk/types.js';
import { deleteKeys } from '../helpers/dispatcher.js';
import { waitFor } from '../helpers/wait-for.js';

const prefix = `ebbtest-read-ahead-${randomBytes(4).toString('hex')}:`;
let redis: Redis;
const readers: RedisStreamSourceReader[] = [];

function collector(): Collector & { records: StreamEntry[] } {
  const records: StreamEntry[] = [];
  return { records, collect: (v) => { records.push(v as StreamEntry); }, watermark: () => {}, end: () => {} };
}

async function add(stream: string, from: number, n: number): Promise<void> {
  const pipe = redis.pipeline();
  for (let i = from; i < from + n; i++) pipe.xadd(stream, '*', 'n', String(i));
  await pipe.exec();
}

const numbers = (entries: StreamEntry[], stream?: string): number[] => entries.filter((e) => !stream || e.stream === stream).map((e) => Number(e.fields.n));
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

beforeAll(() => { redis = new Redis(inject('redisUrl')); });
afterAll(async () => {
  for (const r of readers) await r.close();
  await deleteKeys(redis, `${prefix}*`);
  redis.disconnect();
});

describe('Redis Streams source read-ahead', () => {
  it('every entry once and in order, with entries arriving between polls and backlog probes in between', async () => {
    for (const probeEveryMs of [undefined, 0]) {
      const s = [`${prefix}${probeEveryMs}:a`, `${prefix}${probeEveryMs}:b`];
      await add(s[0]!, 0, 2500);
      await add(s[1]!, 0, 700);
      const r = new RedisStreamSourceReader(0, { url: inject('redisUrl'), streams: s, startFrom: 'earliest', batchSize: 300 }, 0, 1);
      readers.push(r);
      r.backlogEveryMs = probeEveryMs;
      await r.open();
      const out = collector();
      let polls = 0;
      while (out.records.length < 2500 + 700 + 400) {
        await r.pollNext(out);
        // Entries added after a read-ahead was sent come with a later read.
        if (++polls === 3) await add(s[0]!, 2500, 400);
        expect(polls).toBeLessThan(100);
      }
      expect(numbers(out.records, s[0])).toEqual(range(0, 2900));
      expect(numbers(out.records, s[1])).toEqual(range(0, 700));
      // The checkpoint names the last entries emitted.
      const state = r.snapshotOperatorState();
      expect(state[s[0]!]!.pos).toBe(out.records.filter((e) => e.stream === s[0]).at(-1)!.id);
      expect(state[s[1]!]!.pos).toBe(out.records.filter((e) => e.stream === s[1]).at(-1)!.id);
    }
  });

  it('a read-ahead is dropped when the streams change at a rescale, and positions stay those emitted', async () => {
    const s = [`${prefix}rescale:a`, `${prefix}rescale:b`];
    await add(s[0]!, 0, 1000);
    await add(s[1]!, 0, 1000);
    const r = new RedisStreamSourceReader(0, { url: inject('redisUrl'), streams: s, startFrom: 'earliest', batchSize: 100 }, 0, 1);
    readers.push(r);
    await r.open();
    const out = collector();
    await r.pollNext(out); // 100 of each, and a read-ahead of the next 100 of each
    expect(out.records).toHaveLength(200);
    const snapshot = r.snapshotOperatorState();
    // Rescale to 2 subtasks: this one (index 0) keeps stream a only.
    expect(r.reassign(0, 2)).toBe(0);
    while (numbers(out.records, s[0]).length < 1000) await r.pollNext(out);
    expect(numbers(out.records, s[0])).toEqual(range(0, 1000));
    expect(numbers(out.records, s[1])).toEqual(range(0, 100));
    // Another subtask taking over stream b from the checkpoint goes on after the 100 emitted.
    const other = new RedisStreamSourceReader(0, { url: inject('redisUrl'), streams: s, startFrom: 'earliest', batchSize: 100 }, 1, 2);
    readers.push(other);
    other.restoreOperatorState([{ state: snapshot }]);
    await other.open();
    const rest = collector();
    while (rest.records.length < 900) await other.pollNext(rest);
    expect(numbers(rest.records)).toEqual(range(100, 900));
  });

  it('a poll blocked for input ends when woken; what arrives later is read once, by the next poll, and the position stays that of the entries emitted', async () => {
    const s = [`${prefix}wake:a`, `${prefix}wake:b`];
    await add(s[0]!, 0, 5);
    await add(s[1]!, 0, 5);
    const r = new RedisStreamSourceReader(0, { url: inject('redisUrl'), streams: s, startFrom: 'earliest', batchSize: 100 }, 0, 1);
    readers.push(r);
    // Block "forever": a poll that ends did so because it was woken, not because the block time ran out.
    r.blockMs = 600_000;
    await r.open();
    const out = collector();
    await r.pollNext(out);
    expect(out.records).toHaveLength(10);

    // Woken while blocked at Redis.
    const blocked = r.pollNext(out);
    await waitFor('the poll to block for input', () => r.waitingForInput);
    r.wake();
    await expect(blocked).resolves.toBe(true);
    expect(out.records).toHaveLength(10);
    expect(r.snapshotOperatorState()[s[0]!]!.pos).toBe(out.records.filter((e) => e.stream === s[0]).at(-1)!.id);

    // Woken before it blocks (the trigger came while it was reading): the wait ends as soon as it starts.
    const early = r.pollNext(out);
    r.wake();
    await expect(early).resolves.toBe(true);
    expect(out.records).toHaveLength(10);

    // The read left in flight gets what arrives next; nothing twice, nothing lost.
    await add(s[0]!, 5, 3);
    await add(s[1]!, 5, 2);
    while (out.records.length < 15) await r.pollNext(out);
    expect(numbers(out.records, s[0])).toEqual(range(0, 8));
    expect(numbers(out.records, s[1])).toEqual(range(0, 7));
  });
});
