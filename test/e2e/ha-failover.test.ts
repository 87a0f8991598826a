/**
 * High availability as a whole (docs/ha.md): three `ebbflow dispatcher` processes, one leader, the
 * fraud-detection job at parallelism 2 with its checkpoints and savepoints on S3 (the S3 test server
 * as its own process), input flowing throughout. The leader is SIGKILLed right after it accepted a
 * savepoint, the next leader right after it accepted a rescale, and then the job process itself:
 * each request completes exactly once, a standby leads each time within the lease TTL plus a second,
 * the job process's TaskManagers are the same before and after its kill (none started), and the
 * alerts equal the independent computation with no duplicate.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { json, processesMatching, waitFor } from '../helpers/dispatcher.js';
import { expectReferenceAlerts, explain, scenario, trickle } from '../helpers/faults.js';
import { fraudArgs, FRAUD_BUNDLE, waitForCheckpoints } from '../helpers/fraud.js';
import { HA_TIMINGS, HaCluster, type HaNode } from '../helpers/ha-cluster.js';
import { exportAwsCredentials, startTestS3, type TestS3 } from '../helpers/s3-server.js';

let s3: TestS3;
let c: HaCluster;
let restoreEnv: (() => void) | undefined;
const CONFIG = { 'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms' };

beforeAll(async () => {
  s3 = await startTestS3();
  restoreEnv = exportAwsCredentials(s3);
  c = new HaCluster(undefined, [
    '-D', `state.checkpoints.dir=${s3.location('checkpoints')}`, '-D', `state.savepoints.dir=${s3.location('savepoints')}`,
    '-D', `s3.endpoint=${s3.endpoint}`, '-D', 's3.path.style.access=true', '-D', 's3.region=us-east-1',
  ]);
  await c.start(3);
});
afterAll(async () => {
  try {
    await c?.close();
  } finally {
    restoreEnv?.();
    await s3?.close();
  }
});

/** Kills the leader, waits for the next one (within the lease TTL plus a second), and starts a dispatcher in its place. */
async function killLeader(leader: HaNode): Promise<{ next: HaNode; tookMs: number }> {
  const at = Date.now();
  c.kill(leader);
  const next = await c.waitForLeader(HA_TIMINGS.leaseMs + 3000, leader);
  const tookMs = Date.now() - at;
  await c.startNode();
  return { next, tookMs };
}

/** Polls an operation at any dispatcher that answers until COMPLETED. */
async function operation(path: string, what: string): Promise<any> {
  return waitFor(what, async () => {
    for (const n of c.alive) {
      const body = await fetch(`${n.url}${path}`, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? json(r) : undefined)).catch(() => undefined);
      if (body?.status?.id === 'COMPLETED') return body;
    }
    return undefined;
  }, 60_000, 50);
}

describe('HA: leaders and a job process killed while input flows', () => {
  it('a savepoint and a rescale survive their leader\'s death, the job process\'s TaskManagers survive its death, and the alerts are exact', async () => {
    let leader = await c.waitForLeader();
    const standby = () => c.alive.find((n) => n !== leader)!;
    const form = new FormData();
    form.append('jarfile', new Blob([readFileSync(FRAUD_BUNDLE)]), 'fraud-detection.mjs');
    const jar = (await json(await fetch(`${standby().url}/jars/upload`, { method: 'POST', body: form }))).filename;
    const s = scenario(`${c.keyPrefix}failover`, 77, 16_000);
    await writeTransactions(c.redis, s.txns.slice(0, 4000));
    const run = await fetch(`${standby().url}/jars/${jar}/run`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parallelism: 2, programArgsList: fraudArgs(c.redisUrl, s.streams, s.output), flinkConfiguration: CONFIG }),
    });
    expect(run.status, await run.clone().text()).toBe(200);
    const id = (await json(run)).jobid;
    let d = c.as(leader);
    await explain(d, id, waitForCheckpoints(d, id, 2));
    expect((await s3.storage.list(s3.location(`checkpoints/${id}`))).some((n) => /^chk-\d+$/.test(n))).toBe(true);
    const flow = trickle(c.redis, s.txns.slice(4000, 14_000), 200, 40);
    try {
      // 1. A savepoint, accepted by the leader, which dies right away.
      const sp = await fetch(`${leader.url}/jobs/${id}/savepoints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(sp.status).toBe(202);
      const spTrigger = (await json(sp))['request-id'];
      const first = await killLeader(leader);
      expect(first.tookMs).toBeLessThanOrEqual(HA_TIMINGS.leaseMs + 1000 + HA_TIMINGS.retryPeriodMs);
      leader = first.next;
      const spDone = await operation(`/jobs/${id}/savepoints/${spTrigger}`, 'the savepoint to complete');
      expect(spDone.operation['failure-cause'], JSON.stringify(spDone.operation)).toBeUndefined();
      expect(spDone.operation.location).toMatch(new RegExp(`^${s3.location('savepoints')}/savepoint-`));
      expect(await s3.storage.list(spDone.operation.location)).toContain('_metadata');

      // 2. A rescale 2 → 3, accepted by the next leader, which dies right away too.
      const rs = await fetch(`${leader.url}/jobs/${id}/rescaling?parallelism=3`, { method: 'PATCH' });
      expect(rs.status).toBe(202);
      const rsTrigger = (await json(rs))['request-id'];
      const second = await killLeader(leader);
      expect(second.tookMs).toBeLessThanOrEqual(HA_TIMINGS.leaseMs + 1000 + HA_TIMINGS.retryPeriodMs);
      leader = second.next;
      d = c.as(leader);
      const rsDone = await operation(`/jobs/${id}/rescaling/${rsTrigger}`, 'the rescale to complete');
      expect(rsDone.operation?.['failure-cause'], JSON.stringify(rsDone)).toBeUndefined();
      await waitFor('the job at parallelism 3', async () => {
        const j = await json(await fetch(`${leader.url}/jobs/${id}`));
        return j.state === 'RUNNING' && j.vertices.every((v: { parallelism: number }) => v.parallelism === 3) ? true : undefined;
      }, 30_000);
      // One savepoint and one rescale in the job's records: nothing ran twice.
      const history = await json(await fetch(`${leader.url}/jobs/${id}/rescales/history`));
      expect(history.map((r: { trigger: string; status: string }) => [r.trigger, r.status])).toEqual([['user', 'COMPLETED']]);
      const savepoints = (await s3.storage.list(s3.location('savepoints'))).filter((n) => n.startsWith('savepoint-'));
      expect(savepoints).toHaveLength(1);

      // 3. The job process dies: the new one takes its TaskManagers over.
      const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
      const before = (await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort();
      expect(before).toHaveLength(3);
      const killedAt = Date.now();
      process.kill(jm!.pid, 'SIGKILL');
      await explain(d, id, waitFor('the job running in a new job process', async () => {
        const [now] = await processesMatching(`ebbflow-jobmaster ${id}`);
        const j = await json(await fetch(`${leader.url}/jobs/${id}`));
        return now && now.pid !== jm!.pid && j.state === 'RUNNING' && j.vertices.every((v: { status: string }) => v.status === 'RUNNING') ? true : undefined;
      }, 30_000));
      console.log(`HA failover: leaders replaced in ${first.tookMs} ms and ${second.tookMs} ms; job process replaced in ${Date.now() - killedAt} ms`);
      expect((await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort()).toEqual(before);
    } finally {
      await flow.stop();
    }
    await writeTransactions(c.redis, s.txns.slice(14_000));
    await expectReferenceAlerts(d, id, s);
  });
});
