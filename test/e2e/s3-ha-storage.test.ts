/**
 * `high-availability.storageDir` on S3 end to end (docs/ha.md): two `ebbflow dispatcher` processes
 * with DIFFERENT data directories, one Redis prefix, and `--ha-storage-dir s3://…` on the S3 test
 * server (its own process: s3rver, or EBBFLOW_TEST_S3_URL's MinIO), reached with `-D s3.endpoint`
 * and the AWS_* variables (the secret never in argv). A bundle uploaded at the leader is written
 * through to S3 (a plan asked of the standby fetches it into the standby's cache); the leader's job
 * checkpoints to S3 by default. The leader is SIGKILLed: the other
 * dispatcher leads, lists the bundle, restarts the job whose process was killed from its Redis
 * record, with the bundle it fetched from S3 into its own data directory, and its latest
 * checkpoint on S3 — the alerts equal the reference — and runs a new fraud job from the bundle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { json, processesMatching, waitFor } from '../helpers/dispatcher.js';
import { expectReferenceAlerts, explain, scenario } from '../helpers/faults.js';
import { fraudArgs, FRAUD_BUNDLE, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import { HA_TIMINGS, HaCluster, type HaNode } from '../helpers/ha-cluster.js';
import { exportAwsCredentials, startTestS3, type TestS3 } from '../helpers/s3-server.js';

let s3: TestS3;
let c: HaCluster;
let restoreEnv: (() => void) | undefined;
const CONFIG = { 'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms' };

beforeAll(async () => {
  s3 = await startTestS3();
  // The dispatchers inherit this process's environment: the credentials travel as AWS_* variables, not as -D.
  restoreEnv = exportAwsCredentials(s3);
  // The later --ha-storage-dir wins over the helper's local directory.
  c = new HaCluster(undefined, ['--ha-storage-dir', s3.root, '-D', `s3.endpoint=${s3.endpoint}`, '-D', 's3.path.style.access=true', '-D', 's3.region=us-east-1']);
  await c.start(2);
});
afterAll(async () => {
  try {
    await c?.close();
  } finally {
    restoreEnv?.();
    await s3?.close();
  }
});

const dataDir = (n: HaNode) => join(c.logDir, `data-${n.index}`);
const ha = () => `${s3.root}/${c.clusterId}`;

async function upload(node: HaNode): Promise<string> {
  const form = new FormData();
  form.append('jarfile', new Blob([readFileSync(FRAUD_BUNDLE)]), 'fraud-detection.mjs');
  const res = await fetch(`${node.url}/jars/upload`, { method: 'POST', body: form });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await json(res)).filename;
}

async function run(node: HaNode, jar: string, s: ReturnType<typeof scenario>): Promise<string> {
  const res = await fetch(`${node.url}/jars/${jar}/run`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ parallelism: 2, programArgsList: fraudArgs(c.redisUrl, s.streams, s.output), flinkConfiguration: CONFIG }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await json(res)).jobid;
}

describe('HA storage on S3: two dispatchers with their own data directories', () => {
  it('the leader SIGKILLed: the other leads, lists the bundle from S3, restarts the killed job from S3 (bundle and checkpoint) and runs a new one — alerts exact', async () => {
    const leader = await c.waitForLeader();
    const other = c.alive.find((n) => n !== leader)!;
    const jar = await upload(leader);
    // Written through to S3 (file, then sidecar); the other dispatcher's data directory has no copy.
    expect(await s3.storage.list(`${ha()}/jars`)).toEqual(expect.arrayContaining([jar, `${jar}.json`]));
    expect((await json(await fetch(`${other.url}/jars`))).files.map((f: { id: string }) => f.id)).toEqual([jar]);
    expect(readdirSync(join(dataDir(other), 'jars'))).toEqual(['.tmp']);
    // A plan asked of the standby (a read, served there) fetches the bundle into its own cache first.
    const args = fraudArgs(c.redisUrl, ['in'], 'out');
    const plan = await fetch(`${other.url}/jars/${jar}/plan?parallelism=2&program-args=${encodeURIComponent(args.join(' '))}`);
    expect(plan.status, await plan.clone().text()).toBe(200);
    expect(plan.headers.get('x-ebbflow-leader')).toBeNull();
    expect((await json(plan)).plan.nodes.length).toBeGreaterThan(0);
    expect(readFileSync(join(dataDir(other), 'jars', jar))).toEqual(readFileSync(FRAUD_BUNDLE));

    const s = scenario(`${c.keyPrefix}s3ha`, 51, 4000);
    const half = Math.floor(s.txns.length / 2);
    await writeTransactions(c.redis, s.txns.slice(0, half));
    const id = await run(leader, jar, s);
    const d0 = c.as(leader);
    await explain(d0, id, waitForCheckpoints(d0, id, 2));
    // The job record names the bundle by its S3 location; checkpoints go to <storageDir>/<cluster-id>/checkpoints by default.
    expect(await c.redis.hget(`${c.keyPrefix}job:${id}`, 'bundlePath')).toBe(`${ha()}/jars/${jar}`);
    expect((await s3.storage.list(`${ha()}/checkpoints/${id}`)).some((n) => /^chk-\d+$/.test(n))).toBe(true);
    const firstSpec = JSON.parse(readFileSync(join(dataDir(leader), 'logs', id, 'job-spec.json'), 'utf8'));
    expect(firstSpec.bundlePath).toBe(join(dataDir(leader), 'jars', jar));

    c.kill(leader);
    const next = await c.waitForLeader(HA_TIMINGS.leaseMs + 2000, leader);
    expect(next).toBe(other);
    expect((await json(await fetch(`${next.url}/jars`))).files.map((f: { id: string }) => f.id)).toEqual([jar]);
    const d = c.as(next);

    // The job process the dead leader started dies too: the new leader (which adopted it by pid) starts it again.
    const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
    expect(jm).toBeDefined();
    await waitFor('the new leader to adopt the running jobs', async () => (c.log(next).includes('leading: adopted the running jobs') ? true : undefined), 10_000);
    process.kill(jm!.pid, 'SIGKILL');
    await writeTransactions(c.redis, s.txns.slice(half));
    await explain(d, id, waitFor('the job running in a new job process', async () => {
      const [now] = await processesMatching(`ebbflow-jobmaster ${id}`);
      return now && now.pid !== jm!.pid && (await json(await fetch(`${next.url}/jobs/${id}`))).state === 'RUNNING' ? true : undefined;
    }, 30_000));
    // Started by the new leader from its own data directory, with the bundle it fetched from S3.
    const spec = JSON.parse(readFileSync(join(dataDir(next), 'logs', id, 'job-spec.json'), 'utf8'));
    expect(spec.bundlePath).toBe(join(dataDir(next), 'jars', jar));
    expect(readFileSync(spec.bundlePath)).toEqual(readFileSync(FRAUD_BUNDLE));
    expect(spec.recoveryAttempt).toBeGreaterThan(0);
    expect(spec.configuration['state.checkpoints.dir']).toBe(`${ha()}/checkpoints`);
    await expectReferenceAlerts(d, id, s);

    // A new job from the bundle at the new leader.
    const s2 = scenario(`${c.keyPrefix}s3ha2`, 52, 3000);
    await writeTransactions(c.redis, s2.txns);
    const id2 = await run(next, jar, s2);
    await explain(d, id2, waitForState(d, id2, 'RUNNING'));
    await explain(d, id2, waitForCheckpoints(d, id2, 1));
    await expectReferenceAlerts(d, id2, s2);
    expect((await s3.storage.list(`${ha()}/checkpoints/${id2}`)).some((n) => /^chk-\d+$/.test(n))).toBe(true);

    // The secret key is in no dispatcher's argv and no log.
    const secret = s3.settings.secretKey!;
    for (const n of c.nodes) {
      expect(c.log(n).includes(secret), `log of dispatcher ${n.index}`).toBe(false);
      if (!n.dead) expect(readFileSync(`/proc/${n.pid}/cmdline`, 'utf8').includes(secret)).toBe(false);
    }
  });
});
