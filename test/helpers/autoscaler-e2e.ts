/**
 * The autoscaler's end-to-end scenario, shared by the local and the Mesos test: the fraud-detection
 * job at parallelism 1 with `job.autoscaler.enabled` and intervals of seconds, a steady input, the
 * autoscaler scaling every vertex 1 → 2 in place, the sources keeping up, the input stopping, and
 * every vertex back at 1 (in place) no earlier than the scale-down interval after; the decisions in
 * GET /jobs/:jobid/autoscaler (openapi.yaml's shape), the rescale history (trigger `autoscaler`) and
 * the job's log; alerts equal to the reference over what was written.
 *
 * How it is made to scale: on this 2-core machine parallelism 1 processes ~130k records/s, more
 * than the test can write while the job runs, so it cannot be made to fall behind. Instead the
 * utilisation band is set low (target 1 %, scale up above 2 %, down below 0.5 %): ~12k records/s
 * keep the source ~20 % and the window vertex ~4 % busy at parallelism 1, which the decision reads
 * exactly as it reads a saturated subtask (records ÷ busy time = its true rate; input ÷ target =
 * the capacity needed), and at parallelism 2 both stay above 0.5 %, so nothing flips back while the
 * input lasts. `job.autoscaler.vertex.max-parallelism` = 2 makes the step exact (1 → 2) whatever
 * the measured busy time; with no input the utilisation is 0 and the vertex is `idle`: back to 1.
 * Effectiveness detection is off: at a few percent of its capacity a subtask's busy time is mostly
 * per-poll cost, so two subtasks at half the records each do not show twice the records per busy
 * second, and the scale-up would be recorded as ineffective (correctly for what it measures).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions, type Txn } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts } from '../../examples/fraud-detection/reference.js';
import { JobRegistry } from '../../metadata/index.js';
import { json, waitFor, type TestDispatcher } from './dispatcher.js';
import { cancelJob, expectReferenceAlerts, explain, startFraudJob, type Scenario } from './faults.js';
import { OOO, W } from './fraud.js';
import { expectSpecResponse } from './openapi.js';
import { subtaskIdentities } from './rescale.js';

export const SCALE_DOWN_INTERVAL_MS = 3000;
export const AUTOSCALER_E2E_CONFIG = {
  'execution.checkpointing.interval': 200,
  'metrics.fetcher.update-interval': 500,
  'job.autoscaler.enabled': true,
  'job.autoscaler.stabilization.interval': '2 s',
  'job.autoscaler.scale-up.confirmation': '1500 ms',
  'job.autoscaler.metrics.window': '3 s',
  'job.autoscaler.scale-down.interval': SCALE_DOWN_INTERVAL_MS,
  'job.autoscaler.utilization.target': 0.01,
  'job.autoscaler.utilization.min': 0.005,
  'job.autoscaler.utilization.max': 0.02,
  'job.autoscaler.vertex.max-parallelism': 2,
  'job.autoscaler.scale-down.max-factor': 1,
  'job.autoscaler.scaling.effectiveness.detection.enabled': false,
};

/** Writes transfers at a steady rate (chunks of `chunk` every `everyMs`) until stopped; `written` is how many went out, in order. */
function steadyLoad(d: TestDispatcher, txns: Txn[], chunk = 300, everyMs = 20) {
  let written = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped && written < txns.length) {
      const next = txns.slice(written, written + chunk);
      await writeTransactions(d.redis, next);
      written += next.length;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return { get written() { return written; }, stop: async () => { stopped = true; await done; return written; } };
}

export async function autoscalerState(d: TestDispatcher, id: string): Promise<any> {
  const res = await fetch(`${d.url}/jobs/${id}/autoscaler`);
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(200);
  await expectSpecResponse('get', '/jobs/{jobid}/autoscaler', 200, body);
  return body;
}

/**
 * Waits until the autoscaler brought every vertex to `p` (GET /jobs/:id) and answers its completed
 * decisions that did (one, or one per vertex when they crossed the band at different times); adds
 * the autoscaler's state to a timeout.
 */
async function scaledTo(d: TestDispatcher, id: string, from: number, p: number, timeoutMs: number): Promise<any[]> {
  let last: any;
  return explain(d, id, waitFor(`the autoscaler to bring every vertex ${from} → ${p}`, async () => {
    last = await autoscalerState(d, id);
    const job = await json(await fetch(`${d.url}/jobs/${id}`));
    if (!job.vertices.every((v: any) => v.parallelism === p)) return undefined;
    const made = last.decisions.filter((x: any) => x.outcome === 'completed' && x.changes.every((c: any) => c.from === from && c.to === p));
    const vertices = new Set(made.flatMap((x: any) => x.changes.map((c: any) => c.vertexId)));
    return vertices.size === job.vertices.length ? made : undefined;
  }, timeoutMs, 200).catch((err: Error) => { throw new Error(`${err.message}; autoscaler: ${JSON.stringify({ lastEvaluation: last?.lastEvaluation, vertices: last?.vertices?.map((v: any) => v.text), decisions: last?.decisions })}`); }));
}

async function parallelismNow(d: TestDispatcher, id: string): Promise<number[]> {
  return Object.values(await subtaskIdentities(d, id)).map((s) => s.filter((x) => x.status === 'RUNNING').length);
}

export interface AutoscalerScenarioHooks {
  /** The job's configuration besides the autoscaler's (a provider's keys). */
  configuration?: Record<string, unknown>;
  /** Every vertex runs at 2, before the input stops. */
  scaledUp?(id: string): Promise<void>;
  /** Every vertex is back at 1. */
  scaledDown?(id: string): Promise<void>;
}

/** Runs the scenario on `d` (its resource provider: local processes or Mesos tasks) and cancels the job at the end. */
export async function autoscalerScenario(d: TestDispatcher, jar: string, tag: string, hooks: AutoscalerScenarioHooks = {}): Promise<void> {
  const streams = [0, 1, 2, 3].map((i) => `${tag}-in-${i}`);
  const pool = generateTransactions({ seed: 16, count: 400_000, streams });
  const output = `${tag}-alerts`;
  const id = await startFraudJob(d, jar, { streams, output, txns: [], all: [], expected: [] }, 1, { ...AUTOSCALER_E2E_CONFIG, ...hooks.configuration });
  const before = await subtaskIdentities(d, id);

  const load = steadyLoad(d, pool);
  let stoppedAt: number;
  let ups: any[];
  try {
    ups = await scaledTo(d, id, 1, 2, 30_000);
    expect(await parallelismNow(d, id)).toEqual([2, 2]);
    // In place: the subtasks that stay keep their execution and process; nothing restarted.
    const after = await subtaskIdentities(d, id);
    for (const [vertex, subtasks] of Object.entries(before)) {
      expect(after[vertex]!.find((s) => s.subtask === 0)).toMatchObject({ executionId: subtasks[0]!.executionId, pid: subtasks[0]!.pid });
    }
    // The backlog drains: the sources keep up with the input at parallelism 2 (a few chunks at most are unread).
    const registry = new JobRegistry(d.redis, d.keyPrefix);
    const source = Object.keys(before)[0]!;
    await explain(d, id, waitFor('the sources to read what was written (backlog ≤ 2 chunks) at parallelism 2', async () => {
      const snap = await registry.getMetrics(id);
      const subtasks = snap?.subtasks.filter((s) => s.vertexId === source) ?? [];
      if (subtasks.length !== 2 || subtasks.some((s) => s.metrics.pendingRecords === undefined)) return undefined;
      return subtasks.reduce((a, s) => a + s.metrics.pendingRecords!, 0) <= 600 ? true : undefined;
    }, 15_000, 100));
    await hooks.scaledUp?.(id);
  } finally {
    stoppedAt = Date.now();
    await load.stop();
  }

  const downs = await scaledTo(d, id, 2, 1, 30_000);
  expect(await parallelismNow(d, id)).toEqual([1, 1]);
  // Not before the load had stayed low for the scale-down interval.
  for (const down of downs) expect(down.timestamp - stoppedAt).toBeGreaterThanOrEqual(SCALE_DOWN_INTERVAL_MS - 100);
  const final = await subtaskIdentities(d, id);
  for (const [vertex, subtasks] of Object.entries(before)) {
    expect(final[vertex]!).toHaveLength(1);
    expect(final[vertex]![0]).toMatchObject({ executionId: subtasks[0]!.executionId, pid: subtasks[0]!.pid });
  }
  const job = await json(await fetch(`${d.url}/jobs/${id}`));
  expect(job.timestamps.RESTARTING).toBe(0);
  await hooks.scaledDown?.(id);

  // The decisions: in GET /autoscaler newest first, with the rescales they asked for in the rescale history.
  const state = await autoscalerState(d, id);
  const ids = state.decisions.map((x: any) => x.id);
  expect(Math.max(...downs.map((x) => ids.indexOf(x.id)))).toBeLessThan(Math.min(...ups.map((x) => ids.indexOf(x.id))));
  // Every decision it made was carried out; none failed, none was asked for twice.
  expect(state.decisions.map((x: any) => x.outcome)).toEqual(state.decisions.map(() => 'completed'));
  expect(state.decisions).toHaveLength(ups.length + downs.length);
  const history = await json(await fetch(`${d.url}/jobs/${id}/rescales/history`));
  for (const x of [...ups, ...downs]) {
    expect(x.requestId).toMatch(/^[0-9a-f]{32}$/);
    const r = history.find((h: any) => h.rescaleUuid === x.requestId);
    expect(r, `rescale ${x.requestId} in the history`).toBeTruthy();
    expect(r).toMatchObject({ trigger: 'autoscaler', status: 'COMPLETED' });
  }
  const log = readFileSync(join(d.dataDir, 'logs', id, 'jobmaster.log'), 'utf8');
  for (const x of [...ups, ...downs]) {
    const line = new RegExp(`autoscaler decision #${x.id}: ${x.changes.map((c: any) => `.* ${c.from} → ${c.to}`).join(',')} \\(.*${x.changes[0].to > x.changes[0].from ? 'busy' : 'no input'}`);
    expect(log).toMatch(line);
  }

  // Exactly-once across both rescales: the alerts equal the reference over what was written.
  const txns = pool.slice(0, load.written);
  // A loop, not Math.max(...): a fast machine writes more transactions than spread arguments can take.
  const lastTs = txns.reduce((m, t) => Math.max(m, t.ts), -Infinity);
  const all = [...txns, ...endMarkers(streams, lastTs + W + OOO + 1)];
  const s: Scenario = { streams, output, txns, all, expected: expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams }) };
  expect(s.expected.length).toBeGreaterThan(0);
  await expectReferenceAlerts(d, id, s);
  await cancelJob(d, id);
}
