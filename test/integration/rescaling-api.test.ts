/**
 * The rescaling API on the dispatcher side: PATCH /jobs/:id/rescaling, the status route, and
 * FLIP-291's resource requirements (GET derivation, PUT validation), every answer checked against
 * openapi.yaml; the request recorded as an operation in Redis, run by the job process, and kept
 * across a dispatcher restart. Records without a job process make the operation outcomes
 * deterministic; real jobs show the round trip.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDispatcher } from '../../api/index.js';
import { json, processesMatching, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { runJar, waitForState } from '../helpers/fraud.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { getJson, hexId, patchRescaling, putRequirements, recordOnlyJob, vertex, waitForRescale } from '../helpers/rescaling.js';

let d: TestDispatcher;
const stream = `ebbtest-rescale-${randomBytes(4).toString('hex')}`;
// Two vertices (source → rebalance → sink); never ends on its own.
const endless = (redisUrl: string) => `export default function (env) {
  env.fromRedisStreams({ url: ${JSON.stringify(redisUrl)}, streams: [${JSON.stringify(stream)}] }).rebalance().sinkTo(env.fileSink('/dev/null'));
}`;
const BOUNDED = 'export default function (env) { env.fromElements([1, 2, 3]).sinkTo(env.fileSink(\'/dev/null\')); }';
let endlessJar: string;
let running: string; // a real job at parallelism 1
let finished: string;

const PATCH = '/jobs/{jobid}/rescaling';
const STATUS = '/jobs/{jobid}/rescaling/{triggerid}';
const REQS = '/jobs/{jobid}/resource-requirements';

async function expectErrors(method: string, path: string, a: { status: number; body: any }, status: number, ...patterns: RegExp[]): Promise<void> {
  expect(a.status, JSON.stringify(a.body)).toBe(status);
  await expectSpecResponse(method, path, status, a.body);
  for (const p of patterns) expect(a.body.errors.join('\n')).toMatch(p);
}

beforeAll(async () => {
  // Rescales of record-only jobs (which never end) reserve TaskManagers; the limits are capacity.test.ts's subject, not this file's.
  d = await startTestDispatcher({ maxTaskManagers: 1000 });
  endlessJar = (await json(await upload(d.url, 'endless.mjs', endless(d.redisUrl)))).filename;
  const boundedJar = (await json(await upload(d.url, 'bounded.mjs', BOUNDED))).filename;
  running = (await runJar(d, endlessJar, { parallelism: 1 })).body.jobid;
  finished = (await runJar(d, boundedJar, { parallelism: 1 })).body.jobid;
  await waitForState(d, running, 'RUNNING');
  await waitForState(d, finished, 'FINISHED');
});
afterAll(async () => {
  await d?.redis.del(stream);
  await d?.close();
});

describe('PATCH /jobs/:jobid/rescaling', () => {
  it('refuses a missing, non-integer, too small or too large parallelism with 400', async () => {
    await expectErrors('patch', PATCH, await patchRescaling(d.url, running, ''), 400, /"parallelism" is missing/);
    await expectErrors('patch', PATCH, await patchRescaling(d.url, running, '?parallelism='), 400, /"parallelism" is missing/);
    for (const bad of ['abc', '1.5', '2x', '1e2']) {
      await expectErrors('patch', PATCH, await patchRescaling(d.url, running, `?parallelism=${bad}`), 400, /parallelism must be an integer/);
    }
    await expectErrors('patch', PATCH, await patchRescaling(d.url, running, '?parallelism=0'), 400, /at least 1, got 0/);
    await expectErrors('patch', PATCH, await patchRescaling(d.url, running, '?parallelism=-3'), 400, /at least 1, got -3/);
    const { maxParallelism } = (await getJson(`${d.url}/jobs/${running}`)).body;
    expect(maxParallelism).toBe(128);
    await expectErrors('patch', PATCH, await patchRescaling(d.url, running, '?parallelism=129'), 400, /parallelism 129 exceeds the job's max parallelism 128/);
  });

  it('answers 404 for an unknown job and 409 for a job that ended or is ending', async () => {
    await expectErrors('patch', PATCH, await patchRescaling(d.url, hexId(), '?parallelism=1'), 404, /does not exist/);
    await expectErrors('patch', PATCH, await patchRescaling(d.url, 'not-a-job', '?parallelism=1'), 404, /does not exist/);
    await expectErrors('patch', PATCH, await patchRescaling(d.url, finished, '?parallelism=1'), 409, /FINISHED; only a job that is INITIALIZING, CREATED, RUNNING, RESTARTING/);
    for (const state of ['CANCELED', 'FAILED', 'CANCELLING'] as const) {
      const { id } = await recordOnlyJob(d, state, [vertex('Source', 1, 128)]);
      await expectErrors('patch', PATCH, await patchRescaling(d.url, id, '?parallelism=1'), 409, new RegExp(`is ${state};`));
    }
    // The job is looked at before the parameter, as it always was: 404 and 409 win over a bad parallelism.
    await expectErrors('patch', PATCH, await patchRescaling(d.url, hexId(), '?parallelism=abc'), 404, /does not exist/);
    await expectErrors('patch', PATCH, await patchRescaling(d.url, hexId(), ''), 404, /does not exist/);
    await expectErrors('patch', PATCH, await patchRescaling(d.url, finished, '?parallelism=0'), 409, /FINISHED; only a job/);
  });

  it('accepts a request for every rescalable state, records it in Redis and queues it for the job process', async () => {
    for (const state of ['CREATED', 'RUNNING', 'RESTARTING'] as const) {
      const { id } = await recordOnlyJob(d, state, [vertex('Source', 1, 128)]);
      const a = await patchRescaling(d.url, id, '?parallelism=3');
      expect(a.status).toBe(202);
      await expectSpecResponse('patch', PATCH, 202, a.body);
      const trigger = a.body['request-id'];
      expect(await d.redis.lrange(`${d.keyPrefix}job:${id}:ops`, 0, -1)).toEqual([trigger]);
      const op = await d.redis.hgetall(`${d.keyPrefix}job:${id}:op:${trigger}`);
      expect(op).toMatchObject({ kind: 'rescale', status: 'IN_PROGRESS', parallelism: '3', requirements: '{}', result: '' });
    }
    // Not planned yet (max parallelism 0 in the record): the limit is what planning will choose.
    const { id } = await recordOnlyJob(d, 'INITIALIZING', [], 0);
    expect((await patchRescaling(d.url, id, '?parallelism=3')).status).toBe(202);
    await expectErrors('patch', PATCH, await patchRescaling(d.url, id, '?parallelism=129'), 400, /exceeds the job's max parallelism 128/);
  });

  it('runs on a real job: a request for the current parallelism completes', async () => {
    const a = await patchRescaling(d.url, running, '?parallelism=1');
    expect(a.status).toBe(202);
    const done = await waitForRescale(d.url, running, a.body['request-id']);
    await expectSpecResponse('get', STATUS, 200, done);
    expect(done.operation).not.toHaveProperty('failure-cause');
    expect((await getJson(`${d.url}/jobs/${running}`)).body.state).toBe('RUNNING');
  });
});

describe('GET /jobs/:jobid/rescaling/:triggerid', () => {
  it('reports IN_PROGRESS, then the result or the failure cause, in the savepoint route\'s shape', async () => {
    const { id, registry } = await recordOnlyJob(d, 'RUNNING', [vertex('Source', 2, 128)]);
    const ok = (await patchRescaling(d.url, id, '?parallelism=4')).body['request-id'];
    const bad = (await patchRescaling(d.url, id, '?parallelism=5')).body['request-id'];
    const bare = (await patchRescaling(d.url, id, '?parallelism=6')).body['request-id'];
    const status = async (t: string) => { const a = await getJson(`${d.url}/jobs/${id}/rescaling/${t}`); await expectSpecResponse('get', STATUS, a.status, a.body); return a.body; };
    expect(await status(ok)).toEqual({ status: { id: 'IN_PROGRESS' }, operation: null });

    await registry.completeOperation(id, ok, { result: { durationMs: 812, movedKeyGroups: 64 } });
    await registry.completeOperation(id, bad, { failureCause: 'Error: no slots for 5 subtasks\n    at somewhere' });
    await registry.completeOperation(id, bare, {});
    expect(await status(ok)).toEqual({ status: { id: 'COMPLETED' }, operation: { durationMs: 812, movedKeyGroups: 64 } });
    expect(await status(bad)).toEqual({
      status: { id: 'COMPLETED' },
      operation: { 'failure-cause': { class: 'Error', 'stack-trace': 'Error: no slots for 5 subtasks\n    at somewhere', 'serialized-throwable': expect.stringMatching(/^rO0AB/) } },
    });
    expect(await status(bare)).toEqual({ status: { id: 'COMPLETED' }, operation: {} });
  });

  it('completes with JobEnded when the job ended before taking the request up', async () => {
    const { id, registry } = await recordOnlyJob(d, 'RUNNING', [vertex('Source', 1, 128)]);
    const t = (await patchRescaling(d.url, id, '?parallelism=2')).body['request-id'];
    await registry.transition(id, 'CANCELED');
    const a = await getJson(`${d.url}/jobs/${id}/rescaling/${t}`);
    await expectSpecResponse('get', STATUS, 200, a.body);
    expect(a.body.operation['failure-cause']).toMatchObject({ class: 'JobEnded', 'stack-trace': 'JobEnded: the job ended (CANCELED) before the rescaling was taken up' });
  });

  it('answers 404 for unknown triggers and jobs, and keeps savepoint and rescaling triggers apart', async () => {
    const { id } = await recordOnlyJob(d, 'RUNNING', [vertex('Source', 1, 128)]);
    await expectErrors('get', STATUS, await getJson(`${d.url}/jobs/${id}/rescaling/${hexId()}`), 404, /No rescaling operation/);
    await expectErrors('get', STATUS, await getJson(`${d.url}/jobs/${id}/rescaling/nope`), 404, /No rescaling operation nope/);
    await expectErrors('get', STATUS, await getJson(`${d.url}/jobs/${hexId()}/rescaling/${hexId()}`), 404, /does not exist/);
    const savepoint = (await json(await fetch(`${d.url}/jobs/${id}/savepoints`, { method: 'POST' })))['request-id'];
    const rescale = (await patchRescaling(d.url, id, '?parallelism=2')).body['request-id'];
    await expectErrors('get', STATUS, await getJson(`${d.url}/jobs/${id}/rescaling/${savepoint}`), 404, /No rescaling operation/);
    await expectErrors('get', '/jobs/{jobid}/savepoints/{triggerid}', await getJson(`${d.url}/jobs/${id}/savepoints/${rescale}`), 404, /No savepoint operation/);
    expect((await getJson(`${d.url}/jobs/${id}/savepoints/${savepoint}`)).body.status.id).toBe('IN_PROGRESS');
    const reused = await fetch(`${d.url}/jobs/${id}/savepoints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ triggerId: rescale }) });
    await expectErrors('post', '/jobs/{jobid}/savepoints', { status: reused.status, body: await json(reused) }, 409, /already the id of a rescaling request/);
  });
});

describe('/jobs/:jobid/resource-requirements', () => {
  it('GET derives [1, parallelism] per vertex until the job process records requirements, then merges them', async () => {
    const details = (await getJson(`${d.url}/jobs/${running}`)).body;
    expect(details.vertices).toHaveLength(2);
    const a = await getJson(`${d.url}/jobs/${running}/resource-requirements`);
    expect(a.status).toBe(200);
    await expectSpecResponse('get', REQS, 200, a.body);
    expect(a.body).toEqual(Object.fromEntries(details.vertices.map((v: { id: string }) => [v.id, { parallelism: { lowerBound: 1, upperBound: 1 } }])));

    const [src, sink] = [vertex('Source', 2, 128), vertex('Sink', 2, 128)];
    const { id, registry } = await recordOnlyJob(d, 'RUNNING', [src, sink]);
    await registry.update(id, { resourceRequirements: { [src.id]: { parallelism: { lowerBound: 2, upperBound: 4 } } } });
    expect((await getJson(`${d.url}/jobs/${id}/resource-requirements`)).body).toEqual({
      [src.id]: { parallelism: { lowerBound: 2, upperBound: 4 } },
      [sink.id]: { parallelism: { lowerBound: 1, upperBound: 2 } },
    });
    await expectErrors('get', REQS, await getJson(`${d.url}/jobs/${hexId()}/resource-requirements`), 404, /does not exist/);
  });

  it('PUT refuses malformed bodies, unknown vertices and bad bounds with 400, naming vertex and limit', async () => {
    const [src, sink] = [vertex('Redis Streams source', 1, 4), vertex('Sink', 1, 128)];
    const { id } = await recordOnlyJob(d, 'RUNNING', [src, sink]);
    const put = (body: unknown) => putRequirements(d.url, id, body);
    const bounds = (lowerBound: unknown, upperBound: unknown) => ({ parallelism: { lowerBound, upperBound } });
    for (const body of [undefined, [1, 2], 'text', 7, null]) await expectErrors('put', REQS, await put(body), 400, /must be a JSON object mapping vertex ids/);
    await expectErrors('put', REQS, await put({}), 400, /names no vertex/);
    const stranger = hexId();
    await expectErrors('put', REQS, await put({ [stranger]: bounds(1, 1) }), 400, new RegExp(`vertex "${stranger}" is not a vertex of job ${id}`));
    await expectErrors('put', REQS, await put({ [src.id]: { parallelism: 2 } }), 400, /expected \{"parallelism"/);
    await expectErrors('put', REQS, await put({ [src.id]: { parallelism: { lowerBound: 1, upperBound: 2, extra: 1 } } }), 400, /unknown field\(s\) "extra"/);
    await expectErrors('put', REQS, await put({ [src.id]: bounds('1', 2) }), 400, /lowerBound must be an integer, got "1"/);
    await expectErrors('put', REQS, await put({ [src.id]: bounds(1, 2.5) }), 400, /upperBound must be an integer, got 2.5/);
    await expectErrors('put', REQS, await put({ [src.id]: { parallelism: { lowerBound: 1 } } }), 400, /upperBound must be an integer, got nothing/);
    await expectErrors('put', REQS, await put({ [src.id]: bounds(0, 2) }), 400, /lowerBound must be at least 1, got 0/);
    await expectErrors('put', REQS, await put({ [src.id]: bounds(3, 2) }), 400, /lowerBound 3 exceeds upperBound 2/);
    await expectErrors('put', REQS, await put({ [src.id]: bounds(1, 5) }), 400,
      new RegExp(`vertex ${src.id} \\(Redis Streams source\\): upperBound 5 exceeds the vertex's max parallelism 4`));
    // Every problem at once, one entry each.
    const many = await put({ [src.id]: bounds(0, 9), [sink.id]: bounds(2, 1) });
    await expectErrors('put', REQS, many, 400);
    expect(many.body.errors).toHaveLength(3);
    expect(await d.redis.llen(`${d.keyPrefix}job:${id}:ops`)).toBe(0);
  });

  it('PUT answers 404 for an unknown job and 409 for an ended one', async () => {
    await expectErrors('put', REQS, await putRequirements(d.url, hexId(), { [hexId()]: { parallelism: { lowerBound: 1, upperBound: 1 } } }), 404, /does not exist/);
    const v = (await getJson(`${d.url}/jobs/${finished}`)).body.vertices[0].id;
    await expectErrors('put', REQS, await putRequirements(d.url, finished, { [v]: { parallelism: { lowerBound: 1, upperBound: 1 } } }), 409, /is FINISHED/);
    const { id } = await recordOnlyJob(d, 'CANCELED', [vertex('Source', 1, 128)]);
    await expectErrors('put', REQS, await putRequirements(d.url, id, {}), 409, /is CANCELED/);
  });

  it('PUT records a rescale operation with the body as given (the job process merges it) and the job process runs it', async () => {
    const [src, sink] = (await getJson(`${d.url}/jobs/${running}`)).body.vertices.map((v: { id: string }) => v.id);
    const body = { [src]: { parallelism: { lowerBound: 1, upperBound: 1 } } };
    const a = await putRequirements(d.url, running, body);
    expect(a.status).toBe(200);
    await expectSpecResponse('put', REQS, 200, a.body);
    const trigger = a.body['request-id'];
    const op = await d.redis.hgetall(`${d.keyPrefix}job:${running}:op:${trigger}`);
    expect(op).toMatchObject({ kind: 'rescale', parallelism: '0' });
    expect(JSON.parse(op.requirements!)).toEqual(body);
    expect(JSON.parse(op.requirements!)).not.toHaveProperty(sink);
    const done = await waitForRescale(d.url, running, trigger);
    expect(done.operation).not.toHaveProperty('failure-cause');
  });
});

describe('across a dispatcher restart', () => {
  it('keeps an accepted request, which completes once the job process takes it up', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-rescale-restart-'));
    const opts = { host: '127.0.0.1', port: 0, redisUrl: d.redisUrl, dataDir, keyPrefix: `${d.keyPrefix}restart:`, logLevel: 'silent' as const };
    const first = await startDispatcher({ ...opts, cancelJobsOnClose: false });
    let second: Awaited<ReturnType<typeof startDispatcher>> | undefined;
    let jm: { pid: number } | undefined;
    try {
      const jar = (await json(await upload(first.url, 'endless.mjs', endless(d.redisUrl)))).filename;
      const run = await fetch(`${first.url}/jars/${jar}/run`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parallelism: 1, flinkConfiguration: { 'heartbeat.timeout': 60000 } }),
      });
      const id = (await json(run)).jobid;
      await waitFor('RUNNING', async () => ((await getJson(`${first.url}/jobs/${id}`)).body.state === 'RUNNING' ? true : undefined));
      [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
      expect(jm).toBeDefined();
      // Hold the job process so the request is still open while the dispatcher restarts.
      process.kill(jm!.pid, 'SIGSTOP');
      const trigger = (await patchRescaling(first.url, id, '?parallelism=1')).body['request-id'];
      await first.close();

      second = await startDispatcher(opts);
      const open = await getJson(`${second.url}/jobs/${id}/rescaling/${trigger}`);
      await expectSpecResponse('get', STATUS, 200, open.body);
      expect(open.body).toEqual({ status: { id: 'IN_PROGRESS' }, operation: null });
      process.kill(jm!.pid, 'SIGCONT');
      const done = await waitForRescale(second.url, id, trigger);
      expect(done.operation).not.toHaveProperty('failure-cause');

      expect((await fetch(`${second.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
      await waitFor('CANCELED', async () => ((await getJson(`${second!.url}/jobs/${id}`)).body.state === 'CANCELED' ? true : undefined));
      await waitFor('processes gone', async () => ((await processesMatching(id)).length === 0 ? true : undefined), 15_000);
    } finally {
      if (jm) try { process.kill(jm.pid, 'SIGCONT'); } catch { /* gone */ }
      await first.close();
      await second?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('/config', () => {
  it('offers rescaling in the web form', async () => {
    expect((await getJson(`${d.url}/config`)).body.features['web-rescale']).toBe(true);
  });
});
