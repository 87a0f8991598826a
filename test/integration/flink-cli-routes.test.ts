/**
 * The Flink CLI routes against the testing gateway: request checks and answer shapes of every
 * state an operation can be in (the e2e replay is flink-cli-compat.test.ts), each answer checked
 * against openapi.yaml and Flink's message classes.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAsyncOperationInfo, expectCheckpointInfo, expectFlinkThrowable, expectJobResult } from '../helpers/flink-client.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { buildTestingApp, type TestingDispatcherGateway } from '../helpers/testing-dispatcher-gateway.js';

let app: FastifyInstance;
let gw: TestingDispatcherGateway;
beforeAll(async () => { ({ app, gw } = await buildTestingApp()); });
afterAll(async () => { await app?.close(); });

const get = async (url: string) => { const r = await app.inject({ method: 'GET', url }); return { status: r.statusCode, body: r.json() }; };
const post = async (url: string, payload?: unknown) => { const r = await app.inject({ method: 'POST', url, payload: payload as object }); return { status: r.statusCode, body: r.json() }; };

describe('POST/GET /jobs/:jobid/checkpoints', () => {
  it('triggers with any of Flink\'s checkpoint types, and refuses others after the 404', async () => {
    const job = gw.addJob();
    for (const body of [undefined, {}, { checkpointType: 'CONFIGURED', triggerId: null }, { checkpointType: 'FULL' }, { checkpointType: 'INCREMENTAL' }]) {
      const a = await post(`/v1/jobs/${job.id}/checkpoints`, body);
      expect(a.status, JSON.stringify(body)).toBe(202);
      await expectSpecResponse('post', '/jobs/{jobid}/checkpoints', 202, a.body);
    }
    expect((await post(`/jobs/${job.id}/checkpoints`, { checkpointType: 'SAVEPOINT' })).status).toBe(400);
    expect((await post(`/jobs/${'0'.repeat(32)}/checkpoints`, { checkpointType: 'SAVEPOINT' })).status).toBe(404);
  });

  it('answers IN_PROGRESS, then checkpointId, or failureCause (CheckpointInfo\'s spelling) readable by Java', async () => {
    const job = gw.addJob();
    const ok = (await post(`/jobs/${job.id}/checkpoints`, {})).body['request-id'];
    const bad = (await post(`/jobs/${job.id}/checkpoints`, {})).body['request-id'];
    const status = async (t: string) => { const a = await get(`/jobs/${job.id}/checkpoints/${t}`); await expectSpecResponse('get', '/jobs/{jobid}/checkpoints/{triggerid}', 200, a.body); return a.body; };
    expect(await status(ok)).toEqual({ status: { id: 'IN_PROGRESS' }, operation: null });
    Object.assign(gw.operations.get(ok)!, { status: 'COMPLETED', result: { checkpointId: 17 } });
    Object.assign(gw.operations.get(bad)!, { status: 'COMPLETED', failureCause: 'Error: checkpoint 18 expired after 600000 ms before every subtask acknowledged\n    at x (y.js:1:1)' });
    expect(await expectCheckpointInfo((await status(ok)).operation)).toEqual({ checkpointId: 17 });
    const failed = await status(bad);
    expect(Object.keys(failed.operation)).toEqual(['failureCause']);
    expect((await expectCheckpointInfo(failed.operation)).cause).toMatchObject({ message: 'checkpoint 18 expired after 600000 ms before every subtask acknowledged', originalErrorClassName: 'Error' });
    // A job that ended before taking the request up.
    const never = (await post(`/jobs/${job.id}/checkpoints`, {})).body['request-id'];
    job.state = 'CANCELED';
    expect((await expectCheckpointInfo((await status(never)).operation)).cause).toMatchObject({ originalErrorClassName: 'JobEnded' });
    // Another kind's trigger is not a checkpoint's.
    const sp = (await post(`/jobs/${gw.addJob().id}/savepoints`, {})).body['request-id'];
    expect((await get(`/jobs/${job.id}/checkpoints/${sp}`)).status).toBe(404);
  });
});

describe('/savepoint-disposal', () => {
  it('needs a savepoint-path, and answers IN_PROGRESS, {} or a failure cause', async () => {
    expect((await post('/savepoint-disposal', {})).status).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/savepoint-disposal' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/savepoint-disposal', headers: { 'content-type': 'text/plain' }, payload: '/data/sp' })).statusCode).toBe(415);
    expect((await post('/savepoint-disposal', { 'savepoint-path': 7 })).status).toBe(400);
    const t = (await post('/v1/savepoint-disposal', { 'savepoint-path': '/data/sp-1' })).body['request-id'];
    expect(gw.callsOf('disposeSavepoint')).toContainEqual(['/data/sp-1', undefined]);
    const status = async () => { const a = await get(`/savepoint-disposal/${t}`); await expectSpecResponse('get', '/savepoint-disposal/{triggerid}', 200, a.body); return a.body; };
    expect(await status()).toEqual({ status: { id: 'IN_PROGRESS' }, operation: null });
    gw.disposals.set(t, { status: 'COMPLETED' });
    expect(await status()).toEqual({ status: { id: 'COMPLETED' }, operation: {} });
    gw.disposals.set(t, { status: 'COMPLETED', failureCause: 'IllegalArgumentException: /data/x does not look like a savepoint (it has no _metadata file); nothing was deleted' });
    expect(await expectAsyncOperationInfo((await status()).operation)).toMatchObject({ originalErrorClassName: 'IllegalArgumentException', message: expect.stringContaining('no _metadata') });
    expect((await get(`/savepoint-disposal/${'1'.repeat(32)}`)).status).toBe(404);
  });
});

describe('GET /jobs/:jobid/execution-result', () => {
  it('IN_PROGRESS until the job ended; then JobResult with its application status and, when failed, its cause', async () => {
    const running = gw.addJob();
    expect((await get(`/jobs/${running.id}/execution-result`)).body).toEqual({ status: { id: 'IN_PROGRESS' } });
    const cases = [['FINISHED', 'SUCCEEDED'], ['CANCELED', 'CANCELED'], ['FAILED', 'FAILED']] as const;
    for (const [state, status] of cases) {
      const job = gw.addJob({ state, startTime: 1000, endTime: 4500, failureCause: state === 'FAILED' ? 'TypeError: x is not a function\n    at map (job.mjs:3:9)' : '' });
      const a = await get(`/v1/jobs/${job.id}/execution-result`);
      await expectSpecResponse('get', '/jobs/{jobid}/execution-result', 200, a.body);
      const r = await expectJobResult(a.body, job.id, status);
      expect(r['net-runtime']).toBe(3500);
      if (state === 'FAILED') expect(await expectFlinkThrowable(r['failure-cause'])).toMatchObject({ originalErrorClassName: 'TypeError', message: 'x is not a function' });
      else expect(r).not.toHaveProperty('failure-cause');
    }
    expect((await get(`/jobs/${'2'.repeat(32)}/execution-result`)).status).toBe(404);
  });
});

describe('POST /jobs/:jobid/stop', () => {
  it('passes drain to the use case', async () => {
    const job = gw.addJob();
    await post(`/v1/jobs/${job.id}/stop`, { targetDirectory: null, drain: true, formatType: 'CANONICAL', triggerId: null });
    await post(`/v1/jobs/${job.id}/stop`, { drain: false });
    expect(gw.callsOf('stopWithSavepoint').map(([, req]) => (req as { drain?: boolean }).drain)).toEqual([true, false]);
  });
});
