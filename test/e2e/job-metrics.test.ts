/**
 * Metrics end to end: the fraud-detection bundle runs over HTTP at parallelism 2 (two TaskManagers,
 * so some channels cross the network) on N transactions this test wrote into four Redis streams.
 * The snapshot the job process publishes (JobRegistry.getMetrics, the test's prefix) must account for
 * every record: the source vertex read N and has no backlog, the keyed vertex took N and wrote as
 * many alerts as the reference computes, bytes sent equal bytes received; then a writer at a known
 * rate shows up as the source's read rate. With `ebbflow.metrics.enabled: false` nothing is published.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts } from '../../examples/fraud-detection/reference.js';
import { JobRegistry } from '../../metadata/index.js';
import type { JobMetricsSnapshot, SubtaskMetricsSnapshot } from '../../metadata/job-metrics.js';
import { deleteKeys, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { fraudArgs, OOO, runJar, uploadFraud, W, waitForState } from '../helpers/fraud.js';

let d: TestDispatcher;
let jar: string;
let registry: JobRegistry;
const tag = `ebbtest-metrics-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  d = await startTestDispatcher();
  jar = await uploadFraud(d);
  registry = new JobRegistry(d.redis, d.keyPrefix);
});

afterAll(async () => {
  if (d) await deleteKeys(d.redis, `${tag}*`);
  await d?.close();
});

const sum = (subtasks: SubtaskMetricsSnapshot[], vertexId: string, name: keyof SubtaskMetricsSnapshot['metrics']): number =>
  subtasks.filter((s) => s.vertexId === vertexId).reduce((a, s) => a + (s.metrics[name] ?? 0), 0);

async function cancel(jobId: string): Promise<void> {
  expect((await fetch(`${d.url}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
  await waitForState(d, jobId, 'CANCELED');
}

describe('job metrics', () => {
  it('accounts for every record of a known input, and shows a known write rate', async () => {
    const streams = [0, 1, 2, 3].map((i) => `${tag}-in-${i}`);
    const output = `${tag}-alerts`;
    const txns = generateTransactions({ seed: 15, count: 4000, streams });
    const lastTs = Math.max(...txns.map((t) => t.ts));
    const all = [...txns, ...endMarkers(streams, lastTs + W + OOO + 1)];
    const alerts = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams }).length;
    expect(alerts).toBeGreaterThan(0);
    await writeTransactions(d.redis, all);
    const N = all.length;

    const run = await runJar(d, jar, {
      parallelism: 2, programArgsList: fraudArgs(d.redisUrl, streams, output),
      flinkConfiguration: { 'metrics.fetcher.update-interval': '300 ms', 'heartbeat.interval': '300 ms', 'execution.checkpointing.interval': 500 },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const jobId: string = run.body.jobid;
    const job = await waitForState(d, jobId, 'RUNNING', 60_000);
    const [source, keyed] = job.vertices.map((v: { id: string }) => v.id) as [string, string];

    // Every record accounted for, as an independent count says (alerts: the reference; bytes: both ends of the wire).
    let last: JobMetricsSnapshot | undefined;
    const snap = await waitFor('a metrics snapshot that accounts for every record', async () => {
      const s = (last = await registry.getMetrics(jobId));
      if (!s || s.subtasks.length !== 4) return undefined;
      const t = s.subtasks;
      const ok = sum(t, source, 'numRecordsIn') === N && sum(t, source, 'pendingRecords') === 0 && sum(t, source, 'numRecordsOut') === N
        && sum(t, keyed, 'numRecordsIn') === N && sum(t, keyed, 'numRecordsOut') === alerts
        && sum(t, source, 'numBytesOut') === sum(t, keyed, 'numBytesIn') && s.job.numberOfCompletedCheckpoints! >= 1;
      return ok ? s : undefined;
    }, 60_000).catch((err: Error) => { throw new Error(`${err.message}; last snapshot: ${JSON.stringify(last?.subtasks)}`); });

    expect(snap.jobId).toBe(jobId);
    const sources = snap.subtasks.filter((s) => s.vertexId === source);
    for (const s of sources) {
      expect(s.metrics.pendingRecords).toBe(0);
      expect(s.splits?.map((x) => x.pendingRecords)).toEqual([0, 0]);
      expect(s.attempt).toBe(0);
    }
    expect(sources.flatMap((s) => s.splits!.map((x) => x.stream)).sort()).toEqual([...streams].sort());
    // Two TaskManagers: some of the keyed edge's channels cross the network.
    expect(sum(snap.subtasks, source, 'numBytesOut')).toBeGreaterThan(0);
    expect(Object.keys(snap.taskManagers)).toHaveLength(2);
    for (const tm of Object.values(snap.taskManagers)) expect(tm['Status.JVM.Memory.Heap.Used']).toBeGreaterThan(0);
    for (const s of snap.subtasks) {
      const m = s.metrics;
      for (const k of ['busyTimeMsPerSecond', 'idleTimeMsPerSecond', 'backPressuredTimeMsPerSecond'] as const) {
        expect(m[k]).toBeGreaterThanOrEqual(0);
        expect(m[k]).toBeLessThanOrEqual(1000);
      }
      // The input is through: the end markers moved every watermark past the last window.
      expect(m.currentInputWatermark).toBeGreaterThan(lastTs);
    }
    expect(snap.job.numRestarts).toBe(0);
    expect(snap.history.length).toBeGreaterThan(0);
    expect(snap.history.at(-1)!.vertices[source]!.pendingRecords).toBe(0);

    // A writer at a known rate (400 entries/s over the four streams): the source's read rate follows it.
    const rate = 400;
    let written = 0;
    let ts = lastTs + W + OOO + 2;
    const writer = setInterval(() => {
      const batch = Array.from({ length: rate / 10 }, (_, i) => ({ from: 'a', to: 'b', amount: '1.00', ts: ts++, stream: streams[i % 4]! }));
      written += batch.length;
      void writeTransactions(d.redis, batch);
    }, 100);
    try {
      const rates: number[] = [];
      let busy: number[] = [];
      await waitFor(`a read rate near ${rate}/s`, async () => {
        const s = await registry.getMetrics(jobId);
        const r = s ? sum(s.subtasks, source, 'numRecordsInPerSecond') : 0;
        rates.push(Math.round(r));
        busy = s ? s.subtasks.filter((x) => x.vertexId === source).map((x) => Math.round(x.metrics.busyTimeMsPerSecond ?? 0)) : [];
        // Loose: timers on a shared machine drift; three snapshots in a row within bounds.
        return rates.length >= 3 && rates.slice(-3).every((x) => x > rate * 0.5 && x < rate * 1.6) ? true : undefined;
      }, 30_000, 300).catch((err: Error) => { throw new Error(`${err.message}; rates seen: ${rates.join(', ')}`); });
      // A trickle keeps a source mostly idle: the reads that waited for the next entries are idle time,
      // not busy (they were counted busy, and the autoscaler saw a saturated source at 1 % of its capacity).
      for (const b of busy) expect(b, `source busy ms/s: ${busy.join(', ')}`).toBeLessThan(300);
    } finally {
      clearInterval(writer);
    }
    const after = await waitFor('every written entry read', async () => {
      const s = await registry.getMetrics(jobId);
      return s && sum(s.subtasks, source, 'numRecordsIn') === N + written && sum(s.subtasks, source, 'pendingRecords') === 0 ? s : undefined;
    }, 30_000);
    expect(sum(after.subtasks, keyed, 'numRecordsIn')).toBeGreaterThan(N);
    await cancel(jobId);
  }, 180_000);

  it('publishes nothing with ebbflow.metrics.enabled false', async () => {
    const streams = [`${tag}-off-0`];
    await writeTransactions(d.redis, generateTransactions({ seed: 3, count: 100, streams }));
    const run = await runJar(d, jar, {
      parallelism: 1, programArgsList: fraudArgs(d.redisUrl, streams, `${tag}-off-out`),
      flinkConfiguration: { 'ebbflow.metrics.enabled': false, 'metrics.fetcher.update-interval': '100 ms', 'execution.checkpointing.interval': 200 },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const jobId: string = run.body.jobid;
    await waitForState(d, jobId, 'RUNNING', 60_000);
    // Several publish intervals and a checkpoint go by: still no snapshot.
    await waitFor('a completed checkpoint', async () => {
      const c = await (await fetch(`${d.url}/jobs/${jobId}/checkpoints`)).json() as { counts: { completed: number } };
      return c.counts.completed >= 2 ? true : undefined;
    }, 30_000);
    expect(await registry.getMetrics(jobId)).toBeUndefined();
    await cancel(jobId);
  }, 90_000);
});
