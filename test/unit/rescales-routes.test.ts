/**
 * `GET /jobs/:jobid/rescales/*` on an in-memory gateway: the recorded history in Flink 2.3's shapes
 * (checked against openapi.yaml) with ebbflow's additions; latest per outcome, counts since the
 * job started, duration statistics, the details' steps, a rescale cut off by the job's end, the
 * settings, and 404s.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RescaleRecord } from '../../metadata/index.js';
import { statsSummary } from '../../api/views/index.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { buildTestingApp, type TestingDispatcherGateway } from '../helpers/testing-dispatcher-gateway.js';

let app: FastifyInstance;
let gw: TestingDispatcherGateway;
beforeEach(async () => { ({ app, gw } = await buildTestingApp()); });
afterEach(async () => { await app.close(); });

async function get(url: string): Promise<{ status: number; body: any }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

const hex = (c: string) => c.repeat(32);
const SOURCE = hex('a');
const SINK = hex('b');

function rescale(id: string, fields: Partial<RescaleRecord>): RescaleRecord {
  return {
    id, requirementsId: hex('e'), attempt: 1, trigger: 'user', triggerId: hex('f'), status: 'COMPLETED', failureCause: null, startTime: 1000, endTime: 1500,
    vertices: [
      { id: SOURCE, name: 'Source', desired: 3, sufficient: 1, before: 2, after: 3 },
      { id: SINK, name: 'Sink', desired: 3, sufficient: 1, before: 2, after: 3 },
    ],
    slots: { desired: 3, minimal: 1, before: 2, after: 3 },
    phases: [
      { phase: 'waiting for 3 slot(s) (2 registered)', enter: 1000, leave: 1200, error: null },
      { phase: 'checkpoint 7: switching to the new scale', enter: 1200, leave: 1500, error: null },
    ],
    taskManagers: { added: ['taskmanager-00003'], released: [] },
    statistics: {
      noop: false, checkpointId: 7, durationMs: 300, parallelism: { before: { [SOURCE]: 2, [SINK]: 2 }, after: { [SOURCE]: 3, [SINK]: 3 } },
      keyGroups: { moved: 42, minimum: 42, total: 128 }, stateBytes: { moved: 1000, minimum: 900, total: 3000 }, streamsMoved: 1,
      maxHoldMs: 12, maxLoadMs: 20, heldRecords: 5, subtasks: { kept: 4, added: 2, retired: 0 },
    },
    ...fields,
  };
}

describe('GET /jobs/:jobid/rescales/*', () => {
  it('answers the history, newest first, in Flink\'s shape with ebbflow\'s statistics', async () => {
    const job = gw.addJob();
    const failed = rescale(hex('2'), {
      trigger: 'requirements', startTime: 2000, endTime: 2100, status: 'FAILED', failureCause: 'ResourceWaitTimeoutError: 3 slots not available',
      vertices: [{ id: SOURCE, name: 'Source', desired: 4, sufficient: 2, before: 3, after: null }, { id: SINK, name: 'Sink', desired: 4, sufficient: 2, before: 3, after: null }],
      slots: { desired: 4, minimal: 2, before: 3, after: null }, statistics: null, taskManagers: { added: [], released: [] },
      phases: [{ phase: 'waiting for 4 slot(s) (3 registered)', enter: 2000, leave: 2100, error: 'ResourceWaitTimeoutError: 3 slots not available' }],
    });
    const adaptive = rescale(hex('3'), { trigger: 'adaptive', triggerId: null, attempt: 2, startTime: 3000, endTime: null, status: 'IN_PROGRESS', taskManagers: null, statistics: null });
    gw.rescaleHistories.set(job.id, { rescales: [adaptive, failed, rescale(hex('1'), {})], counts: { COMPLETED: 5, FAILED: 1, IGNORED: 0 } });

    const history = await get(`/jobs/${job.id}/rescales/history`);
    expect(history.status).toBe(200);
    await expectSpecResponse('get', '/jobs/{jobid}/rescales/history', 200, history.body);
    expect(history.body.map((r: any) => [r.rescaleUuid, r.status, r.trigger, r.triggerCause, r.terminalState, r.terminatedReason])).toEqual([
      [hex('3'), 'IN_PROGRESS', 'adaptive', 'NEW_RESOURCE_AVAILABLE', null, null],
      [hex('2'), 'FAILED', 'requirements', 'UPDATE_REQUIREMENT', 'FAILED', 'EXCEPTION_OCCURRED'],
      [hex('1'), 'COMPLETED', 'user', 'UPDATE_REQUIREMENT', 'COMPLETED', 'SUCCEEDED'],
    ]);
    const done = history.body[2];
    expect(done.schedulerStates).toBeNull();
    expect(done.vertices[SOURCE]).toMatchObject({ jobVertexId: SOURCE, jobVertexName: 'Source', slotSharingGroupName: 'default', desiredParallelism: 3, sufficientParallelism: 1, preRescaleParallelism: 2, postRescaleParallelism: 3 });
    const [group] = Object.keys(done.slots);
    expect(done.vertices[SINK].slotSharingGroupId).toBe(group);
    expect(done.slots[group!]).toMatchObject({ desiredSlots: 3, minimalRequiredSlots: 1, preRescaleSlots: 2, postRescaleSlots: 3, requestResourceProfile: { cpuCores: -1 } });
    expect(done).toMatchObject({ durationInMillis: 500, triggerId: hex('f'), taskManagers: { added: ['taskmanager-00003'], released: [] } });
    expect(done.statistics).toMatchObject({ keyGroups: { moved: 42, minimum: 42 }, stateBytes: { moved: 1000, minimum: 900 }, maxHoldMs: 12, subtasks: { kept: 4, added: 2, retired: 0 } });
    expect(history.body[1]).toMatchObject({ failureCause: 'ResourceWaitTimeoutError: 3 slots not available', statistics: null });
    expect(history.body[1].vertices[SOURCE].postRescaleParallelism).toBeNull();
    expect(history.body[0]).toMatchObject({ endTimestampInMillis: null, durationInMillis: null, taskManagers: null, statistics: null, rescaleAttemptId: 2 });

    const overview = await get(`/jobs/${job.id}/rescales/overview`);
    await expectSpecResponse('get', '/jobs/{jobid}/rescales/overview', 200, overview.body);
    expect(overview.body.rescalesCounts).toEqual({ ignored: 0, inProgress: 1, completed: 5, failed: 1 });
    expect(overview.body.latest.completed.rescaleUuid).toBe(hex('1'));
    expect(overview.body.latest.failed.rescaleUuid).toBe(hex('2'));
    expect(overview.body.latest.ignored).toBeNull();

    const details = await get(`/jobs/${job.id}/rescales/details/${hex('2')}`);
    await expectSpecResponse('get', '/jobs/{jobid}/rescales/details/{rescaleuuid}', 200, details.body);
    expect(details.body.schedulerStates).toEqual([{
      state: 'waiting for 4 slot(s) (3 registered)', enterTimestampInMillis: 2000, leaveTimestampInMillis: 2100, durationInMillis: 100,
      stringifiedException: 'ResourceWaitTimeoutError: 3 slots not available',
    }]);

    const summary = await get(`/jobs/${job.id}/rescales/summary`);
    await expectSpecResponse('get', '/jobs/{jobid}/rescales/summary', 200, summary.body);
    expect(summary.body.rescalesDurationStatsInMillis).toMatchObject({ min: 100, max: 500, avg: 300, p50: 300 });
    expect(summary.body.completedRescalesDurationStatsInMillis).toMatchObject({ min: 500, max: 500, avg: 500 });
    expect(summary.body.ignoredRescalesDurationStatsInMillis).toEqual({ min: 0, max: 0, avg: 0, p50: 'NaN', p90: 'NaN', p95: 'NaN', p99: 'NaN', p999: 'NaN' });
  });

  it('reads a rescale of an ended job that never ended as FAILED, and counts it', async () => {
    const job = gw.addJob({ state: 'CANCELED', endTime: 9000 });
    gw.rescaleHistories.set(job.id, { rescales: [rescale(hex('4'), { status: 'IN_PROGRESS', endTime: null, statistics: null, taskManagers: null, startTime: 8000 })], counts: { COMPLETED: 0, FAILED: 0, IGNORED: 0 } });
    const [r] = (await get(`/jobs/${job.id}/rescales/history`)).body;
    expect(r).toMatchObject({ status: 'FAILED', terminalState: 'FAILED', endTimestampInMillis: 9000, durationInMillis: 1000, failureCause: 'JobEnded: the job ended (CANCELED) before the rescale did' });
    expect((await get(`/jobs/${job.id}/rescales/overview`)).body.rescalesCounts).toEqual({ ignored: 0, inProgress: 0, completed: 0, failed: 1 });
  });

  it('answers the settings in Flink\'s JobRescaleConfigInfo, and empty answers for a job without rescales', async () => {
    const job = gw.addJob();
    gw.rescaleSettings = { historySize: 7, resourceWaitTimeoutMs: 5000, resourceStabilizationTimeoutMs: 250 };
    const config = await get(`/jobs/${job.id}/rescales/config`);
    await expectSpecResponse('get', '/jobs/{jobid}/rescales/config', 200, config.body);
    expect(config.body).toMatchObject({ rescaleHistoryMax: 7, schedulerExecutionMode: null, submissionResourceWaitTimeoutInMillis: 5000, submissionResourceStabilizationTimeoutInMillis: 250 });
    expect((await get(`/jobs/${job.id}/rescales/history`)).body).toEqual([]);
    expect((await get(`/jobs/${job.id}/rescales/overview`)).body).toEqual({ rescalesCounts: { ignored: 0, inProgress: 0, completed: 0, failed: 0 }, latest: { completed: null, failed: null, ignored: null } });
  });

  it('answers 404 for an unknown job or rescale', async () => {
    const job = gw.addJob();
    for (const p of ['overview', 'summary', 'history', 'config', `details/${hex('1')}`]) {
      const r = await get(`/jobs/${hex('9')}/rescales/${p}`);
      expect(r.status, p).toBe(404);
    }
    const r = await get(`/jobs/${job.id}/rescales/details/${hex('1')}`);
    expect(r.status).toBe(404);
    await expectSpecResponse('get', '/jobs/{jobid}/rescales/details/{rescaleuuid}', 404, r.body);
  });

  it('summarises durations like Flink: min, max, mean rounded down, interpolated percentiles', () => {
    expect(statsSummary([10, 20, 30, 41])).toEqual({ min: 10, max: 41, avg: 25, p50: 25, p90: expect.closeTo(37.7, 5), p95: expect.closeTo(39.35, 5), p99: expect.closeTo(40.67, 5), p999: expect.closeTo(40.967, 5) });
  });
});
