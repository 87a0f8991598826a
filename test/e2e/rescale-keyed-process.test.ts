/**
 * In-place rescaling of a keyed process function (state and event-time timers rather than windows):
 * per account, per second of event time, a bucket in map state that every record changes in place
 * (the hard case for copy-on-write checkpoints) and a timer that emits and deletes the bucket when
 * the watermark passes the second. Input keeps arriving while the job is rescaled 2 → 3 → 1 → 2;
 * then a TaskManager is killed, so the job restores from a checkpoint (copy-on-write) taken at the
 * new scale. The output must equal the buckets computed here from the input, each exactly once.
 * (Whether a late-serialized key group is the state at its barrier is shown, with state large enough
 * to be changed before it is serialized, by test/unit/pending-snapshot.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { deleteKeys, json, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { exceptionEntries, taskManagerPids, trickle } from '../helpers/faults.js';
import { jobState, OOO, runJar, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import { jobLogTails, rescale } from '../helpers/rescale.js';

const BUNDLE = `export default function (env, args) {
  const [url, input, output, ooo] = args;
  env.fromRedisStreams({ url, streams: input.split(','), startFrom: 'earliest',
                         watermarks: { timestamp: (e) => Number(e.fields.ts), maxOutOfOrdernessMs: Number(ooo) } })
    .map((e) => ({ from: e.fields.from, cents: Math.round(Number(e.fields.amount) * 100), ts: Number(e.fields.ts) }), 'Parse')
    .keyBy((t) => t.from)
    .process({
      processElement(t, ctx) {
        const end = Math.floor(t.ts / 1000) * 1000 + 1000;
        const buckets = ctx.state.map('buckets');
        const b = buckets.get(end);
        if (b) { b.n++; b.cents += t.cents; }
        else { buckets.set(end, { n: 1, cents: t.cents }); ctx.timers.registerEventTimeTimer(end - 1); }
      },
      onTimer(ts, ctx) {
        const buckets = ctx.state.map('buckets');
        const b = buckets.get(ts + 1);
        buckets.delete(ts + 1);
        ctx.emit({ key: ctx.key, end: ts + 1, n: b.n, cents: b.cents });
      },
    }, 'Buckets per account')
    .sinkTo(env.redisStreamSink({ url, stream: output, fields: (r) => ({ key: r.key, end: String(r.end), n: String(r.n), cents: String(r.cents) }) }));
}
`;

let d: TestDispatcher;
let jar: string;
const tag = `ebbtest-rescale-kp-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  d = await startTestDispatcher();
  const res = await upload(d.url, 'buckets.mjs', Buffer.from(BUNDLE));
  expect(res.status).toBe(200);
  jar = (await json(res)).filename;
});
afterAll(async () => { await deleteKeys(d.redis, `${tag}*`); await d?.close(); });

describe('in-place rescaling of a keyed process function', () => {
  it('keeps state changed in place and timers exact across 2 → 3 → 1 → 2 under input, and across a restore after a TaskManager is killed', async () => {
    const streams = [0, 1, 2, 3].map((i) => `${tag}-in-${i}`);
    const output = `${tag}-out`;
    const txns = generateTransactions({ seed: 77, count: 16_000, streams });
    const lastTs = Math.max(...txns.map((t) => t.ts));
    // Computed here: one line per (account, second of event time).
    const buckets = new Map<string, { n: number; cents: number }>();
    for (const t of txns) {
      const id = `${t.from}|${Math.floor(t.ts / 1000) * 1000 + 1000}`;
      const b = buckets.get(id) ?? { n: 0, cents: 0 };
      b.n++;
      b.cents += Math.round(Number(t.amount) * 100);
      buckets.set(id, b);
    }
    const expected = [...buckets].map(([id, b]) => `${id}|${b.n}|${b.cents}`).sort();

    await writeTransactions(d.redis, txns.slice(0, 2000));
    const run = await runJar(d, jar, {
      parallelism: 2, programArgsList: [d.redisUrl, streams.join(','), output, String(OOO)],
      // Small batches: the state and timers move over several rescale checkpoints (fluid rescaling).
      flinkConfiguration: { 'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms', 'rescale.migration.max-batch-bytes': 2048 },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id: string = run.body.jobid;
    await waitForState(d, id, 'RUNNING');
    await waitForCheckpoints(d, id, 1);

    const rest = trickle(d.redis, txns.slice(2000), 200, 30);
    for (const to of [3, 1, 2]) {
      const result = await rescale(d, id, to);
      expect(result.noop).toBe(false);
      expect(result.keyGroups.moved).toBe(result.keyGroups.minimum);
      console.log(`→ ${to}: ${result.batches.length} batch(es) ${JSON.stringify(result.batches.map((b: { keyGroups: number; stateBytes: number }) => [b.keyGroups, b.stateBytes]))}`);
      // Several batches whenever there was state to move (some are kept: the loaded bytes are not estimated).
      if (result.stateBytes.moved > 4 * 2048) expect(result.batches.length).toBeGreaterThan(1);
    }
    // A restore from a checkpoint at the new scale, while input still arrives.
    const done = (await json(await fetch(`${d.url}/jobs/${id}/checkpoints`))).counts.completed;
    await waitForCheckpoints(d, id, done + 2);
    const [victim] = await taskManagerPids(id);
    process.kill(victim!, 'SIGKILL');
    await waitFor('the job to run again after the kill', async () => {
      const j = await jobState(d, id);
      return j.state === 'RUNNING' && j.timestamps.RESTARTING > 0 ? true : undefined;
    }, 30_000);
    await rest.finish();
    // End markers push every watermark past the last second (their own buckets never fire).
    await writeTransactions(d.redis, endMarkers(streams, lastTs + 1000 + OOO + 1));

    await waitFor(`${expected.length} output lines`, async () => ((await d.redis.xlen(output)) >= expected.length ? true : undefined), 60_000)
      .catch(async (err: Error) => { throw new Error(`${err.message}; ${await d.redis.xlen(output)} arrived${await jobLogTails(d, id)}`); });
    // A few more checkpoints: anything published twice would show up now.
    const stats = await json(await fetch(`${d.url}/jobs/${id}/checkpoints`));
    await waitForCheckpoints(d, id, stats.counts.completed + 3);
    const entries = (await d.redis.xrange(output, '-', '+')) as Array<[string, string[]]>;
    const got = entries.map(([, f]) => {
      const o: Record<string, string> = {};
      for (let i = 0; i < f.length; i += 2) o[f[i]!] = f[i + 1]!;
      return `${o.key}|${o.end}|${o.n}|${o.cents}`;
    }).sort();
    expect(got.length).toBe(expected.length);
    expect(got).toEqual(expected);

    const entries2 = await exceptionEntries(d, id);
    expect(entries2.length, JSON.stringify(entries2.map((e) => e.stacktrace.slice(0, 300)))).toBe(1);
    expect(entries2[0]!.stacktrace).toMatch(/TaskManager [0-9a-f]{8}-taskmanager-\d+/);
    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitForState(d, id, 'CANCELED');
  });
});
