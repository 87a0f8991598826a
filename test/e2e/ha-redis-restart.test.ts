/**
 * Redis restarted during a leader change (docs/ha.md): three dispatchers against a redis-server of
 * the test's own (a free port, append-only file with fsync always in a temp dir, as a deployment
 * that keeps its data would run it; never the shared Redis). The leader is SIGKILLed; Redis is
 * SIGKILLed too (a crash) right before the lease runs out, so the standbys' election meets no Redis, and kept
 * away past the lease's end; then it starts again on the same data. Afterwards exactly one
 * dispatcher leads, the fencing epoch only grew, and the job submitted before the change ends
 * with exactly the reference alerts.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { json, processesMatching, upload, waitFor } from '../helpers/dispatcher.js';
import { expectReferenceAlerts, explain, scenario, startFraudJob } from '../helpers/faults.js';
import { FRAUD_BUNDLE } from '../helpers/fraud.js';
import { HA_TIMINGS, HaCluster, type HaNode } from '../helpers/ha-cluster.js';
import { privateRedis, type PrivateRedis } from '../helpers/private-redis.js';

let r: PrivateRedis;
let c: HaCluster;
let jar: string;
const CONFIG = { 'execution.checkpointing.interval': 300, 'restart-strategy.fixed-delay.delay': '100 ms' };

beforeAll(async () => {
  r = await privateRedis();
  c = new HaCluster(r.url);
  c.redis.on('error', () => { /* the test stops Redis on purpose; commands wait for it */ });
  await c.start(3);
  const res = await upload((await c.waitForLeader()).url, 'fraud-detection.mjs', readFileSync(FRAUD_BUNDLE));
  expect(res.status).toBe(200);
  jar = (await json(res)).filename;
});
afterAll(async () => {
  try {
    if (r && !r.running) await r.start();
    await c?.close();
  } finally {
    await r?.close();
  }
});

/** Each live dispatcher's view: who it says leads and whether it leads itself. */
async function views(): Promise<Array<{ n: HaNode; self: boolean; leader: string | undefined; epoch: number | undefined }>> {
  return Promise.all(c.alive.map(async (n) => {
    const v = await c.view(n);
    return { n, self: v.self.leader, leader: v.leader?.url, epoch: v.leader?.epoch };
  }));
}

describe('Redis restarted during a leader change', () => {
  it('the leader SIGKILLed, Redis crashed (SIGKILL) while the standbys elect and started again: one leader, a larger epoch, the job\'s alerts exact', async () => {
    const s = scenario(`${c.keyPrefix}t${Math.random().toString(16).slice(2, 8)}`, 71, 3000);
    await writeTransactions(c.redis, s.txns.slice(0, s.txns.length >> 1));
    const leader = await c.waitForLeader();
    const id = await startFraudJob(c.as(leader), jar, s, 2, CONFIG, 2);
    const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
    expect(jm).toBeDefined();
    const epochKey = `${c.keyPrefix}ha:${c.clusterId}:leader:epoch`;
    const leaderKey = `${c.keyPrefix}ha:${c.clusterId}:leader`;
    const epochBefore = Number(await c.redis.get(epochKey));
    expect((await c.view(leader)).leader!.epoch).toBe(epochBefore);

    c.kill(leader);
    await waitFor('the leader to exit', () => (leader.dead ? true : undefined), 5000);
    // Right before the dead leader's lease runs out (the standbys are about to take it), Redis goes.
    const expiresAt = await waitFor('the dead leader\'s lease to be about to run out', async () => {
      const pttl = await c.redis.pttl(leaderKey);
      return pttl >= 0 && pttl <= 400 ? Date.now() + pttl : undefined;
    }, HA_TIMINGS.leaseMs + 2000, 10);
    await r.stop('SIGKILL'); // a crash: only what the append-only file holds (fsync always: every acknowledged write) comes back
    // Redis stays away until the lease has run out and every standby has tried (and failed) to take it.
    await waitFor('the lease to have run out while Redis is away', async () => (Date.now() > expiresAt + 3 * HA_TIMINGS.retryPeriodMs ? true : undefined), 10_000, 20);
    for (const v of await views()) expect(v.self, `dispatcher ${v.n.index} leads without Redis`).toBe(false);
    const write = await fetch(`${c.alive[0]!.url}/jobs/${id}/checkpoints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(10_000) });
    expect(write.status, 'a write without a leader').toBe(503);
    await r.start();

    const next = await c.waitForLeader(HA_TIMINGS.leaseMs + 10_000, leader);
    const epochAfter = Number(await c.redis.get(epochKey));
    expect(epochAfter).toBeGreaterThan(epochBefore);
    // Exactly one leads, every live dispatcher names it with the epoch in Redis, for a while.
    const until = Date.now() + 2 * HA_TIMINGS.leaseMs;
    while (Date.now() < until) {
      const vs = await views();
      expect(vs.filter((v) => v.self).map((v) => v.n.index)).toEqual([next.index]);
      for (const v of vs) expect(v).toMatchObject({ leader: next.url, epoch: epochAfter });
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(Number(await c.redis.get(epochKey))).toBe(epochAfter);

    // The job (its process survived; adopted, or restarted from its checkpoint) ends with the reference alerts.
    const d = c.as(next);
    await writeTransactions(c.redis, s.txns.slice(s.txns.length >> 1));
    await explain(d, id, waitFor(`job ${id} RUNNING under the new leader`, async () => ((await json(await fetch(`${next.url}/jobs/${id}`))).state === 'RUNNING' ? true : undefined), 30_000));
    await expectReferenceAlerts(d, id, s);
    expect(await processesMatching(`ebbflow-jobmaster ${id}`)).toHaveLength(1);
  });
});
