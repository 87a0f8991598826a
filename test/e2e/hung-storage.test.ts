/**
 * A hung storage call cannot wedge a job (issue 14, defect 5). The fraud-detection job runs; a
 * savepoint goes to a directory where writing `_metadata` never returns in the JobMaster (a FIFO at
 * the exact file name, as a dead NFS mount would hang the open), another to one where the
 * TaskManagers' state files hang, a stop-with-savepoint like the first. With `ebbflow.storage.timeout` at 2 s each savepoint ends FAILED
 * with EBBFLOW_STORAGE_TIMEOUT's cause in the REST answer; the job keeps running, a savepoint to a
 * good directory then COMPLETES, a rescale completes, the alerts equal the independent
 * computation, and neither the job process nor a TaskManager logged an unhandled rejection.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts } from '../../examples/fraud-detection/reference.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { fraudArgs, OOO, readAlerts, runJar, uploadFraud, W, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import { HungStorage } from '../helpers/hung-storage.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { jobLogTails, rescale } from '../helpers/rescale.js';

let d: TestDispatcher;
let jar: string;
let hangs: HungStorage | undefined;
const watchers: FSWatcher[] = [];
const tag = `ebbtest-hung-${randomBytes(4).toString('hex')}`;
const STORAGE_TIMEOUT_MS = 2000;

beforeAll(async () => { d = await startTestDispatcher(); jar = await uploadFraud(d); });
afterAll(async () => {
  for (const w of watchers) w.close();
  // Never leave a process blocked on a FIFO (the job's is cancelled by close() in any case).
  await hangs?.release();
  await deleteKeys(d.redis, `${tag}*`);
  await d?.close();
});

async function savepoint(jobId: string, targetDirectory: string): Promise<string> {
  const res = await fetch(`${d.url}/jobs/${jobId}/savepoints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ 'target-directory': targetDirectory, 'cancel-job': false }) });
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body['request-id'];
}

/** Polls a savepoint until it is no longer IN_PROGRESS; returns its `operation`. */
async function savepointResult(jobId: string, triggerId: string, timeoutMs: number): Promise<any> {
  const body = await waitFor(`savepoint ${triggerId} to end`, async () => {
    const b = await json(await fetch(`${d.url}/jobs/${jobId}/savepoints/${triggerId}`));
    return b.status.id === 'COMPLETED' ? b : undefined;
  }, timeoutMs).catch(async (err: Error) => { throw new Error(`${err.message}${await jobLogTails(d, jobId)}`); });
  await expectSpecResponse('get', '/jobs/{jobid}/savepoints/{triggerid}', 200, body);
  return body.operation;
}

/**
 * The name of a savepoint's directory is not known in advance: the moment one appears in `target`,
 * its `files` become FIFOs (before the processes open them: that takes a round of RPCs and barriers).
 * Returns the savepoint directory once seen.
 */
function hangWhenCreated(hangs: HungStorage, target: string, files: string[]): () => string {
  const links = files.map(() => hangs.prepare());
  let seen: string | undefined;
  let lost: Error | undefined;
  watchers.push(watch(target, (_event, name) => {
    if (seen || !name?.startsWith('savepoint-')) return;
    seen = join(target, name);
    try {
      files.forEach((f, i) => links[i]!(join(seen!, f)));
    } catch (err) {
      lost = err as Error; // EEXIST: a process wrote the file first (this machine was too slow to hang it)
    }
  }));
  return () => {
    if (lost) throw new Error(`could not put FIFOs in ${seen} in time: ${lost.message}`);
    if (!seen) throw new Error(`no savepoint directory appeared in ${target}`);
    return seen;
  };
}

/** Lines of every log of the job (job process and TaskManagers) that report an unhandled rejection. */
function unhandledRejections(jobId: string): string[] {
  const dir = join(d.dataDir, 'logs', jobId);
  return readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => /unhandled rejection|EBBFLOW_UNHANDLED_REJECTION/i.test(l)).map((l) => `${f}: ${l}`));
}

describe('a hung storage call', () => {
  it('fails the savepoint by its deadline; the job keeps running, later savepoints and rescales complete, output exact', async () => {
    const streams = [0, 1, 2, 3].map((i) => `${tag}-in-${i}`);
    const output = `${tag}-alerts`;
    const txns = generateTransactions({ seed: 14, count: 12_000, streams });
    const lastTs = Math.max(...txns.map((t) => t.ts));
    const all = [...txns, ...endMarkers(streams, lastTs + W + OOO + 1)];
    const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
    const half = Math.floor(txns.length / 2);
    await writeTransactions(d.redis, txns.slice(0, half));

    const base = join(d.dataDir, 'savepoints');
    const hungDir = join(base, 'hung');
    const goodDir = join(base, 'good');
    mkdirSync(hungDir, { recursive: true });
    const run = await runJar(d, jar, {
      parallelism: 2, programArgsList: fraudArgs(d.redisUrl, streams, output),
      flinkConfiguration: { 'execution.checkpointing.interval': 300, 'ebbflow.storage.timeout': `${STORAGE_TIMEOUT_MS} ms`, 'state.savepoints.dir': base },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id: string = run.body.jobid;
    await waitForState(d, id, 'RUNNING');
    await waitForCheckpoints(d, id, 1);

    hangs = new HungStorage(join(d.dataDir, 'fifos'));
    // 1. The JobMaster's write of `_metadata` (via `_metadata.tmp`, once every subtask acknowledged) hangs.
    const metadataHung = hangWhenCreated(hangs, hungDir, ['_metadata.tmp']);
    let t0 = Date.now();
    const failed = await savepointResult(id, await savepoint(id, hungDir), 30_000);
    let tookMs = Date.now() - t0;
    metadataHung(); // the savepoint directory appeared and its _metadata.tmp was made a FIFO
    expect(failed.location).toBeUndefined();
    expect(failed['failure-cause'], JSON.stringify(failed)).toBeDefined();
    expect(failed['failure-cause']['stack-trace']).toContain(`StorageTimeoutError: checkpoint storage did not answer within ${STORAGE_TIMEOUT_MS} ms: write ${join(metadataHung(), '_metadata')}`);
    // Within the storage deadline plus the time to take the savepoint, not the checkpoint timeout (60 s).
    expect(tookMs).toBeLessThan(STORAGE_TIMEOUT_MS + 15_000);
    expect((await json(await fetch(`${d.url}/jobs/${id}`))).state).toBe('RUNNING');

    // 2. The TaskManagers' writes of the window vertex's keyed state hang (the job's deadline reached them at registration).
    const windowVertex: string = (await json(await fetch(`${d.url}/jobs/${id}`))).vertices[1].id;
    const stateHungDir = join(base, 'hung-state');
    mkdirSync(stateHungDir);
    const stateHung = hangWhenCreated(hangs, stateHungDir, [`${windowVertex}-0.state`, `${windowVertex}-1.state`]);
    t0 = Date.now();
    const declined = await savepointResult(id, await savepoint(id, stateHungDir), 30_000);
    tookMs = Date.now() - t0;
    stateHung();
    expect(declined['failure-cause'], JSON.stringify(declined)).toBeDefined();
    expect(declined['failure-cause']['stack-trace']).toMatch(new RegExp(`writing state of subtask [01] to ${stateHung()} failed: checkpoint storage did not answer within ${STORAGE_TIMEOUT_MS} ms: create ${stateHung()}/${windowVertex}-[01]\\.state`));
    expect(tookMs).toBeLessThan(STORAGE_TIMEOUT_MS + 15_000);
    expect((await json(await fetch(`${d.url}/jobs/${id}`))).state).toBe('RUNNING');

    // 3. A stop-with-savepoint that hangs fails the same way, and the job goes on running (and checkpointing).
    const stopHungDir = join(base, 'hung-stop');
    mkdirSync(stopHungDir);
    const stopHung = hangWhenCreated(hangs, stopHungDir, ['_metadata.tmp']);
    const stop = await fetch(`${d.url}/jobs/${id}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ targetDirectory: stopHungDir }) });
    expect(stop.status).toBe(202);
    const stopFailed = await savepointResult(id, (await json(stop))['request-id'], 30_000);
    expect(stopFailed['failure-cause']?.['stack-trace'], JSON.stringify(stopFailed)).toContain(`did not answer within ${STORAGE_TIMEOUT_MS} ms: write ${join(stopHung(), '_metadata')}`);
    expect((await json(await fetch(`${d.url}/jobs/${id}`))).state).toBe('RUNNING');

    // The queue moved on: a savepoint to a good directory completes, with the FIFO still hanging.
    const good = await savepointResult(id, await savepoint(id, goodDir), 30_000);
    expect(good['failure-cause'], JSON.stringify(good)).toBeUndefined();
    expect(good.location.startsWith(`${goodDir}/`)).toBe(true);
    expect(existsSync(join(good.location, '_metadata'))).toBe(true);

    // And so does a rescale.
    const rescaled = await rescale(d, id, 3);
    expect(rescaled.noop).toBe(false);
    expect(await processesMatching(`ebbflow-taskmanager ${id}`)).toHaveLength(3);

    await writeTransactions(d.redis, all.slice(half));
    await waitFor(`${expected.length} alerts`, async () => ((await d.redis.xlen(output)) >= expected.length ? true : undefined), 60_000)
      .catch(async (err: Error) => { throw new Error(`${err.message}; ${await d.redis.xlen(output)} arrived${await jobLogTails(d, id)}`); });
    const stats = await json(await fetch(`${d.url}/jobs/${id}/checkpoints`));
    expect(stats.counts.failed).toBeGreaterThanOrEqual(3);
    // Checkpoints go on completing after the failed savepoint.
    await waitForCheckpoints(d, id, stats.counts.completed + 2);
    expect(sortAlerts(await readAlerts(d.redis, output))).toEqual(expected);
    const job = await json(await fetch(`${d.url}/jobs/${id}`));
    expect(job.state).toBe('RUNNING');
    expect(job.timestamps.RESTARTING).toBe(0);

    // The hung calls return once the FIFOs are opened (their late results are dropped without a stir).
    for (const w of watchers.splice(0)) w.close();
    await hangs.release();
    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitForState(d, id, 'CANCELED');
    expect(await processesMatching(`ebbflow-taskmanager ${id}`)).toEqual([]);
    expect(unhandledRejections(id)).toEqual([]);
  });
});
