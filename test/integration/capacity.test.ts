/**
 * Capacity reserved atomically, through HTTP on a real dispatcher (issue 14, defect 7) with
 * EBBFLOW_MAX_TASKMANAGERS=3 and EBBFLOW_MAX_TASKMANAGERS_PER_JOB=4: concurrent runs never get past
 * 3 TaskManagers (counted as real processes and as reservations) and the refused ones get 400 naming
 * the limit; a rescale past what the other jobs leave is refused and one within it runs; a
 * resource-requirements lower bound that cannot be met answers 400 naming the bound and the limit,
 * with nothing queued or started; a cancelled or finished job releases its reservation so that a
 * new job can run; a dispatcher that starts drops what ended or unknown jobs left reserved. The
 * steps run in order on one dispatcher.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDispatcher } from '../../api/index.js';
import { json, processesMatching, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { runJar, waitForState } from '../helpers/fraud.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { getJson, patchRescaling, putRequirements, waitForRescale } from '../helpers/rescaling.js';

let d: TestDispatcher;
let endless: string;
let bounded: string;
const stream = `ebbtest-capacity-${randomBytes(4).toString('hex')}`;
const TOTAL = /together at most 3 \(EBBFLOW_MAX_TASKMANAGERS\)/;

const reservations = async (): Promise<Record<string, number>> =>
  Object.fromEntries(Object.entries(await d.redis.hgetall(`${d.keyPrefix}capacity:taskmanagers`)).map(([k, v]) => [k, Number(v)]));
const taskManagers = async (ids: string[]): Promise<number> => {
  let n = 0;
  for (const id of ids) n += (await processesMatching(`ebbflow-taskmanager ${id}`)).length;
  return n;
};
const cancel = async (id: string) => {
  expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
  await waitForState(d, id, 'CANCELED');
};

// Accepted jobs, in order: `a` is rescaled, `b` gets requirements.
let accepted: string[] = [];
let a: string;
let b: string;

beforeAll(async () => {
  d = await startTestDispatcher({ maxTaskManagers: 3, maxTaskManagersPerJob: 4 });
  endless = (await json(await upload(d.url, 'endless.mjs', `export default function (env) {
    env.fromRedisStreams({ url: ${JSON.stringify(d.redisUrl)}, streams: [${JSON.stringify(stream)}, ${JSON.stringify(`${stream}:b`)}] }).rebalance().sinkTo(env.fileSink('/dev/null'));
  }`))).filename;
  bounded = (await json(await upload(d.url, 'bounded.mjs', 'export default function (env) { env.fromElements([1, 2, 3]).sinkTo(env.fileSink(\'/dev/null\')); }'))).filename;
});
afterAll(async () => {
  await d?.redis.del(stream, `${stream}:b`);
  await d?.close();
});

describe('TaskManager capacity (EBBFLOW_MAX_TASKMANAGERS=3)', () => {
  it('five concurrent runs: three are accepted, two get 400, and no more than 3 TaskManagers start', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, () => runJar(d, endless, { parallelism: 1 })));
    const ok = answers.filter((x) => x.status === 200);
    const refused = answers.filter((x) => x.status !== 200);
    expect(ok.length, JSON.stringify(answers)).toBe(3);
    for (const r of refused) {
      expect(r.status).toBe(400);
      await expectSpecResponse('post', '/jars/{jarid}/run', 400, r.body);
      expect(r.body.errors.join('\n')).toMatch(TOTAL);
    }
    accepted = ok.map((x) => x.body.jobid);
    for (const id of accepted) await waitForState(d, id, 'RUNNING');
    await waitFor('a TaskManager per accepted job', async () => ((await taskManagers(accepted)) === 3 ? true : undefined), 20_000);
    expect(await reservations()).toEqual(Object.fromEntries(accepted.map((id) => [id, 1])));
    // Only accepted jobs have records: the refused runs left nothing behind.
    expect((await json(await fetch(`${d.url}/jobs`))).jobs.map((j: { id: string }) => j.id).sort()).toEqual([...accepted].sort());
  });

  it('a cancelled job releases its reservation, so a new job can run', async () => {
    expect((await runJar(d, endless, { parallelism: 1 })).status).toBe(400);
    await cancel(accepted[1]!);
    await cancel(accepted[2]!);
    expect(await reservations()).toEqual({ [accepted[0]!]: 1 });
    a = accepted[0]!;
    const run = await runJar(d, endless, { parallelism: 1 });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    b = run.body.jobid;
    await waitForState(d, b, 'RUNNING');
    expect(await reservations()).toEqual({ [a]: 1, [b]: 1 });
  });

  it('a rescale past what the other jobs leave is refused; one within it runs', async () => {
    const over = await patchRescaling(d.url, a, '?parallelism=3');
    expect(over.status, JSON.stringify(over.body)).toBe(400);
    await expectSpecResponse('patch', '/jobs/{jobid}/rescaling', 400, over.body);
    expect(over.body.errors.join('\n')).toMatch(/parallelism 3 needs 3 TaskManagers and the dispatcher's other jobs have 1; together at most 3 \(EBBFLOW_MAX_TASKMANAGERS\), so this job can have at most 2/);
    expect(await d.redis.llen(`${d.keyPrefix}job:${a}:ops`)).toBe(0);
    expect(await reservations()).toEqual({ [a]: 1, [b]: 1 });

    const within = await patchRescaling(d.url, a, '?parallelism=2');
    expect(within.status, JSON.stringify(within.body)).toBe(202);
    const done = await waitForRescale(d.url, a, within.body['request-id'], 60_000);
    expect(done.operation, JSON.stringify(done)).not.toHaveProperty('failure-cause');
    expect(await reservations()).toEqual({ [a]: 2, [b]: 1 });
    await waitFor('job a on 2 TaskManagers', async () => ((await taskManagers([a])) === 2 ? true : undefined), 20_000);
    expect(await taskManagers([a, b])).toBe(3);
  });

  it('a resource-requirements lower bound that cannot be met answers 400 naming it and the limit; nothing starts', async () => {
    const { body: job } = await getJson(`${d.url}/jobs/${b}`);
    // The sink (after the rebalance): the source's max parallelism is its number of streams.
    const vertex = job.vertices.find((v: { maxParallelism: number }) => v.maxParallelism >= 128);
    const put = (lowerBound: number, upperBound: number) => putRequirements(d.url, b, { [vertex.id]: { parallelism: { lowerBound, upperBound } } });

    const perJob = await put(5, 128);
    expect(perJob.status, JSON.stringify(perJob.body)).toBe(400);
    await expectSpecResponse('put', '/jobs/{jobid}/resource-requirements', 400, perJob.body);
    expect(perJob.body.errors.join('\n')).toMatch(new RegExp(`vertex ${vertex.id} \\(${vertex.name}\\): lowerBound 5 needs 5 TaskManagers .*; a job may have at most 4 \\(EBBFLOW_MAX_TASKMANAGERS_PER_JOB\\)`));

    const total = await put(2, 2);
    expect(total.status, JSON.stringify(total.body)).toBe(400);
    expect(total.body.errors.join('\n')).toMatch(/lowerBound 2 needs 2 TaskManagers .*; the dispatcher's other jobs have 2 of at most 3 \(EBBFLOW_MAX_TASKMANAGERS\), which leaves 1/);

    expect(await d.redis.llen(`${d.keyPrefix}job:${b}:ops`)).toBe(0);
    expect(await reservations()).toEqual({ [a]: 2, [b]: 1 });
    expect(await taskManagers([b])).toBe(1);
    expect((await getJson(`${d.url}/jobs/${b}`)).body.state).toBe('RUNNING');

    // A lower bound that fits is taken; its upper bound is lowered to what could be reserved.
    const fits = await put(1, 128);
    expect(fits.status, JSON.stringify(fits.body)).toBe(200);
    const op = await d.redis.hgetall(`${d.keyPrefix}job:${b}:op:${fits.body['request-id']}`);
    expect(JSON.parse(op.requirements!)[vertex.id]).toEqual({ parallelism: { lowerBound: 1, upperBound: 1 } });
    await waitForRescale(d.url, b, fits.body['request-id'], 60_000);
    expect(await taskManagers([a, b])).toBe(3);
  });

  it('a finished job releases its reservation', async () => {
    await cancel(b);
    expect(await reservations()).toEqual({ [a]: 2 });
    const run = await runJar(d, bounded, { parallelism: 1 });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    await waitForState(d, run.body.jobid, 'FINISHED');
    expect(await reservations()).toEqual({ [a]: 2 });
    // A rescale down keeps the larger reservation while it runs; the job process lowers it once it ended.
    const down = await patchRescaling(d.url, a, '?parallelism=1');
    expect(down.status, JSON.stringify(down.body)).toBe(202);
    const done = await waitForRescale(d.url, a, down.body['request-id'], 60_000);
    expect(done.operation, JSON.stringify(done)).not.toHaveProperty('failure-cause');
    await waitFor('the reservation of a to come down to 1', async () => ((await reservations())[a] === 1 ? true : undefined), 10_000);
    await cancel(a);
    expect(await reservations()).toEqual({});
  });

  it('a dispatcher that starts drops the reservations of ended and unknown jobs (left by a crash) and keeps the others', async () => {
    const ended = (await json(await fetch(`${d.url}/jobs`))).jobs[0].id as string;
    const unknown = randomBytes(16).toString('hex');
    const live = await runJar(d, endless, { parallelism: 1 });
    expect(live.status, JSON.stringify(live.body)).toBe(200);
    await d.redis.hset(`${d.keyPrefix}capacity:taskmanagers`, ended, '2', unknown, '1');
    const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-test-'));
    const next = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl: d.redisUrl, keyPrefix: d.keyPrefix, dataDir, logLevel: 'silent', cancelJobsOnClose: false });
    try {
      expect(await reservations()).toEqual({ [live.body.jobid]: 1 });
    } finally {
      await next.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    await cancel(live.body.jobid);
    expect(await reservations()).toEqual({});
  });
});
