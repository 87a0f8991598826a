/**
 * Adaptive scaling (Flink's adaptive scheduler with FLIP-291 requirements),
 * end to end with real processes. The fraud-detection job runs at 2 with
 * bounds [1, 2] on every vertex; a TaskManager is SIGKILLed and no replacement
 * can come for a while (resourcemanager.start-worker.retry-interval), so the
 * job restarts at 1 on the TaskManager it has; once the replacement registers
 * it scales back up to 2 in place, without a second restart, and the alerts
 * equal the independent reference. Requirements whose lower bound the
 * resource provider cannot meet fail after the resource wait timeout and
 * leave the requirements and the job as they were.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { deleteKeys, json, waitFor, type TestDispatcher, startTestDispatcher } from '../helpers/dispatcher.js';
import { jobState, uploadFraud } from '../helpers/fraud.js';
import {
  cancelJob, completed, exceptionEntries, expectReferenceAlerts, explain, parallelisms, scenario, startFraudJob, taskManagerPids, trickle,
} from '../helpers/faults.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { subtaskIdentities } from '../helpers/rescale.js';

let d: TestDispatcher;
let jar: string;
const tag = `ebbtest-adaptive-${randomBytes(4).toString('hex')}`;

// The local provider runs at most 2 TaskManagers per job.
beforeAll(async () => { d = await startTestDispatcher({ localMaxTaskManagers: 2 }); jar = await uploadFraud(d); });
afterAll(async () => { await deleteKeys(d.redis, `${tag}*`); await d?.close(); });

async function putRequirements(id: string, body: unknown): Promise<string> {
  const res = await fetch(`${d.url}/jobs/${id}/resource-requirements`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await json(res);
  expect(res.status, JSON.stringify(answer)).toBe(200);
  await expectSpecResponse('put', '/jobs/{jobid}/resource-requirements', 200, answer);
  expect(answer['request-id']).toMatch(/^[0-9a-f]{32}$/);
  return answer['request-id'];
}

async function requirements(id: string): Promise<any> {
  const body = await json(await fetch(`${d.url}/jobs/${id}/resource-requirements`));
  await expectSpecResponse('get', '/jobs/{jobid}/resource-requirements', 200, body);
  return body;
}

const bounds = (vertices: string[], lowerBound: number, upperBound: number) =>
  Object.fromEntries(vertices.map((v) => [v, { parallelism: { lowerBound, upperBound } }]));

describe('adaptive scaling', () => {
  it('runs at 1 while a lost TaskManager cannot be replaced, then scales back up to 2 in place once it is', async () => {
    const s = scenario(`${tag}-down-up`, 51, 16_000);
    await writeTransactions(d.redis, s.txns.slice(0, 2000));
    const id = await startFraudJob(d, jar, s, 2, {
      'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms',
      'resourcemanager.start-worker.retry-interval': '4 s', 'jobmanager.adaptive-scheduler.resource-stabilization-timeout': '500 ms',
    });
    const vertices = Object.keys(await subtaskIdentities(d, id));
    const trigger = await putRequirements(id, bounds(vertices, 1, 2));
    const put = await completed(d, id, trigger);
    expect(put.operation['failure-cause'], JSON.stringify(put.operation)).toBeUndefined();
    expect(await requirements(id)).toEqual(bounds(vertices, 1, 2));
    const rest = trickle(d.redis, s.txns.slice(2000), 200, 30);

    const [victim, survivor] = await taskManagerPids(id);
    process.kill(victim!, 'SIGKILL');
    // Restarted with the one slot left: every vertex at 1, on the surviving TaskManager.
    const down = await explain(d, id, waitFor('the job to run at parallelism 1', async () => {
      const j = await jobState(d, id);
      const running = Object.values(await subtaskIdentities(d, id)).every((subtasks) => subtasks.length === 1 && subtasks[0]!.status === 'RUNNING');
      return j.state === 'RUNNING' && j.timestamps.RESTARTING > 0 && running && (await parallelisms(d, id)).every((p) => p === 1) ? j : undefined;
    }, 15_000));
    const at1 = await subtaskIdentities(d, id);
    expect(Object.values(at1).every((subtasks) => subtasks[0]!.pid === survivor)).toBe(true);
    // Still within the retry interval: no replacement TaskManager yet.
    expect(await taskManagerPids(id)).toEqual([survivor]);

    // The replacement comes after the retry interval; the job scales back up to 2 in place.
    await explain(d, id, waitFor('the job to scale back up to 2', async () => {
      const j = await jobState(d, id);
      const running = Object.values(await subtaskIdentities(d, id)).every((subtasks) => subtasks.length === 2 && subtasks.every((x) => x.status === 'RUNNING'));
      return j.state === 'RUNNING' && running && (await parallelisms(d, id)).every((p) => p === 2) ? j : undefined;
    }, 20_000));
    const at2 = await subtaskIdentities(d, id);
    for (const [vertex, subtasks] of Object.entries(at2)) {
      expect(subtasks.map((x) => x.subtask)).toEqual([0, 1]);
      // Subtask 0 kept its execution and its process: no restart, a rescale in place.
      expect(subtasks[0]).toMatchObject({ executionId: at1[vertex]![0]!.executionId, pid: survivor });
    }
    await explain(d, id, waitFor('2 TaskManagers', async () => ((await taskManagerPids(id)).length === 2 ? true : undefined), 10_000));
    const job = await jobState(d, id);
    expect(job.timestamps.RESTARTING).toBe(down.timestamps.RESTARTING);
    const entries = await exceptionEntries(d, id);
    expect(entries.length, JSON.stringify(entries.map((e) => e.stacktrace.slice(0, 300)))).toBe(1);
    expect(entries[0]!.stacktrace).toMatch(/TaskManager [0-9a-f]{8}-taskmanager-0000[12]/);
    expect(await requirements(id)).toEqual(bounds(vertices, 1, 2));
    // The scale-up had no request behind it: the job process recorded it in the rescale history.
    const history = await json(await fetch(`${d.url}/jobs/${id}/rescales/history`));
    await expectSpecResponse('get', '/jobs/{jobid}/rescales/history', 200, history);
    const ups = history.filter((r: { trigger: string }) => r.trigger === 'adaptive');
    // The newest is the scale-back-up (a start that got fewer slots than asked scales up the same way before it).
    expect(ups.length).toBeGreaterThanOrEqual(1);
    expect(ups[0].startTimestampInMillis).toBeGreaterThan(down.timestamps.RESTARTING);
    expect(ups[0]).toMatchObject({ status: 'COMPLETED', triggerCause: 'NEW_RESOURCE_AVAILABLE', triggerId: null, taskManagers: { released: [] } });
    expect(ups[0].taskManagers.added).toHaveLength(1);
    expect(Object.values(ups[0].vertices).map((v: any) => [v.preRescaleParallelism, v.postRescaleParallelism])).toEqual(vertices.map(() => [1, 2]));

    await rest.finish();
    await expectReferenceAlerts(d, id, s);
    await cancelJob(d, id);
  });

  it('requirements whose lower bound the provider cannot meet fail after the resource wait timeout and change nothing', async () => {
    const s = scenario(`${tag}-unmet`, 52, 6000);
    await writeTransactions(d.redis, s.txns.slice(0, 2000));
    // (A start waits as long for its slots; a short stabilization timeout lets it start with fewer and scale up.)
    const id = await startFraudJob(d, jar, s, 2, {
      'execution.checkpointing.interval': 200, 'jobmanager.adaptive-scheduler.resource-wait-timeout': '1500 ms',
      'jobmanager.adaptive-scheduler.resource-stabilization-timeout': '500 ms',
    });
    const rest = trickle(d.redis, s.txns.slice(2000));
    const before = await subtaskIdentities(d, id);
    const vertices = Object.keys(before);
    const reqs = await requirements(id);
    const pids = await taskManagerPids(id);

    // At least 3 slots: the provider gives at most 2 (localMaxTaskManagers, one slot each).
    const t0 = Date.now();
    const trigger = await putRequirements(id, bounds(vertices, 3, 3));
    const status = await completed(d, id, trigger);
    const took = Date.now() - t0;
    expect(status.operation['failure-cause'], JSON.stringify(status.operation)).toBeDefined();
    expect(status.operation['failure-cause']['stack-trace']).toMatch(/could not get 3 slot\(s\) within 1500 ms \(jobmanager\.adaptive-scheduler\.resource-wait-timeout\)/);
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(6000);

    expect(await requirements(id)).toEqual(reqs);
    const job = await jobState(d, id);
    expect(job.state).toBe('RUNNING');
    expect(job.timestamps.RESTARTING).toBe(0);
    expect(await parallelisms(d, id)).toEqual([2, 2]);
    expect(await subtaskIdentities(d, id)).toEqual(before);
    expect(await taskManagerPids(id)).toEqual(pids);
    await rest.finish();
    await expectReferenceAlerts(d, id, s);
    expect(await exceptionEntries(d, id)).toEqual([]);
    await cancelJob(d, id);
  });
});
