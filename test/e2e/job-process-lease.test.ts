/**
 * Job processes are watched by lease, not by pid: a job process that hangs (SIGSTOP: its pid stays
 * alive, it answers nothing) holds no lease once its TTL passes; the dispatcher kills it and starts
 * the job again from its latest checkpoint on the same TaskManagers, and the alerts stay exactly the
 * reference. A job process that ends gives its lease up; the job's keys go with the job.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { leaseKey } from '../../metadata/index.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { uploadFraud } from '../helpers/fraud.js';
import { cancelJob, expectReferenceAlerts, explain, scenario, startFraudJob } from '../helpers/faults.js';

let d: TestDispatcher;
let jar: string;
const tag = `ebbtest-lease-${randomBytes(4).toString('hex')}`;
const LEASE_MS = 2000;

beforeAll(async () => { d = await startTestDispatcher({ jobProcessLeaseMs: LEASE_MS }); jar = await uploadFraud(d); });
afterAll(async () => { await deleteKeys(d.redis, `${tag}*`); await d?.close(); });

describe('job processes watched by lease', () => {
  it('kills a hung job process once its lease ran out and runs the job again on the same TaskManagers, exactly once', async () => {
    const s = scenario(`${tag}-hung`, 23, 12_000);
    const half = Math.floor(s.txns.length / 2);
    await writeTransactions(d.redis, s.txns.slice(0, half));
    const id = await startFraudJob(d, jar, s, 2, { 'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms' }, 2);
    const token = await d.redis.get(leaseKey(d.keyPrefix, id));
    const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
    expect(token, 'the job process holds its lease').toMatch(new RegExp(`/${jm!.pid}/[0-9a-f]+$`));
    const tms = (await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort();
    expect(tms).toHaveLength(2);

    const stoppedAt = Date.now();
    process.kill(jm!.pid, 'SIGSTOP');
    try {
      await writeTransactions(d.redis, s.txns.slice(half));
      const replaced = await explain(d, id, waitFor('a new job process running the job', async () => {
        const [now] = await processesMatching(`ebbflow-jobmaster ${id}`);
        const job = await json(await fetch(`${d.url}/jobs/${id}`));
        return now && now.pid !== jm!.pid && job.state === 'RUNNING' ? { pid: now.pid, job } : undefined;
      }, 40_000));
      const tookMs = Date.now() - stoppedAt;
      console.log(`hung job process replaced ${tookMs} ms after SIGSTOP (lease ${LEASE_MS} ms)`);
      // Not before the lease ran out (TTL + half a TTL of it missing).
      expect(tookMs).toBeGreaterThanOrEqual(LEASE_MS);
      // The stopped process was killed, not left behind.
      await waitFor('the hung job process to be gone', async () => ((await processesMatching(`ebbflow-jobmaster ${id}`)).some((p) => p.pid === jm!.pid) ? undefined : true), 10_000);
      const exceptions = await json(await fetch(`${d.url}/jobs/${id}/exceptions`));
      expect(JSON.stringify(exceptions)).toMatch(/no lease/);
      // The new process holds the lease now.
      expect(await d.redis.get(leaseKey(d.keyPrefix, id))).toMatch(new RegExp(`/${replaced.pid}/`));
      await expectReferenceAlerts(d, id, s);
      expect((await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort()).toEqual(tms);
    } finally {
      try { process.kill(jm!.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await cancelJob(d, id);
    // An ended job's process gives its lease up.
    await waitFor('the lease to be given up', async () => ((await d.redis.exists(leaseKey(d.keyPrefix, id))) === 0 ? true : undefined), 15_000);
  });
});
