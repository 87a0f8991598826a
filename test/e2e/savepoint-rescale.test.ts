/**
 * Savepoints: stop the fraud-detection job at parallelism 2 with a savepoint,
 * start it again from that savepoint at parallelism 3 (key groups reassigned,
 * stream positions and uncommitted output carried over), and the alert stream
 * of both runs together equals the independent computation.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts } from '../../examples/fraud-detection/reference.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { fraudArgs, OOO, readAlerts, runJar, uploadFraud, W, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import { expectSpecResponse } from '../helpers/openapi.js';

let d: TestDispatcher;
let jar: string;
const tag = `ebbtest-savepoint-${randomBytes(4).toString('hex')}`;

beforeAll(async () => { d = await startTestDispatcher(); jar = await uploadFraud(d); });
afterAll(async () => { await deleteKeys(d.redis, `${tag}*`); await d?.close(); });

async function pollSavepoint(jobId: string, triggerId: string): Promise<any> {
  return waitFor('savepoint', async () => {
    const res = await fetch(`${d.url}/jobs/${jobId}/savepoints/${triggerId}`);
    const body = await json(res);
    await expectSpecResponse('get', '/jobs/{jobid}/savepoints/{triggerid}', 200, body);
    return body.status.id === 'COMPLETED' ? body : undefined;
  });
}

describe('savepoints', () => {
  it('stops at parallelism 2 with a savepoint and resumes at parallelism 3 with the same final alerts', async () => {
    const streams = [0, 1, 2, 3].map((i) => `${tag}-in-${i}`);
    const output = `${tag}-alerts`;
    const txns = generateTransactions({ seed: 5, count: 12_000, streams });
    const lastTs = Math.max(...txns.map((t) => t.ts));
    const all = [...txns, ...endMarkers(streams, lastTs + W + OOO + 1)];
    const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
    const half = Math.floor(txns.length / 2);
    await writeTransactions(d.redis, all.slice(0, half));

    const first = await runJar(d, jar, { parallelism: 2, programArgsList: fraudArgs(d.redisUrl, streams, output), flinkConfiguration: { 'execution.checkpointing.interval': 300 } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const job1: string = first.body.jobid;
    await waitForState(d, job1, 'RUNNING');
    await waitForCheckpoints(d, job1, 2);

    const stop = await fetch(`${d.url}/jobs/${job1}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({}) });
    const trigger = await json(stop);
    expect(stop.status).toBe(202);
    await expectSpecResponse('post', '/jobs/{jobid}/stop', 202, trigger);
    const result = await pollSavepoint(job1, trigger['request-id']);
    const location: string = result.operation.location;
    expect(existsSync(join(location, '_metadata'))).toBe(true);
    await waitForState(d, job1, 'FINISHED');
    const afterFirst = (await readAlerts(d.redis, output)).length;

    await writeTransactions(d.redis, all.slice(half));
    const second = await runJar(d, jar, { parallelism: 3, savepointPath: location, programArgsList: fraudArgs(d.redisUrl, streams, output) });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    const job2: string = second.body.jobid;
    const running = await waitForState(d, job2, 'RUNNING');
    expect(running.vertices.map((v: { parallelism: number }) => v.parallelism)).toEqual([3, 3]);
    expect(running.savepointPath).toBe(location);
    expect(await processesMatching(`ebbflow-taskmanager ${job2}`)).toHaveLength(3);

    await waitFor(`${expected.length} alerts`, async () => ((await d.redis.xlen(output)) >= expected.length ? true : undefined), 60_000);
    const cps = await waitForCheckpoints(d, job2, 3);
    expect(cps.latest.restored.external_path).toBe(location);
    const got = await readAlerts(d.redis, output);
    expect(afterFirst).toBeLessThan(expected.length);
    expect(sortAlerts(got)).toEqual(expected);

    // A plain savepoint of a running job, then cancel.
    const sp = await fetch(`${d.url}/jobs/${job2}/savepoints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ 'cancel-job': true }) });
    expect(sp.status).toBe(202);
    const done = await pollSavepoint(job2, (await json(sp))['request-id']);
    expect(existsSync(join(done.operation.location, '_metadata'))).toBe(true);
    await waitForState(d, job2, 'CANCELED');
  });

  it('refuses a savepoint path that does not exist or is corrupt, starting nothing', async () => {
    const jobsBefore = (await json(await fetch(`${d.url}/jobs`))).jobs.length;
    // Outside the directories state may live in: refused before anything is read.
    const outside = await runJar(d, jar, { savepointPath: '/nonexistent/savepoint-1', programArgsList: fraudArgs(d.redisUrl, [`${tag}-x`], `${tag}-y`) });
    expect(outside.status).toBe(400);
    expect(outside.body.errors[0]).toMatch(/^savepointPath \/nonexistent\/savepoint-1 is outside the allowed directories/);
    const missingDir = join(d.dataDir, 'nonexistent', 'savepoint-1');
    const missing = await runJar(d, jar, { savepointPath: missingDir, programArgsList: fraudArgs(d.redisUrl, [`${tag}-x`], `${tag}-y`) });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]).toContain(`no readable savepoint or retained checkpoint at ${missingDir}`);
    const corruptDir = join(d.dataDir, 'corrupt-savepoint');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(corruptDir, { recursive: true });
    writeFileSync(join(corruptDir, '_metadata'), Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]));
    const corrupt = await runJar(d, jar, { savepointPath: corruptDir, programArgsList: fraudArgs(d.redisUrl, [`${tag}-x`], `${tag}-y`) });
    expect(corrupt.status).toBe(400);
    // The same answer for a missing, a corrupt and an oversized one: the API does not tell which paths exist.
    expect(corrupt.body.errors[0]).toBe(missing.body.errors[0].replace(missingDir, corruptDir));
    const hugeDir = join(d.dataDir, 'huge-savepoint');
    mkdirSync(hugeDir, { recursive: true });
    const { truncateSync } = await import('node:fs');
    writeFileSync(join(hugeDir, '_metadata'), '');
    truncateSync(join(hugeDir, '_metadata'), 300 * 1024 * 1024); // sparse: no disk used, never read
    const rssBefore = process.memoryUsage().rss;
    const huge = await Promise.all([1, 2, 3, 4, 5].map(() => runJar(d, jar, { savepointPath: hugeDir, programArgsList: fraudArgs(d.redisUrl, [`${tag}-x`], `${tag}-y`) })));
    expect(huge.map((r) => r.status)).toEqual([400, 400, 400, 400, 400]);
    expect(huge[0]!.body.errors[0]).toBe(missing.body.errors[0].replace(missingDir, hugeDir));
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
    expect((await json(await fetch(`${d.url}/jobs`))).jobs.length).toBe(jobsBefore);
  });

  it('answers 409 for a savepoint of a job that is not running and 404 for unknown triggers', async () => {
    const res = await runJar(d, jar, { programArgsList: ['--bad'] });
    expect(res.status).toBe(400);
    const failedId = res.body.errors[0].match(/Job ([0-9a-f]{32})/)[1];
    const sp = await fetch(`${d.url}/jobs/${failedId}/savepoints`, { method: 'POST' });
    expect(sp.status).toBe(409);
    expect((await fetch(`${d.url}/jobs/${failedId}/savepoints/${'1'.repeat(32)}`)).status).toBe(404);
  });
});
