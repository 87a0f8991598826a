/**
 * In-place rescaling end to end: the fraud-detection job runs over four
 * streams while input keeps arriving, and is rescaled 2 → 3 → 1 → 2 through
 * the REST API. The alert stream must equal the independent computation
 * (same set, no duplicates); each step moves exactly the minimal number of key
 * groups; subtasks that survive a step keep their execution and their process;
 * TaskManagers left without subtasks exit.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts, type Alert, type Txn } from '../../examples/fraud-detection/reference.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { fraudArgs, OOO, readAlerts, runJar, uploadFraud, W, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import { trickle } from '../helpers/faults.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { jobLogTails, rescale, subtaskIdentities } from '../helpers/rescale.js';

let d: TestDispatcher;
let jar: string;
const tag = `ebbtest-rescale-${randomBytes(4).toString('hex')}`;

beforeAll(async () => { d = await startTestDispatcher(); jar = await uploadFraud(d); });
afterAll(async () => { await deleteKeys(d.redis, `${tag}*`); await d?.close(); });

describe('in-place rescaling', () => {
  it('rescales the running fraud-detection job 2 → 3 → 1 → 2 with exactly the reference alerts, keeping surviving subtasks', async () => {
    const streams = [0, 1, 2, 3].map((i) => `${tag}-in-${i}`);
    const output = `${tag}-alerts`;
    const txns = generateTransactions({ seed: 21, count: 24_000, streams });
    const lastTs = Math.max(...txns.map((t) => t.ts));
    const all = [...txns, ...endMarkers(streams, lastTs + W + OOO + 1)];
    const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
    await writeTransactions(d.redis, txns.slice(0, 3000));

    const run = await runJar(d, jar, {
      parallelism: 2, programArgsList: fraudArgs(d.redisUrl, streams, output),
      flinkConfiguration: { 'execution.checkpointing.interval': 200 },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id: string = run.body.jobid;
    await waitForState(d, id, 'RUNNING');
    await waitForCheckpoints(d, id, 1);

    const rest = trickle(d.redis, txns.slice(3000), 200, 30);
    const steps: Array<[number, number]> = [[2, 3], [3, 1], [1, 2]];
    for (const [from, to] of steps) {
      const before = await subtaskIdentities(d, id);
      const result = await rescale(d, id, to);
      expect(result.noop).toBe(false);
      expect(result.parallelism.after[windowVertex(before)]).toBe(to);
      // Exactly the minimal number of key groups changed owner (128 key groups).
      expect(result.keyGroups.moved).toBe(result.keyGroups.minimum);
      expect(result.keyGroups.moved).toBe(minimalMoves(128, from, to));
      const after = await subtaskIdentities(d, id);
      for (const [vertex, subtasks] of Object.entries(before)) {
        const p = after[vertex]!.length;
        expect(p).toBe(result.parallelism.after[vertex]);
        // Subtasks that survive keep their execution and their TaskManager process.
        for (const s of subtasks.filter((x) => x.subtask < p)) {
          expect(after[vertex]!.find((x) => x.subtask === s.subtask), `subtask ${s.subtask} of ${vertex} ${from}→${to}`).toMatchObject({ executionId: s.executionId, pid: s.pid });
        }
      }
      // TaskManagers left without subtasks exit within 2 s of the step, and leave GET /taskmanagers.
      const completedAt = Date.now();
      await waitFor(`${to} TaskManager processes`, async () => ((await processesMatching(`ebbflow-taskmanager ${id}`)).length === to ? true : undefined), 10_000, 20);
      expect(Date.now() - completedAt).toBeLessThan(2000);
      const listed = (await json(await fetch(`${d.url}/taskmanagers`))).taskmanagers.filter((t: { jobId: string }) => t.jobId === id);
      expect(listed).toHaveLength(to);
      const job = await json(await fetch(`${d.url}/jobs/${id}`));
      await expectSpecResponse('get', '/jobs/{jobid}', 200, job);
      expect(job.state).toBe('RUNNING');
      expect(job.timestamps.RESTARTING).toBe(0);
    }
    await rest.finish();
    await expectExactAlerts(id, output, all.slice(txns.length), expected);
    const exceptions = await json(await fetch(`${d.url}/jobs/${id}/exceptions`));
    expect(exceptions.exceptionHistory.entries).toEqual([]);

    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitForState(d, id, 'CANCELED');
    expect(await processesMatching(`ebbflow-taskmanager ${id}`)).toEqual([]);
  });
});

describe('in-place rescaling in batches (rescale.migration.max-batch-bytes)', () => {
  it('moves the key groups of 2 → 3 → 1 in several batches, one rescale checkpoint each, with exactly the reference alerts', async () => {
    const streams = [0, 1, 2, 3].map((i) => `${tag}-b-in-${i}`);
    const output = `${tag}-b-alerts`;
    const txns = generateTransactions({ seed: 23, count: 16_000, streams });
    const lastTs = Math.max(...txns.map((t) => t.ts));
    const all = [...txns, ...endMarkers(streams, lastTs + W + OOO + 1)];
    const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
    await writeTransactions(d.redis, txns.slice(0, 4000));

    const run = await runJar(d, jar, {
      parallelism: 2, programArgsList: fraudArgs(d.redisUrl, streams, output),
      flinkConfiguration: { 'execution.checkpointing.interval': 200, 'rescale.migration.max-batch-bytes': BATCH_BYTES },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id: string = run.body.jobid;
    await waitForState(d, id, 'RUNNING');
    await waitForCheckpoints(d, id, 2);

    const rest = trickle(d.redis, txns.slice(4000), 200, 30);
    for (const [from, to] of [[2, 3], [3, 1]] as const) {
      const before = await subtaskIdentities(d, id);
      const result = await rescale(d, id, to);
      console.log(`batches ${from} → ${to}: ${JSON.stringify(result.batches)}; maxHoldMs ${result.maxHoldMs}; durationMs ${result.durationMs}; state ${JSON.stringify(result.stateBytes)}`);
      expect(result.parallelism.after[windowVertex(before)]).toBe(to);
      expect(result.keyGroups.moved).toBe(minimalMoves(128, from, to));
      // Several batches, each at its own (increasing) rescale checkpoint, together moving every key group once.
      const batches: Array<{ checkpointId: number; keyGroups: number }> = result.batches;
      // (Batches are planned by the latest checkpoint's sizes, which depend on how far the input got:
      // on a loaded machine 2 → 3 planned ~14 KB as two, so "several" is at least two.)
      expect(batches.length, JSON.stringify(batches)).toBeGreaterThanOrEqual(2);
      expect(batches.map((b) => b.checkpointId)).toEqual([...batches.map((b) => b.checkpointId)].sort((a, b) => a - b));
      expect(new Set(batches.map((b) => b.checkpointId)).size).toBe(batches.length);
      expect(batches.reduce((s, b) => s + b.keyGroups, 0)).toBe(result.keyGroups.moved);
      expect(result.checkpointId).toBe(batches.at(-1)!.checkpointId);
      const after = await subtaskIdentities(d, id);
      for (const [vertex, subtasks] of Object.entries(before)) {
        const p = after[vertex]!.length;
        expect(p).toBe(to);
        for (const s of subtasks.filter((x) => x.subtask < p)) {
          expect(after[vertex]!.find((x) => x.subtask === s.subtask), `subtask ${s.subtask} of ${vertex} ${from}→${to}`).toMatchObject({ executionId: s.executionId, pid: s.pid });
        }
      }
      await expectSpecResponse('get', '/jobs/{jobid}', 200, await json(await fetch(`${d.url}/jobs/${id}`)));
    }
    await rest.finish();
    await expectExactAlerts(id, output, all.slice(txns.length), expected);
    const job = await json(await fetch(`${d.url}/jobs/${id}`));
    expect(job.timestamps.RESTARTING).toBe(0);
    expect((await json(await fetch(`${d.url}/jobs/${id}/exceptions`))).exceptionHistory.entries).toEqual([]);

    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitForState(d, id, 'CANCELED');
    expect(await processesMatching(`ebbflow-taskmanager ${id}`)).toEqual([]);
  });
});

/** Small enough that the few hundred kilobytes of window state of this run move in several batches. */
const BATCH_BYTES = 2048;

function windowVertex(ids: Record<string, unknown[]>): string {
  return Object.keys(ids)[1]!;
}

/** The greedy minimum, computed here independently: survivors keep up to their quota. */
function minimalMoves(K: number, n: number, m: number): number {
  const held = Array.from({ length: n }, (_, i) => Math.floor(((i + 1) * K - 1) / n) - Math.floor((i * K + n - 1) / n) + 1);
  const q = Math.floor(K / m);
  const survivors = held.slice(0, Math.min(n, m)).sort((a, b) => b - a);
  let big = K % m;
  let kept = 0;
  for (const h of survivors) kept += Math.min(h, big-- > 0 ? q + 1 : q);
  return K - kept;
}

/** Writes the end of the input, waits for every expected alert and three more checkpoints (no late extra), and compares exactly. */
async function expectExactAlerts(id: string, output: string, tail: Txn[], expected: Alert[]): Promise<void> {
  await writeTransactions(d.redis, tail);
  await waitFor(`${expected.length} alerts`, async () => ((await d.redis.xlen(output)) >= expected.length ? true : undefined), 60_000)
    .catch(async (err: Error) => { throw new Error(`${err.message}; ${await d.redis.xlen(output)} arrived${await jobLogTails(d, id)}`); });
  const stats = await json(await fetch(`${d.url}/jobs/${id}/checkpoints`));
  await waitForCheckpoints(d, id, stats.counts.completed + 3);
  const got = await readAlerts(d.redis, output);
  expect(got.length).toBe(expected.length);
  expect(sortAlerts(got)).toEqual(expected);
}
