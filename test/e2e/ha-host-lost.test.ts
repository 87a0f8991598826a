/**
 * A host lost, with several dispatchers (docs/ha.md): the leader, every job process it started and
 * their TaskManagers are SIGKILLed together (on one machine they are separate processes; a host's
 * loss takes them all at once). A standby leads, finds the jobs' processes gone and restarts each
 * job from its latest completed checkpoint, which lives on S3 (the S3 test server, its own process):
 * each job ends with exactly the reference alerts, run by one job process.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { json, processesMatching, upload, waitFor } from '../helpers/dispatcher.js';
import { expectReferenceAlerts, explain, scenario, startFraudJob, taskManagerPids } from '../helpers/faults.js';
import { FRAUD_BUNDLE, waitForCheckpoints } from '../helpers/fraud.js';
import { HA_TIMINGS, HaCluster } from '../helpers/ha-cluster.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';

let s3: TestS3;
let c: HaCluster;
let jar: string;
const tag = () => `${c.keyPrefix}t${Math.random().toString(16).slice(2, 8)}`;
const CONFIG = { 'execution.checkpointing.interval': 300, 'restart-strategy.fixed-delay.delay': '100 ms' };

beforeAll(async () => {
  s3 = await startTestS3();
  const defines = Object.entries({ ...s3.configuration, 'state.checkpoints.dir': s3.location('checkpoints') }).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  c = new HaCluster(undefined, defines);
  await c.start(3);
  const leader = await c.waitForLeader();
  const res = await upload(leader.url, 'fraud-detection.mjs', readFileSync(FRAUD_BUNDLE));
  expect(res.status).toBe(200);
  jar = (await json(res)).filename;
});
afterAll(async () => {
  try { await c?.close(); } finally { await s3?.close(); }
});

/** The parent pid of a process (from /proc/<pid>/stat). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

describe('a host lost', () => {
  it('the leader and every job process it started SIGKILLed together: a standby leads and restarts the jobs from their checkpoints on S3, alerts exact', async () => {
    const runs = [{ s: scenario(tag(), 61, 3000), parallelism: 2 }, { s: scenario(tag(), 62, 3000), parallelism: 1 }];
    for (const { s } of runs) await writeTransactions(c.redis, s.txns.slice(0, s.txns.length >> 1));
    const leader = await c.waitForLeader();
    const d0 = c.as(leader);
    const ids: string[] = [];
    for (const { s, parallelism } of runs) ids.push(await startFraudJob(d0, jar, s, parallelism, CONFIG, 2));

    const doomed: number[] = [];
    const jobProcess = new Map<string, number>();
    for (const id of ids) {
      // Its checkpoints are objects on S3.
      const chks = (await s3.storage.list(s3.location(`checkpoints/${id}`))).filter((n) => /^chk-\d+$/.test(n));
      expect(chks.length, `checkpoints of ${id} on S3`).toBeGreaterThan(0);
      const jms = await processesMatching(`ebbflow-jobmaster ${id}`);
      expect(jms).toHaveLength(1);
      expect(parentOf(jms[0]!.pid), 'the job process is a child of the leader').toBe(leader.pid);
      jobProcess.set(id, jms[0]!.pid);
      const tms = await taskManagerPids(id);
      expect(tms.length).toBeGreaterThan(0);
      doomed.push(jms[0]!.pid, ...tms);
    }

    // The host goes: the leader and everything it started, in one go.
    c.kill(leader);
    for (const pid of doomed) process.kill(pid, 'SIGKILL');
    const lostAt = Date.now();
    for (const { s } of runs) await writeTransactions(c.redis, s.txns.slice(s.txns.length >> 1));

    const next = await c.waitForLeader(HA_TIMINGS.leaseMs + 1000, leader);
    expect(Date.now() - lostAt).toBeLessThanOrEqual(HA_TIMINGS.leaseMs + 1000);
    const d = c.as(next);
    for (const [i, id] of ids.entries()) {
      await explain(d, id, waitFor(`job ${id} running again in a new job process`, async () => {
        const jms = await processesMatching(`ebbflow-jobmaster ${id}`);
        if (jms.length !== 1 || jms[0]!.pid === jobProcess.get(id)) return undefined;
        return (await json(await fetch(`${next.url}/jobs/${id}`))).state === 'RUNNING' ? jms[0]! : undefined;
      }, 30_000));
      // Restored from its latest checkpoint on S3.
      const stats = await explain(d, id, waitForCheckpoints(d, id, 1));
      const restored = stats.latest.restored;
      expect(restored, JSON.stringify(stats.latest)).toBeTruthy();
      expect(restored.external_path).toMatch(new RegExp(`^${s3.location(`checkpoints/${id}`).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/chk-\\d+`));
      await expectReferenceAlerts(d, id, runs[i]!.s);
      expect(await processesMatching(`ebbflow-jobmaster ${id}`)).toHaveLength(1);
    }
  });
});
