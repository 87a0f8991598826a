/**
 * Failures inside a job: an operator that throws (restart strategy, then
 * FAILED with the user's message and stack) and checkpoint storage that cannot
 * be written (failed checkpoints in the stats while the job keeps running, then
 * FAILED past the tolerable limit).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, processesMatching, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { runJar, waitForState } from '../helpers/fraud.js';
import { expectSpecResponse } from '../helpers/openapi.js';

let d: TestDispatcher;
const stream = `ebbtest-failures-${randomBytes(4).toString('hex')}`;

// /dev/null is allowed (EBBFLOW_SAVEPOINT_ALLOWED_DIRS) so that a test can name a checkpoint directory that cannot be made.
beforeAll(async () => { d = await startTestDispatcher({ savepointAllowedDirs: ['/dev/null'] }); });
afterAll(async () => { await d?.redis.del(stream); await d?.close(); });

describe('failures inside a job', () => {
  it('restarts a job whose operator throws, then fails it with the user error and stack once the attempts are used', async () => {
    const src = `export default function (env) {
      env.fromRedisStreams({ url: ${JSON.stringify(d.redisUrl)}, streams: [${JSON.stringify(stream)}] })
        .map(function parseAmount(e) { if (e.fields.amount === 'boom') throw new Error('cannot parse amount "boom"'); return e; })
        .sinkTo(env.fileSink('/dev/null'));
    }`;
    const jar = (await json(await upload(d.url, 'thrower.mjs', src))).filename;
    await d.redis.xadd(stream, '*', 'amount', 'boom');
    const run = await runJar(d, jar, { parallelism: 1, flinkConfiguration: { 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': 2, 'restart-strategy.fixed-delay.delay': '50 ms' } });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id = run.body.jobid;
    const job = await waitForState(d, id, 'FAILED');
    expect(job['failure-cause']).toMatch(/cannot parse amount "boom"/);
    expect(job['failure-cause']).toMatch(/at \S*parseAmount .*thrower\.mjs:3/);
    expect(job['failure-cause']).toMatch(/fixed-delay allows 2 restart/);
    expect(job.timestamps.RESTARTING).toBeGreaterThan(0);
    const ex = await json(await fetch(`${d.url}/jobs/${id}/exceptions`));
    await expectSpecResponse('get', '/jobs/{jobid}/exceptions', 200, ex);
    expect(ex['root-exception']).toMatch(/cannot parse amount/);
    // Three failures: the first run and two restarts.
    expect(ex.exceptionHistory.entries.filter((e: { stacktrace: string }) => /cannot parse amount/.test(e.stacktrace)).length).toBeGreaterThanOrEqual(3);
    expect(await processesMatching(`ebbflow-taskmanager ${id}`)).toEqual([]);
  });

  it('records failed checkpoints when storage is not writable, keeps running, and fails past the tolerable limit', async () => {
    const src = `export default function (env) {
      env.fromRedisStreams({ url: ${JSON.stringify(d.redisUrl)}, streams: [${JSON.stringify(stream + '-ok')}] }).sinkTo(env.fileSink('/dev/null'));
    }`;
    const jar = (await json(await upload(d.url, 'idle.mjs', src))).filename;
    const run = await runJar(d, jar, {
      flinkConfiguration: { 'state.checkpoints.dir': '/dev/null/not-a-directory', 'execution.checkpointing.interval': 200, 'execution.checkpointing.tolerable-failed-checkpoints': 3 },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id = run.body.jobid;
    const stats = await waitFor('a failed checkpoint', async () => {
      const s = await json(await fetch(`${d.url}/jobs/${id}/checkpoints`));
      return s.counts.failed >= 1 ? s : undefined;
    });
    await expectSpecResponse('get', '/jobs/{jobid}/checkpoints', 200, stats);
    expect(stats.latest.failed.failure_message).toMatch(/\/dev\/null\/not-a-directory/);
    expect(stats.counts.failed).toBeLessThanOrEqual(3);
    // Still running while within the limit … then failed with a cause naming the checkpoints.
    const failed = await waitForState(d, id, 'FAILED', 20_000);
    expect(failed['failure-cause']).toMatch(/4 consecutive checkpoints failed \(tolerable: 3\)/);
    const history = failed.timestamps;
    expect(history.RUNNING).toBeGreaterThan(0);
  });

  it('refuses malformed values of known configuration keys (400)', async () => {
    const jar = (await json(await upload(d.url, 'x.mjs', 'export default (env) => { env.fromElements([1]).sinkTo(env.fileSink("/dev/null")); }'))).filename;
    for (const [cfg, msg] of [
      [{ 'execution.checkpointing.interval': 'soon' }, /execution.checkpointing.interval must be a duration/],
      [{ 'restart-strategy.type': 'sometimes' }, /restart-strategy.type must be/],
    ] as const) {
      const res = await runJar(d, jar, { flinkConfiguration: cfg });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatch(msg);
    }
  });

  it('runs a job with keys it does not know, naming them with the closest known key in the response and the job log', async () => {
    const jar = (await json(await upload(d.url, 'y.mjs', 'export default (env) => { env.fromElements([1]).sinkTo(env.fileSink("/dev/null")); }'))).filename;
    const res = await runJar(d, jar, { flinkConfiguration: { 'no.such.key': 1, 'heartbeat.timout': '2 s', 'heartbeat.interval': 500 } });
    expect(res.status).toBe(200);
    expect(res.body.warnings).toEqual([
      'unknown configuration key "no.such.key" ignored',
      'unknown configuration key "heartbeat.timout" ignored; did you mean "heartbeat.timeout"?',
    ]);
    await expectSpecResponse('post', '/jars/{jarid}/run', 200, res.body);
    const log = join(d.dataDir, 'logs', res.body.jobid, 'jobmaster.log');
    await waitFor('the warnings in the job log', () => {
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      return text.includes('did you mean \\"heartbeat.timeout\\"') && text.includes('\\"no.such.key\\" ignored') ? true : undefined;
    });
    // A run without unknown keys answers exactly as before.
    const plain = await runJar(d, jar, { flinkConfiguration: { 'heartbeat.interval': 500 } });
    expect(plain.body).toEqual({ jobid: plain.body.jobid });
  });
});
