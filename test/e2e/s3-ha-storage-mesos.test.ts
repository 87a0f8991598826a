/**
 * HA storage on S3 with TaskManagers on Mesos (docs/ha.md): two `ebbflow dispatcher` processes with
 * their own data directories, `--ha-storage-dir s3://…` on the S3 test server and
 * `--resource-manager mesos` against the protocol-faithful test master (in this process), whose
 * simulated agents fetch URIs into sandboxes as the Mesos fetcher does. The bundle is uploaded at
 * the leader, the leader SIGKILLed; the new leader fetches the bundle from S3 into its own data
 * directory and starts the job, whose artifact server serves it to the agents: the bundle lands in
 * the TaskManagers' sandboxes byte for byte and the alerts equal the reference. (The job names its
 * `s3.*` keys itself: Mesos tasks do not get the dispatcher's AWS_* variables, docs/ha.md.)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { json } from '../helpers/dispatcher.js';
import { expectReferenceAlerts, explain, scenario } from '../helpers/faults.js';
import { fraudArgs, FRAUD_BUNDLE, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import { HA_TIMINGS, HaCluster } from '../helpers/ha-cluster.js';
import { exportAwsCredentials, startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { TestMesosMaster } from '../mesos-master/master.js';

let s3: TestS3;
let c: HaCluster;
let master: TestMesosMaster;
const sandboxes = mkdtempSync(join(tmpdir(), 'ebbflow-mesos-agents-'));
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  s3 = await startTestS3();
  master = new TestMesosMaster({
    sandboxRoot: sandboxes, heartbeatIntervalSeconds: 1, allocationIntervalMs: 100, updateRetryMs: 1000,
    agents: [{ hostname: '127.0.0.1', resources: { scalars: { cpus: 2, mem: 2048, disk: 4096 }, ranges: { ports: [[31100, 31109]] } } }],
  });
  await master.start();
  restoreEnv = exportAwsCredentials(s3, { EBBFLOW_MESOS_BACKOFF_MS: '100' });
  c = new HaCluster(undefined, ['--ha-storage-dir', s3.root, '-D', `s3.endpoint=${s3.endpoint}`, '-D', 's3.path.style.access=true', '-D', 's3.region=us-east-1',
    '--resource-manager', 'mesos', '--mesos-master', master.url]);
  await c.start(2);
});
afterAll(async () => {
  try {
    await c?.close();
    await master?.stop();
  } finally {
    restoreEnv?.();
    await s3?.close();
    if (!process.env.EBBFLOW_KEEP_HA_LOGS) rmSync(sandboxes, { recursive: true, force: true });
  }
});

/** Every file under `dir` named `name`. */
function findFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...findFiles(p, name));
    else if (n === name) out.push(p);
  }
  return out;
}

describe('HA storage on S3 with TaskManagers on Mesos', () => {
  it('the new leader serves a bundle it fetched from S3 to the Mesos agents; alerts exact', async () => {
    const leader = await c.waitForLeader();
    const form = new FormData();
    form.append('jarfile', new Blob([readFileSync(FRAUD_BUNDLE)]), 'fraud-detection.mjs');
    const up = await fetch(`${leader.url}/jars/upload`, { method: 'POST', body: form });
    expect(up.status, await up.clone().text()).toBe(200);
    const jar: string = (await json(up)).filename;
    c.kill(leader);
    const next = await c.waitForLeader(HA_TIMINGS.leaseMs + 2000, leader);
    expect(readdirSync(join(c.logDir, `data-${next.index}`, 'jars'))).toEqual(['.tmp']);

    const s = scenario(`${c.keyPrefix}s3mesos`, 61, 3000);
    await writeTransactions(c.redis, s.txns);
    const run = await fetch(`${next.url}/jars/${jar}/run`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parallelism: 2, programArgsList: fraudArgs(c.redisUrl, s.streams, s.output), flinkConfiguration: {
        'execution.checkpointing.interval': 200, 'mesos.resourcemanager.tasks.cpus': 0.5, 'mesos.resourcemanager.tasks.mem': 640,
        // Mesos tasks get no AWS_* variables of the dispatcher's: the job's keys reach its TaskManagers over the RPC registration.
        ...s3.configuration,
      } }),
    });
    expect(run.status, await run.clone().text()).toBe(200);
    const id: string = (await json(run)).jobid;
    const d = c.as(next);
    await explain(d, id, waitForState(d, id, 'RUNNING'));
    await explain(d, id, waitForCheckpoints(d, id, 1));
    expect(master.liveTasks()).toHaveLength(2);
    // Fetched from S3 into the new leader's data directory, then by each agent from the job's artifact server.
    expect(readFileSync(join(c.logDir, `data-${next.index}`, 'jars', jar))).toEqual(readFileSync(FRAUD_BUNDLE));
    const fetched = findFiles(sandboxes, jar);
    expect(fetched.length).toBeGreaterThanOrEqual(2);
    for (const f of fetched) expect(readFileSync(f)).toEqual(readFileSync(FRAUD_BUNDLE));
    await expectReferenceAlerts(d, id, s);
  });
});
