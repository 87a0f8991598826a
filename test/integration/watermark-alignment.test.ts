/**
 * Watermark alignment against a real Redis: two source subtasks of one group, wired to the
 * JobMaster's aligner in memory, reading preloaded backlogs. The one that is polled more stops once
 * it is the max drift ahead of the other (and reads on when the other catches up); without
 * alignment it reads its whole backlog. Within one subtask a partition ahead of the bound waits
 * while a lagging one is read (split-level alignment).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WatermarkAligner } from '../../jobmaster/watermark-aligner.js';
import { RedisStreamSourceReader } from '../../runtime/connectors/redis-stream-source.js';
import type { Collector } from '../../runtime/elements.js';
import type { RedisStreamSourceOptions, StreamEntry } from '../../sdk/types.js';
import { deleteKeys } from '../helpers/dispatcher.js';

const prefix = `ebbtest-wm-align-${randomBytes(4).toString('hex')}:`;
let redis: Redis;
const readers: RedisStreamSourceReader[] = [];

/** `n` entries with event times 0, 10, 20, … ms. */
async function fill(stream: string, n: number): Promise<void> {
  const p = redis.pipeline();
  for (let i = 0; i < n; i++) p.xadd(stream, '*', 'ts', String(i * 10));
  await p.exec();
}

function collector(): Collector & { records: StreamEntry[]; wm: number } {
  const c = { records: [] as StreamEntry[], wm: -Infinity, collect: (v: unknown) => { c.records.push(v as StreamEntry); }, watermark: (w: number) => { c.wm = w; }, end: () => {} };
  return c;
}

function options(streams: string[], alignment: boolean): RedisStreamSourceOptions {
  return {
    url: inject('redisUrl'), streams, startFrom: 'earliest', batchSize: 50, // 500 ms of event time per read
    watermarks: { timestamp: (e) => Number(e.fields.ts), maxOutOfOrdernessMs: 0, ...(alignment ? { alignment: { group: 'g', maxDriftMs: 1000, updateIntervalMs: 1 } } : {}) },
  };
}

/** Source subtasks 0..p-1 of `streams`, their reports going to one aligner that announces to all of them. */
async function group(streams: string[], p: number, alignment: boolean): Promise<{ readers: RedisStreamSourceReader[]; aligner: WatermarkAligner }> {
  const rs = Array.from({ length: p }, (_, i) => new RedisStreamSourceReader(0, options(streams, alignment), i, p));
  readers.push(...rs);
  const aligner = new WatermarkAligner(() => true, (g, bound, slowest) => {
    rs.forEach((r, i) => { if (r.alignment?.group === g) r.alignment.announce(bound, slowest === `e${i}`); });
  });
  rs.forEach((r, i) => {
    if (!r.alignment) return;
    r.alignment.reporter = (g, watermark, maxDriftMs) => aligner.report({ executionId: `e${i}`, group: g, watermark, maxDriftMs });
    r.alignment.everyMs = 0; // a report at every poll, so the test does not depend on how long a poll takes
  });
  for (const r of rs) await r.open();
  return { readers: rs, aligner };
}

beforeAll(() => { redis = new Redis(inject('redisUrl')); });
afterAll(async () => {
  for (const r of readers) await r.close();
  await deleteKeys(redis, `${prefix}*`);
  redis.disconnect();
});

describe('watermark alignment of Redis Streams sources', () => {
  it('stops the subtask that runs ahead at the max drift, and lets it read on when the other catches up', async () => {
    const [a, b] = [`${prefix}a1`, `${prefix}b1`];
    await fill(a, 1000);
    await fill(b, 1000);
    const { readers: [fast, slow], aligner } = await group([a, b], 2, true);
    const fastOut = collector();
    const slowOut = collector();
    // A subtask reports before it reads: after two polls the slow one has reported 490 (and read on to 990).
    for (let i = 0; i < 2; i++) await slow.pollNext(slowOut);
    for (let i = 0; i < 20; i++) await fast.pollNext(fastOut);
    expect(slowOut.wm).toBe(990);
    // The fast one read on until its watermark passed 490 + 1000, then waited.
    expect(fastOut.wm).toBeGreaterThan(1490);
    expect(fastOut.wm).toBeLessThanOrEqual(1490 + 500);
    expect(fast.alignment!.pausedPolls).toBeGreaterThan(0);
    expect(aligner.bounds()).toEqual({ g: 1490 });
    const stoppedAt = fastOut.records.length;
    for (let i = 0; i < 4; i++) await slow.pollNext(slowOut); // 490 → 2490
    for (let i = 0; i < 4; i++) await fast.pollNext(fastOut);
    expect(fastOut.records.length).toBeGreaterThan(stoppedAt);
    expect(fastOut.wm).toBeLessThanOrEqual(slowOut.wm + 1000 + 500);
  });

  it('without alignment the subtask polled more reads its whole backlog', async () => {
    const [a, b] = [`${prefix}a2`, `${prefix}b2`];
    await fill(a, 1000);
    await fill(b, 1000);
    const { readers: [fast, slow] } = await group([a, b], 2, false);
    const fastOut = collector();
    await slow.pollNext(collector());
    for (let i = 0; i < 20; i++) await fast.pollNext(fastOut);
    expect(fastOut.records).toHaveLength(1000);
    expect(fast.alignment).toBeUndefined();
  });

  it('within a subtask, reads only the partitions within the bound', async () => {
    const [lag, ahead, other] = [`${prefix}lag`, `${prefix}ahead`, `${prefix}other`];
    await fill(lag, 1000);
    await fill(ahead, 1000);
    const p = redis.pipeline(); // `other` starts 5 s later in event time
    for (let i = 0; i < 1000; i++) p.xadd(other, '*', 'ts', String(5000 + i * 10));
    await p.exec();
    // Streams j → subtask j mod 2: subtask 0 owns `lag` and `other`, subtask 1 owns `ahead`.
    const { readers: [two, one] } = await group([lag, ahead, other], 2, true);
    const twoOut = collector();
    // Subtask 1 reads two batches and so reports 490 (the group's bound: 1490), then is not polled again.
    for (let i = 0; i < 2; i++) await one.pollNext(collector());
    // Subtask 0 reads a batch of both; then `other` (at 5490) is past the bound and waits while `lag`
    // is read up to the bound; then it waits too.
    for (let i = 0; i < 10; i++) await two.pollNext(twoOut);
    const perStream = (s: string) => twoOut.records.filter((e) => e.stream === s).length;
    expect(perStream(other)).toBe(50);
    expect(perStream(lag)).toBe(200); // 490, 990, 1490 (at the bound, still read), 1990
    expect(two.alignment!.pausedPolls).toBeGreaterThan(0);
    expect(twoOut.wm).toBe(1990);
  });

  it('does not hold the slowest subtask (a group of one reads its whole backlog between reports)', async () => {
    const [a, b] = [`${prefix}solo-a`, `${prefix}solo-b`];
    await fill(a, 1000);
    await fill(b, 1000);
    const { readers: [solo] } = await group([a, b], 1, true);
    solo.alignment!.everyMs = 60_000; // one report (at the first poll), then none during the test
    const out = collector();
    for (let i = 0; i < 25; i++) await solo.pollNext(out);
    // Its own report is the group's lowest: the stale bound (−∞ + drift) does not hold it; its two
    // streams, in step, are both within its own watermark + drift at every poll.
    expect(out.records).toHaveLength(2000);
    expect(solo.alignment!.slowest).toBe(true);
  });

  it('rejects bad alignment options with the key named', async () => {
    const { validateAlignment } = await import('../../runtime/connectors/watermark-alignment.js');
    expect(() => validateAlignment({ group: '', maxDriftMs: 1 })).toThrow(/alignment\.group/);
    expect(() => validateAlignment({ group: 'g', maxDriftMs: -1 })).toThrow(/alignment\.maxDriftMs/);
    expect(() => validateAlignment({ group: 'g', maxDriftMs: 1, updateIntervalMs: 0 })).toThrow(/alignment\.updateIntervalMs/);
    expect(() => validateAlignment({ group: 'g', maxDriftMs: 1, updateIntervalMs: 200 })).not.toThrow();
  });
});
