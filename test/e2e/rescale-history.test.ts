/**
 * The rescale history end to end: the fraud-detection job is rescaled 2 → 3 with PATCH /rescaling
 * and back to 2 with PUT /resource-requirements; `/jobs/:jobid/rescales/*` then answers both in
 * Flink 2.3's shapes (validated against openapi.yaml), newest first, each with its trigger, request
 * id, parallelism per vertex, steps, the key groups moved against the minimum, and the TaskManager
 * added by the first and released by the second. Removing the ended job removes its history.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { JobRegistry, rescaleCountsKey, rescalesKey } from '../../metadata/index.js';
import { deleteKeys, json, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { fraudArgs, runJar, uploadFraud, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { pollRescale, rescale } from '../helpers/rescale.js';
import { putRequirements } from '../helpers/rescaling.js';

let d: TestDispatcher;
let jar: string;
const tag = `ebbtest-rescale-history-${randomBytes(4).toString('hex')}`;

beforeAll(async () => { d = await startTestDispatcher(); jar = await uploadFraud(d); });
afterAll(async () => { await deleteKeys(d.redis, `${tag}*`); await d?.close(); });

async function getSpec(path: string, specPath: string, status = 200): Promise<any> {
  const res = await fetch(`${d.url}${path}`);
  const body = await json(res);
  expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(status);
  await expectSpecResponse('get', specPath, status, body);
  return body;
}

describe('rescale history', () => {
  it('records a PATCH and a requirements PUT rescale with their triggers and statistics, in Flink\'s shapes', async () => {
    const streams = [0, 1, 2, 3].map((i) => `${tag}-in-${i}`);
    await writeTransactions(d.redis, generateTransactions({ seed: 5, count: 2000, streams }));
    const run = await runJar(d, jar, {
      parallelism: 2, programArgsList: fraudArgs(d.redisUrl, streams, `${tag}-alerts`),
      flinkConfiguration: { 'execution.checkpointing.interval': 200, 'web.adaptive-scheduler.rescale-history.size': 5 },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id: string = run.body.jobid;
    await waitForState(d, id, 'RUNNING');
    await waitForCheckpoints(d, id, 1);
    expect(await getSpec(`/jobs/${id}/rescales/history`, '/jobs/{jobid}/rescales/history')).toEqual([]);

    const up = await rescale(d, id, 3);
    const upRequest = (await d.redis.keys(`${d.keyPrefix}job:${id}:op:*`)).map((k) => k.split(':op:')[1]!);
    const job = await json(await fetch(`${d.url}/jobs/${id}`));
    const vertexIds: string[] = job.vertices.map((v: { id: string }) => v.id);
    const down = await putRequirements(d.url, id, Object.fromEntries(vertexIds.map((v) => [v, { parallelism: { lowerBound: 1, upperBound: 2 } }])));
    expect(down.status, JSON.stringify(down.body)).toBe(200);
    const downResult = await pollRescale(d, id, down.body['request-id']);

    const history = await getSpec(`/jobs/${id}/rescales/history`, '/jobs/{jobid}/rescales/history');
    expect(history.map((r: any) => [r.trigger, r.status, r.triggerCause, r.terminalState, r.terminatedReason])).toEqual([
      ['requirements', 'COMPLETED', 'UPDATE_REQUIREMENT', 'COMPLETED', 'SUCCEEDED'],
      ['user', 'COMPLETED', 'UPDATE_REQUIREMENT', 'COMPLETED', 'SUCCEEDED'],
    ]);
    const [second, first] = history;
    expect(upRequest).toContain(first.triggerId);
    expect(second.triggerId).toBe(down.body['request-id']);
    expect(first.resourceRequirementsUuid).not.toBe(second.resourceRequirementsUuid);
    for (const [r, from, to, result] of [[first, 2, 3, up], [second, 3, 2, downResult]] as const) {
      expect(r.schedulerStates).toBeNull();
      expect(r.rescaleAttemptId).toBe(1);
      expect(r.endTimestampInMillis).toBeGreaterThanOrEqual(r.startTimestampInMillis);
      expect(r.durationInMillis).toBe(r.endTimestampInMillis - r.startTimestampInMillis);
      // The keyed window vertex moves exactly as many key groups as the minimum; the statistics are the operation's.
      expect(r.statistics).toMatchObject({ noop: false, checkpointId: result.checkpointId, keyGroups: result.keyGroups, stateBytes: result.stateBytes, subtasks: result.subtasks });
      expect(r.statistics.keyGroups.moved).toBe(r.statistics.keyGroups.minimum);
      expect(r.statistics.keyGroups.moved).toBeGreaterThan(0);
      const window = r.vertices[vertexIds[1]!];
      expect(window).toMatchObject({ jobVertexId: vertexIds[1], preRescaleParallelism: from, postRescaleParallelism: to, desiredParallelism: to });
      expect(Object.values(r.slots)).toEqual([expect.objectContaining({ preRescaleSlots: from, postRescaleSlots: to })]);
    }
    expect(first.taskManagers.added).toHaveLength(1);
    expect(first.taskManagers.released).toEqual([]);
    expect(second.taskManagers).toEqual({ added: [], released: first.taskManagers.added });
    expect(second.statistics.subtasks.retired).toBeGreaterThan(0);

    const details = await getSpec(`/jobs/${id}/rescales/details/${first.rescaleUuid}`, '/jobs/{jobid}/rescales/details/{rescaleuuid}');
    expect({ ...details, schedulerStates: null }).toEqual(first);
    expect(details.schedulerStates.map((s: any) => s.state)).toEqual(expect.arrayContaining([expect.stringMatching(/switching to the new scale/)]));
    for (const s of details.schedulerStates) expect(s.durationInMillis).toBe(s.leaveTimestampInMillis - s.enterTimestampInMillis);
    await getSpec(`/jobs/${id}/rescales/details/${'0'.repeat(32)}`, '/jobs/{jobid}/rescales/details/{rescaleuuid}', 404);

    const overview = await getSpec(`/jobs/${id}/rescales/overview`, '/jobs/{jobid}/rescales/overview');
    expect(overview.rescalesCounts).toEqual({ ignored: 0, inProgress: 0, completed: 2, failed: 0 });
    expect(overview.latest.completed.rescaleUuid).toBe(second.rescaleUuid);
    expect(overview.latest.failed).toBeNull();
    const summary = await getSpec(`/jobs/${id}/rescales/summary`, '/jobs/{jobid}/rescales/summary');
    expect(summary.completedRescalesDurationStatsInMillis).toMatchObject({
      min: Math.min(first.durationInMillis, second.durationInMillis), max: Math.max(first.durationInMillis, second.durationInMillis),
    });
    const config = await getSpec(`/jobs/${id}/rescales/config`, '/jobs/{jobid}/rescales/config');
    expect(config).toMatchObject({ rescaleHistoryMax: 5, submissionResourceStabilizationTimeoutInMillis: 10_000 });

    // The history goes with the job.
    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitForState(d, id, 'CANCELED');
    expect(await d.redis.exists(rescalesKey(d.keyPrefix, id), rescaleCountsKey(d.keyPrefix, id))).toBe(2);
    await waitFor('the ended job to be removable', async () => ((await new JobRegistry(d.redis, d.keyPrefix).remove(id)) ? true : undefined));
    expect(await d.redis.exists(rescalesKey(d.keyPrefix, id), rescaleCountsKey(d.keyPrefix, id))).toBe(0);
  });
});
