/**
 * Apache Flink's own CLI against ebbflow: the request sequences of Flink 2.x's RestClusterClient
 * for `flink list`, `savepoint <jid> <dir>`, `savepoint -d <path>`, `checkpoint <jid> [-full]`,
 * `stop --savepointPath <dir> [--drain]` and `cancel`, replayed against a real dispatcher running
 * the fraud-detection job, with the answers checked against what Flink's message classes require
 * (helpers/flink-client.ts), failure causes read back by the JDK.
 *
 * The drain case: two copies of the job read the same input, whose last event-time windows are
 * still open when the input ends. Stopped without --drain, the output has only the windows the
 * data's own watermark closed; stopped with --drain, the end-of-time watermark fires the open ones
 * into the final savepoint, and the output is every window's result.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts } from '../../examples/fraud-detection/reference.js';
import { deleteKeys, json, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import {
  expectAsyncOperationInfo, expectCheckpointInfo, expectJobDetails, expectJobResult, expectSavepointInfo, FlinkRestClient,
} from '../helpers/flink-client.js';
import { fraudArgs, OOO, readAlerts, runJar, uploadFraud, W, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import { expectSpecResponse } from '../helpers/openapi.js';

let d: TestDispatcher;
let jar: string;
let flink: FlinkRestClient;
const tag = `ebbtest-flinkcli-${randomBytes(4).toString('hex')}`;
const streams = [0, 1].map((i) => `${tag}-in-${i}`);
const opts = { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams };

beforeAll(async () => {
  d = await startTestDispatcher();
  jar = await uploadFraud(d);
  flink = new FlinkRestClient(d.url);
});
afterAll(async () => { await deleteKeys(d.redis, `${tag}*`); await d?.close(); });

async function startJob(output: string): Promise<string> {
  const run = await runJar(d, jar, { parallelism: 1, programArgsList: fraudArgs(d.redisUrl, streams, output), flinkConfiguration: { 'execution.checkpointing.interval': 300 } });
  expect(run.status, JSON.stringify(run.body)).toBe(200);
  await waitForState(d, run.body.jobid, 'RUNNING');
  return run.body.jobid;
}

/** Input whose last windows hold alerts that only the end-of-time watermark fires (the first seed that has some). */
function inputWithOpenWindows() {
  for (let seed = 1; seed < 50; seed++) {
    const txns = generateTransactions({ seed, count: 4000, streams });
    const lastTs = Math.max(...txns.map((t) => t.ts));
    const closed = expectedAlerts(txns, opts);
    const all = expectedAlerts([...txns, ...endMarkers(streams, lastTs + W + OOO + 1)], opts);
    if (all.length > closed.length && closed.length > 0) return { txns, closed, all };
  }
  throw new Error('no seed gives alerts in the last open windows');
}

describe("Flink's CLI against the dispatcher", () => {
  const input = inputWithOpenWindows();
  const spDir = () => join(d.dataDir, 'savepoints');

  it('list, checkpoint, savepoint (and a failed one), savepoint -d, stop, cancel', async () => {
    await writeTransactions(d.redis, input.txns);
    const job = await startJob(`${tag}-out-main`);
    await waitForCheckpoints(d, job, 1);

    // flink list: GET /v1/jobs/overview.
    const list = await flink.request('GET', '/jobs/overview');
    expect(list.status).toBe(200);
    const mine = list.body.jobs.find((j: any) => j.jid === job);
    expectJobDetails(mine);
    expect(mine.state).toBe('RUNNING');

    // Attached clients poll the result: IN_PROGRESS while the job runs.
    const pending = await flink.request('GET', `/jobs/${job}/execution-result`);
    expect(pending).toEqual({ status: 200, body: { status: { id: 'IN_PROGRESS' } } });

    // flink checkpoint <jid>, then -full.
    const ids: number[] = [];
    for (const checkpointType of ['CONFIGURED', 'FULL']) {
      const trigger = await flink.trigger(`/jobs/${job}/checkpoints`, { checkpointType, triggerId: null });
      const op = await flink.poll(`/jobs/${job}/checkpoints/${trigger}`);
      await expectSpecResponse('get', '/jobs/{jobid}/checkpoints/{triggerid}', 200, { status: { id: 'COMPLETED' }, operation: op });
      const { checkpointId } = await expectCheckpointInfo(op);
      ids.push(checkpointId!);
    }
    expect(ids[1]).toBeGreaterThan(ids[0]!);
    const stats = await json(await fetch(`${d.url}/jobs/${job}/checkpoints`));
    expect(stats.history.map((h: any) => h.id)).toEqual(expect.arrayContaining(ids));
    // A savepoint's trigger is not a checkpoint's.
    expect((await flink.request('GET', `/jobs/${job}/savepoints/${(await flink.trigger(`/jobs/${job}/checkpoints`, { checkpointType: 'CONFIGURED', triggerId: null }))}`)).status).toBe(404);

    // flink savepoint <jid> <dir>.
    const sp = await flink.trigger(`/jobs/${job}/savepoints`, { 'target-directory': spDir(), 'cancel-job': false, formatType: 'CANONICAL', triggerId: null });
    const { location } = await expectSavepointInfo(await flink.poll(`/jobs/${job}/savepoints/${sp}`));
    expect(location!.startsWith(spDir())).toBe(true);
    expect(existsSync(join(location!, '_metadata'))).toBe(true);

    // A savepoint that fails (its directory cannot be created under a file): the cause, readable by Java.
    const file = join(d.dataDir, 'not-a-directory');
    writeFileSync(file, 'x');
    const bad = await flink.trigger(`/jobs/${job}/savepoints`, { 'target-directory': join(file, 'sp'), 'cancel-job': false, formatType: 'CANONICAL', triggerId: null });
    const failedOp = await flink.poll(`/jobs/${job}/savepoints/${bad}`);
    await expectSpecResponse('get', '/jobs/{jobid}/savepoints/{triggerid}', 200, { status: { id: 'COMPLETED' }, operation: failedOp });
    const { cause } = await expectSavepointInfo(failedOp);
    expect(cause!.message).toContain('cannot create checkpoint directory');
    expect(cause!.message).toContain(join(file, 'sp'));
    expect(cause!.originalErrorClassName).toBe('Error');
    expect((await flink.request('GET', `/jobs/${job}`)).body.state).toBe('RUNNING');

    // flink savepoint -d <path>: refused ones fail with a cause and delete nothing; a savepoint goes.
    const refusals: Array<[string, RegExp]> = [
      [join(d.dataDir, 'jars'), /no _metadata/],
      [d.dataDir, /allowed state directory itself/],
      ['/etc', /outside the allowed directories/],
      [join(spDir(), '..', '..', '..'), /outside the allowed directories/],
    ];
    for (const [path, why] of refusals) {
      const t = await flink.trigger('/savepoint-disposal', { 'savepoint-path': path });
      const refused = await expectAsyncOperationInfo(await flink.poll(`/savepoint-disposal/${t}`));
      expect(refused?.message, path).toMatch(why);
      expect(existsSync(path)).toBe(true);
    }
    const dispose = await flink.trigger('/savepoint-disposal', { 'savepoint-path': location });
    const disposed = await flink.poll(`/savepoint-disposal/${dispose}`);
    expect(disposed).toEqual({});
    expect(await expectAsyncOperationInfo(disposed)).toBeUndefined();
    expect(existsSync(location!)).toBe(false);
    expect((await flink.request('GET', `/savepoint-disposal/${'0'.repeat(32)}`)).status).toBe(404);

    // flink stop --savepointPath <dir> <jid>: the savepoint's location, then FINISHED.
    const stop = await flink.trigger(`/jobs/${job}/stop`, { targetDirectory: spDir(), drain: false, formatType: 'CANONICAL', triggerId: null });
    const stopped = await expectSavepointInfo(await flink.poll(`/jobs/${job}/savepoints/${stop}`));
    expect(existsSync(join(stopped.location!, '_metadata'))).toBe(true);
    await waitForState(d, job, 'FINISHED');
    await expectJobResult((await flink.request('GET', `/jobs/${job}/execution-result`)).body, job, 'SUCCEEDED');

    // flink cancel <jid>: PATCH /v1/jobs/:jid?mode=cancel with Flink's empty body.
    const other = await startJob(`${tag}-out-cancel`);
    const cancel = await flink.request('PATCH', `/jobs/${other}?mode=cancel`, {});
    expect(cancel.status).toBe(202);
    await waitForState(d, other, 'CANCELED');
    const result = await waitFor('the canceled job\'s result', async () => {
      const r = await flink.request('GET', `/jobs/${other}/execution-result`);
      return r.body.status.id === 'COMPLETED' ? r.body : undefined;
    });
    await expectJobResult(result, other, 'CANCELED');
    await expectSpecResponse('get', '/jobs/{jobid}/execution-result', 200, result);
  });

  it('stop --drain fires the open windows into the final savepoint; stop without it does not', async () => {
    // The input is already in the streams (previous test); both jobs read it from the start.
    if ((await d.redis.xlen(streams[0]!)) === 0) await writeTransactions(d.redis, input.txns);
    const plainOut = `${tag}-out-plain`;
    const drainOut = `${tag}-out-drain`;
    const [plain, drained] = [await startJob(plainOut), await startJob(drainOut)];
    // Both read everything: the windows the data closes are out, and two more checkpoints passed.
    for (const [job, out] of [[plain, plainOut], [drained, drainOut]] as const) {
      await waitFor(`${input.closed.length} alerts of ${job}`, async () => ((await d.redis.xlen(out)) >= input.closed.length ? true : undefined), 60_000);
      const n = (await json(await fetch(`${d.url}/jobs/${job}/checkpoints`))).counts.completed;
      await waitForCheckpoints(d, job, n + 2);
    }
    mkdirSync(spDir(), { recursive: true });
    const plainStop = await flink.trigger(`/jobs/${plain}/stop`, { targetDirectory: spDir(), drain: false, formatType: 'CANONICAL', triggerId: null });
    const drainStop = await flink.trigger(`/jobs/${drained}/stop`, { targetDirectory: spDir(), drain: true, formatType: 'CANONICAL', triggerId: null });
    await expectSavepointInfo(await flink.poll(`/jobs/${plain}/savepoints/${plainStop}`));
    const drainedAt = await expectSavepointInfo(await flink.poll(`/jobs/${drained}/savepoints/${drainStop}`));
    expect(existsSync(join(drainedAt.location!, '_metadata'))).toBe(true);
    await waitForState(d, plain, 'FINISHED');
    await waitForState(d, drained, 'FINISHED');

    expect(sortAlerts(await readAlerts(d.redis, plainOut))).toEqual(input.closed);
    expect(sortAlerts(await readAlerts(d.redis, drainOut))).toEqual(input.all);
  });
});
