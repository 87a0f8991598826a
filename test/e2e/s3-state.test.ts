/**
 * Checkpoints and savepoints on S3 end to end: a dispatcher whose `-D state.checkpoints.dir` and
 * `state.savepoints.dir` are `s3://` locations on the S3 test server (its own process; s3rver, or
 * EBBFLOW_TEST_S3_URL's MinIO) runs the fraud-detection job: checkpoints land as objects, a
 * savepoint, an in-place rescale 2 → 3 (moved key groups read by ranged GETs), a stop with a
 * savepoint, a new job resumed from it at parallelism 2, and disposal of the first savepoint. The
 * alerts of both runs together equal the reference. The S3 secret key appears in no process's
 * argv or environment and in no log, and the job's configuration view masks it. Without
 * `s3.access-key`, the credentials come from the AWS variables, which only a job on `s3://` gets.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { cancelJob, expectReferenceAlerts, explain, scenario, startFraudJob, taskManagerPids, trickle } from '../helpers/faults.js';
import { expectAsyncOperationInfo, FlinkRestClient } from '../helpers/flink-client.js';
import { fraudArgs, runJar, uploadFraud, waitForState } from '../helpers/fraud.js';
import { rescale } from '../helpers/rescale.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';

let s3: TestS3;
let d: TestDispatcher;
let jar: string;
const tag = `ebbtest-s3-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  s3 = await startTestS3();
  d = await startTestDispatcher({
    defaultConfiguration: { ...s3.configuration, 'state.checkpoints.dir': s3.location('checkpoints'), 'state.savepoints.dir': s3.location('savepoints') },
  });
  jar = await uploadFraud(d);
});
afterAll(async () => {
  try {
    if (d) { await deleteKeys(d.redis, `${tag}*`); await d.close(); }
  } finally {
    await s3?.close();
  }
});

async function savepoint(id: string, path: 'savepoints' | 'stop'): Promise<string> {
  const res = await fetch(`${d.url}/jobs/${id}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(res.status).toBe(202);
  const trigger = (await json(res))['request-id'];
  const done = await explain(d, id, waitFor(`savepoint ${trigger}`, async () => {
    const body = await json(await fetch(`${d.url}/jobs/${id}/savepoints/${trigger}`));
    return body.status.id === 'COMPLETED' ? body : undefined;
  }, 60_000));
  expect(done.operation['failure-cause'], JSON.stringify(done.operation)).toBeUndefined();
  return done.operation.location;
}

/** Names under an `s3://` location (one level). */
const names = (location: string): Promise<string[]> => s3.storage.list(location);

/** No argv or environment of the job's processes holds the secret key. */
async function expectSecretNowhere(id: string): Promise<void> {
  const secret = s3.settings.secretKey!;
  const pids = [...await taskManagerPids(id), ...(await processesMatching(`ebbflow-jobmaster ${id}`)).map((p) => p.pid)];
  expect(pids.length).toBeGreaterThan(1);
  for (const pid of pids) {
    for (const f of ['cmdline', 'environ']) expect(readFileSync(`/proc/${pid}/${f}`, 'utf8').includes(secret), `${f} of ${pid}`).toBe(false);
  }
}

describe('checkpoints and savepoints on S3', () => {
  it('runs the fraud job with its state on s3://: savepoint, rescale in place, stop with savepoint, resume, disposal — alerts exact', async () => {
    const s = scenario(tag, 41, 16_000);
    await writeTransactions(d.redis, s.txns.slice(0, 3000));
    // This job names the S3 settings itself (over the dispatcher's -D); the resumed one inherits -D's.
    const id = await startFraudJob(d, jar, s, 2, { 'execution.checkpointing.interval': 300, ...s3.configuration }, 2);
    // Checkpoints are objects under <dir>/<jobid>/chk-<n>/, each complete one with its _metadata.
    const base = s3.location(`checkpoints/${id}`);
    const chk = (await names(base)).find((n) => /^chk-\d+$/.test(n));
    expect(chk, (await names(base)).join(',')).toBeDefined();
    await expectSecretNowhere(id);
    const config = await json(await fetch(`${d.url}/jobs/${id}/config`));
    expect(JSON.stringify(config)).not.toContain(s3.settings.secretKey!);
    expect(config['execution-config']['user-config']['s3.secret-key']).toBe('******');

    const rest = trickle(d.redis, s.txns.slice(3000), 200, 30);
    const first = await savepoint(id, 'savepoints');
    expect(first.startsWith(`${s3.location('savepoints')}/savepoint-`), first).toBe(true);
    expect(await names(first)).toContain('_metadata');

    const result = await explain(d, id, rescale(d, id, 3));
    expect(result.noop).toBe(false);
    expect(result.keyGroups.moved).toBeGreaterThan(0);
    await rest.finish();

    const final = await savepoint(id, 'stop');
    await waitForState(d, id, 'FINISHED');
    expect(await names(final)).toContain('_metadata');

    const second = await runJar(d, jar, { parallelism: 2, savepointPath: final, programArgsList: fraudArgs(d.redisUrl, s.streams, s.output) });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    const id2: string = second.body.jobid;
    const running = await explain(d, id2, waitForState(d, id2, 'RUNNING'));
    expect(running.savepointPath).toBe(final);
    await expectReferenceAlerts(d, id2, s);
    await expectSecretNowhere(id2);

    // Disposal deletes the savepoint's objects (by prefix), and nothing else.
    const flink = new FlinkRestClient(d.url);
    const t = await flink.trigger('/savepoint-disposal', { 'savepoint-path': first });
    expect(await expectAsyncOperationInfo(await flink.poll(`/savepoint-disposal/${t}`, 30_000))).toBeUndefined();
    expect(await names(first)).toEqual([]);
    expect(await names(final)).toContain('_metadata');
    // A checkpoint is not a savepoint: refused, kept.
    const retained = (await names(s3.location(`checkpoints/${id2}`))).find((n) => /^chk-\d+$/.test(n))!;
    const refused = await flink.trigger('/savepoint-disposal', { 'savepoint-path': `${s3.location(`checkpoints/${id2}`)}/${retained}` });
    expect((await expectAsyncOperationInfo(await flink.poll(`/savepoint-disposal/${refused}`, 30_000)))?.message).toMatch(/not a savepoint/);
    // Outside the allowed locations: refused before anything is read.
    const outside = await flink.trigger('/savepoint-disposal', { 'savepoint-path': `s3://${s3.bucket}/elsewhere/savepoint-x` });
    expect((await expectAsyncOperationInfo(await flink.poll(`/savepoint-disposal/${outside}`, 30_000)))?.message).toMatch(/outside the allowed directories/);
    await cancelJob(d, id2);

    // Nothing secret in any log the jobs wrote (the 0600 job spec beside them holds it: the job process reads it there).
    for (const job of [id, id2]) {
      const dir = join(d.dataDir, 'logs', job);
      const logs = readdirSync(dir).filter((f) => f.endsWith('.log'));
      expect(logs.length).toBeGreaterThan(1);
      for (const f of logs) expect(readFileSync(join(dir, f), 'utf8').includes(s3.settings.secretKey!), `${job}/${f}`).toBe(false);
    }
  });

  it('refuses s3:// targets outside the allowed locations and a savepoint that is not there', async () => {
    const s = scenario(`${tag}-x`, 5, 10);
    const bad = await runJar(d, jar, { programArgsList: fraudArgs(d.redisUrl, s.streams, s.output), flinkConfiguration: { 'state.checkpoints.dir': `s3://${s3.bucket}/elsewhere` } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatch(/state.checkpoints.dir.*outside the allowed directories/);
    const missing = await runJar(d, jar, { savepointPath: s3.location('savepoints/none'), programArgsList: fraudArgs(d.redisUrl, s.streams, s.output) });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]).toMatch(/no readable savepoint or retained checkpoint at s3:\/\//);
  });

  it('without s3.access-key, a job on s3:// gets the dispatcher\'s AWS variables (the SDK\'s default chain) and checkpoints with them; a job on the filesystem does not get them', async () => {
    const aws = { AWS_ACCESS_KEY_ID: s3.settings.accessKey!, AWS_SECRET_ACCESS_KEY: s3.settings.secretKey!, AWS_REGION: 'us-east-1' };
    const saved = Object.fromEntries(Object.keys(aws).map((k) => [k, process.env[k]]));
    Object.assign(process.env, aws);
    // A dispatcher whose -D names the store but no keys.
    const d2 = await startTestDispatcher({ defaultConfiguration: { 's3.endpoint': s3.endpoint, 's3.path.style.access': true, 'state.checkpoints.dir': s3.location('env-checkpoints') } });
    try {
      const jar2 = await uploadFraud(d2);
      const onS3 = await startFraudJob(d2, jar2, scenario(`${tag}-env`, 7, 100), 1, { 'execution.checkpointing.interval': 200 }, 2);
      expect((await names(s3.location(`env-checkpoints/${onS3}`))).some((n) => /^chk-\d+$/.test(n))).toBe(true);
      const onFs = await startFraudJob(d2, jar2, scenario(`${tag}-fs`, 8, 100), 1, { 'execution.checkpointing.interval': 200, 'state.checkpoints.dir': join(d2.dataDir, 'chk') }, 1);
      const environ = async (id: string): Promise<string[]> => {
        const pids = [...await taskManagerPids(id), ...(await processesMatching(`ebbflow-jobmaster ${id}`)).map((p) => p.pid)];
        expect(pids.length).toBe(2);
        return pids.map((pid) => readFileSync(`/proc/${pid}/environ`, 'utf8'));
      };
      for (const env of await environ(onS3)) expect(env).toContain(`AWS_SECRET_ACCESS_KEY=${aws.AWS_SECRET_ACCESS_KEY}`);
      for (const env of await environ(onFs)) expect(env).not.toContain('AWS_');
      await cancelJob(d2, onS3);
      await cancelJob(d2, onFs);
    } finally {
      for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
      await deleteKeys(d2.redis, `${tag}-env*`);
      await deleteKeys(d2.redis, `${tag}-fs*`);
      await d2.close();
    }
  });
});
