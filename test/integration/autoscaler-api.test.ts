/**
 * The autoscaler's REST routes on a real dispatcher: GET /jobs/:jobid/autoscaler in openapi.yaml's
 * shape (from the job's configuration before its job process published, then the job process's
 * state with its vertices and evaluations), PATCH refused with 400 naming the key (an unknown key, a
 * bad value, a bad pair, a body of the wrong shape), 404 for an unknown job, 409 for a job that does
 * not run; a good PATCH recorded, applied by the job process, polled to its result and shown by GET;
 * the state removed with the job. `ebbflow autoscaler` prints it, and changes it with --set/--reset.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoscalerKey } from '../../metadata/index.js';
import { runCli } from '../helpers/cli.js';
import { json, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { runJar, waitForState } from '../helpers/fraud.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { hexId, recordOnlyJob, vertex, type Answer } from '../helpers/rescaling.js';

let d: TestDispatcher;
const stream = `ebbtest-autoscaler-${randomBytes(4).toString('hex')}`;
const endless = (redisUrl: string) => `export default function (env) {
  env.fromRedisStreams({ url: ${JSON.stringify(redisUrl)}, streams: [${JSON.stringify(stream)}] }).rebalance().sinkTo(env.fileSink('/dev/null'));
}`;
let running: string;

const GET = '/jobs/{jobid}/autoscaler';
const CHANGE = '/jobs/{jobid}/autoscaler/{triggerid}';

async function getAutoscaler(id: string): Promise<Answer> {
  const res = await fetch(`${d.url}/jobs/${id}/autoscaler`);
  return { status: res.status, body: await json(res) };
}

async function patchAutoscaler(id: string, body: unknown, raw = false): Promise<Answer> {
  const res = await fetch(`${d.url}/jobs/${id}/autoscaler`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: raw ? String(body) : JSON.stringify(body) });
  return { status: res.status, body: await json(res) };
}

async function expectErrors(a: Answer, status: number, ...patterns: RegExp[]): Promise<void> {
  expect(a.status, JSON.stringify(a.body)).toBe(status);
  await expectSpecResponse('patch', GET, status, a.body);
  for (const p of patterns) expect(a.body.errors.join('\n')).toMatch(p);
}

beforeAll(async () => {
  d = await startTestDispatcher();
  const jar = (await json(await upload(d.url, 'endless.mjs', endless(d.redisUrl)))).filename;
  const run = await runJar(d, jar, {
    parallelism: 1,
    flinkConfiguration: { 'job.autoscaler.enabled': true, 'job.autoscaler.stabilization.interval': '1 s', 'metrics.fetcher.update-interval': 300 },
  });
  expect(run.status, JSON.stringify(run.body)).toBe(200);
  running = run.body.jobid;
  await waitForState(d, running, 'RUNNING');
});
afterAll(async () => {
  await d?.redis.del(stream);
  await d?.close();
});

describe('GET /jobs/:jobid/autoscaler', () => {
  it('shows the running job\'s autoscaler: settings, every vertex and the last evaluation, as openapi.yaml says', async () => {
    // The first snapshots may come before the job runs ('not-running'); then it evaluates.
    const body = await waitFor('the job process to publish an evaluation of the running job', async () => {
      const a = await getAutoscaler(running);
      return a.status === 200 && a.body.updatedAt !== null && a.body.lastEvaluation && a.body.lastEvaluation.code !== 'not-running' ? a.body : undefined;
    }, 20_000);
    await expectSpecResponse('get', GET, 200, body);
    expect(body).toMatchObject({ jobId: running, enabled: true, recommendOnly: false, overrides: {} });
    expect(body.options).toMatchObject({ 'job.autoscaler.enabled': true, 'job.autoscaler.stabilization.interval': 1000, 'job.autoscaler.utilization.target': 0.7, 'job.autoscaler.vertex.max-parallelism': null });
    const job = await (await fetch(`${d.url}/jobs/${running}`)).json() as { vertices: Array<{ id: string; name: string }> };
    expect(body.vertices.map((v: { vertexId: string; name: string }) => [v.vertexId, v.name])).toEqual(job.vertices.map((v) => [v.id, v.name]));
    // The source reads one stream: its cap, shown with the bounds.
    expect(body.vertices[0].bounds).toEqual({ lowerBound: null, upperBound: null, maxParallelism: 128, streams: 1, fixed: false });
    expect(['stabilizing', 'collecting', 'no-change']).toContain(body.lastEvaluation.code);
  });

  it('before the job process published, shows the settings from the job\'s configuration; 404 for an unknown job', async () => {
    const { id } = await recordOnlyJob(d, 'CREATED', [vertex('Source', 1, 128)]);
    const a = await getAutoscaler(id);
    expect(a.status).toBe(200);
    await expectSpecResponse('get', GET, 200, a.body);
    expect(a.body).toMatchObject({ jobId: id, enabled: false, updatedAt: null, lastEvaluation: null, vertices: [], decisions: [], restartTimeMs: 5000 });
    for (const unknown of [hexId(), 'not-a-job']) {
      const n = await getAutoscaler(unknown);
      expect(n.status).toBe(404);
      await expectSpecResponse('get', GET, 404, n.body);
    }
  });
});

describe('PATCH /jobs/:jobid/autoscaler', () => {
  it('refuses an unknown key, a bad value, a bad pair and a body of the wrong shape with 400 naming the key', async () => {
    await expectErrors(await patchAutoscaler(running, { 'job.autoscaler.utilisation.target': 0.5 }), 400,
      /job\.autoscaler\.utilisation\.target is not an autoscaler setting \(did you mean job\.autoscaler\.utilization\.target\?\)/);
    await expectErrors(await patchAutoscaler(running, { 'execution.checkpointing.interval': 100 }), 400, /execution\.checkpointing\.interval is not an autoscaler setting/);
    await expectErrors(await patchAutoscaler(running, { 'job.autoscaler.utilization.target': 1.5 }), 400, /job\.autoscaler\.utilization\.target must be a number from 0\.01 to 1, got 1\.5/);
    await expectErrors(await patchAutoscaler(running, { 'job.autoscaler.metrics.window': 'soon' }), 400, /job\.autoscaler\.metrics\.window must be a duration/);
    // A pair: the max below the (configured) target.
    await expectErrors(await patchAutoscaler(running, { 'job.autoscaler.utilization.max': 0.6 }), 400, /job\.autoscaler\.utilization\.max \(0\.6\) must be at least job\.autoscaler\.utilization\.target \(0\.7\)/);
    await expectErrors(await patchAutoscaler(running, {}), 400, /request body/);
    await expectErrors(await patchAutoscaler(running, [1]), 400, /request body must be/);
    await expectErrors(await patchAutoscaler(running, { 'job.autoscaler.enabled': [true] }), 400, /job\.autoscaler\.enabled must be/);
    await expectErrors(await patchAutoscaler(running, '{"job.autoscaler.enabled":', true), 400);
    // Nothing was recorded for the job process.
    expect((await getAutoscaler(running)).body.overrides).toEqual({});
  });

  it('answers 404 for an unknown job and 409 for a job that does not run, before looking at the body', async () => {
    await expectErrors(await patchAutoscaler(hexId(), { 'job.autoscaler.enabled': true }), 404, /does not exist/);
    await expectErrors(await patchAutoscaler(hexId(), { 'no.such.key': 1 }), 404, /does not exist/);
    for (const state of ['CREATED', 'CANCELED', 'FAILED'] as const) {
      const { id } = await recordOnlyJob(d, state, [vertex('Source', 1, 128)]);
      await expectErrors(await patchAutoscaler(id, { 'job.autoscaler.enabled': true }), 409, new RegExp(`is ${state}; the autoscaler's settings change only while it runs`));
      await expectErrors(await patchAutoscaler(id, { 'no.such.key': 1 }), 409);
    }
  });

  it('records a change the job process applies; its status shows the settings in force, and GET shows them', async () => {
    const a = await patchAutoscaler(running, { 'job.autoscaler.scaling.enabled': false, 'job.autoscaler.metrics.window': '20 s' });
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    await expectSpecResponse('patch', GET, 202, a.body);
    expect(a.body.options).toMatchObject({ 'job.autoscaler.scaling.enabled': false, 'job.autoscaler.metrics.window': 20_000 });
    const trigger: string = a.body['request-id'];
    const status = await waitFor(`change ${trigger} to complete`, async () => {
      const s = await json(await fetch(`${d.url}/jobs/${running}/autoscaler/${trigger}`));
      return s.status?.id === 'COMPLETED' ? s : undefined;
    }, 20_000);
    await expectSpecResponse('get', CHANGE, 200, status);
    expect(status.operation).toEqual({
      options: expect.objectContaining({ 'job.autoscaler.scaling.enabled': false, 'job.autoscaler.metrics.window': 20_000 }),
      overrides: { 'job.autoscaler.scaling.enabled': false, 'job.autoscaler.metrics.window': '20 s' },
    });
    const after = (await getAutoscaler(running)).body;
    await expectSpecResponse('get', GET, 200, after);
    expect(after).toMatchObject({ recommendOnly: true, overrides: { 'job.autoscaler.scaling.enabled': false, 'job.autoscaler.metrics.window': '20 s' } });
    // Validated against the changes so far: the window change stays, null takes the other back.
    const back = await patchAutoscaler(running, { 'job.autoscaler.scaling.enabled': null });
    expect(back.status).toBe(202);
    expect(back.body.options).toMatchObject({ 'job.autoscaler.scaling.enabled': true, 'job.autoscaler.metrics.window': 20_000 });
    const unknown = await fetch(`${d.url}/jobs/${running}/autoscaler/${hexId()}`);
    expect(unknown.status).toBe(404);
  });

  it('the state goes with the job', async () => {
    const { id, registry } = await recordOnlyJob(d, 'CANCELED', [vertex('Source', 1, 128)]);
    await d.redis.set(autoscalerKey(d.keyPrefix, id), JSON.stringify({ jobId: id }));
    expect(await registry.remove(id)).toBe(true);
    expect(await d.redis.exists(autoscalerKey(d.keyPrefix, id))).toBe(0);
  });
});

describe('ebbflow autoscaler', () => {
  it('prints the state, or the REST answer with --json', async () => {
    const r = await runCli(d, 'autoscaler', running);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^autoscaler of job ${running}: on\n`));
    expect(r.stdout).toMatch(/^last evaluation \d{4}-.*Z: [a-z-]+: /m);
    expect(r.stdout).toMatch(/^vertices:\n {2}Redis Streams Source: parallelism 1, recommended 1, /m);
    const j = await runCli(d, 'autoscaler', running, '--json');
    expect(j.code, j.stderr).toBe(0);
    const body = JSON.parse(j.stdout);
    await expectSpecResponse('get', GET, 200, body);
    expect(body.jobId).toBe(running);
    const unknown = await runCli(d, 'autoscaler', hexId());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/→ 404: Job [0-9a-f]{32} does not exist/);
  });

  it('changes settings with --set (the prefix may be left out) and takes them back with --reset, waiting until the job applied them', async () => {
    const r = await runCli(d, 'autoscaler', running, '--set', 'utilization.target=0.6', '--set', 'job.autoscaler.scale-down.interval=2 min');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/changing the autoscaler of job [0-9a-f]{32}: job\.autoscaler\.utilization\.target=0\.6, job\.autoscaler\.scale-down\.interval=2 min \(request [0-9a-f]{32}\)/);
    expect(r.stdout).toMatch(/^applied; the autoscaler's settings now: .*utilization\.target=0\.6 .*scale-down\.interval=120000/m);
    expect((await getAutoscaler(running)).body.overrides).toMatchObject({ 'job.autoscaler.utilization.target': '0.6', 'job.autoscaler.scale-down.interval': '2 min' });
    const back = await runCli(d, 'autoscaler', running, '--reset', 'utilization.target', '--no-wait');
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    await waitFor('the reset to apply', async () => ((await getAutoscaler(running)).body.overrides['job.autoscaler.utilization.target'] === undefined ? true : undefined), 20_000);
    const bad = await runCli(d, 'autoscaler', running, '--set', 'utilization.target=2');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/→ 400: job\.autoscaler\.utilization\.target must be a number from 0\.01 to 1, got "2"/);
    const malformed = await runCli(d, 'autoscaler', running, '--set', 'utilization.target');
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/--set expects key=value, got utilization\.target/);
  });
});
