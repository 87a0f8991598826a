/**
 * S3 unavailable for 10 s while the fraud-detection job checkpoints to it: the S3 test server's
 * process is killed and, after 10 s, started again on the same port and directory. Meanwhile
 * checkpoints fail (each after the client's retries) and are counted, the job keeps running on the
 * same TaskManagers without a restart, checkpoints complete again once S3 is back, and the alert
 * stream equals the reference: exactly once. And a killed job process: its successor finds the
 * newest complete checkpoint on S3 (a prefix listing, `_metadata` present) and restores from it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { cancelJob, expectReferenceAlerts, explain, scenario, startFraudJob, taskManagerPids, trickle } from '../helpers/faults.js';
import { jobState, uploadFraud, waitForCheckpoints } from '../helpers/fraud.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';

let s3: TestS3;
let d: TestDispatcher;
let jar: string;
const tag = `ebbtest-s3-outage-${randomBytes(4).toString('hex')}`;
const OUTAGE_MS = 10_000;

beforeAll(async () => {
  s3 = await startTestS3();
  d = await startTestDispatcher({ defaultConfiguration: { ...s3.configuration, 'state.checkpoints.dir': s3.location('checkpoints'), 'state.savepoints.dir': s3.location('savepoints') } });
  jar = await uploadFraud(d);
});
afterAll(async () => {
  try {
    if (d) { await deleteKeys(d.redis, `${tag}*`); await d.close(); }
  } finally {
    await s3?.close();
  }
});

const checkpointCounts = async (id: string): Promise<{ completed: number; failed: number }> => (await json(await fetch(`${d.url}/jobs/${id}/checkpoints`))).counts;

describe('S3 outage', () => {
  it('fails and counts checkpoints while S3 is gone for 10 s, keeps the job running, and stays exactly-once', async () => {
    const s = scenario(tag, 43, 14_000);
    await writeTransactions(d.redis, s.txns.slice(0, 2000));
    // More failures than the default 10 may pile up in 10 s of 300 ms checkpoints; the job must ride them out.
    const id = await startFraudJob(d, jar, s, 2, { 'execution.checkpointing.interval': 300, 'execution.checkpointing.tolerable-failed-checkpoints': 1000 }, 2);
    const tms = await taskManagerPids(id);
    const rest = trickle(d.redis, s.txns.slice(2000), 100, 30);
    const before = await checkpointCounts(id);

    await s3.stop();
    const downAt = Date.now();
    const during = await explain(d, id, waitFor('checkpoints failing for the whole outage', async () => {
      const c = await checkpointCounts(id);
      return Date.now() - downAt >= OUTAGE_MS && c.failed >= before.failed + 2 ? c : undefined;
    }, OUTAGE_MS + 60_000));
    expect((await jobState(d, id)).state).toBe('RUNNING');
    // Nothing completed while S3 was gone (but the one that may have been past its writes when it went).
    expect(during.completed).toBeLessThanOrEqual(before.completed + 1);
    await s3.start();

    const failedBefore = (await checkpointCounts(id)).failed;
    await explain(d, id, waitForCheckpoints(d, id, during.completed + 2, 60_000));
    await rest.finish();
    await expectReferenceAlerts(d, id, s);
    const after = await checkpointCounts(id);
    expect(after.failed).toBeGreaterThanOrEqual(failedBefore);
    expect(after.failed).toBeGreaterThan(before.failed);
    // Ridden out in place: the same TaskManagers, no restart.
    const job = await jobState(d, id);
    expect(job.state).toBe('RUNNING');
    expect(await taskManagerPids(id)).toEqual(tms);
    // The last failure names the store's trouble.
    const stats = await json(await fetch(`${d.url}/jobs/${id}/checkpoints`));
    expect(stats.latest.failed?.failure_message).toMatch(/s3:\/\//);
    await cancelJob(d, id);
  });

  it('restores a killed job process\'s job from its newest complete checkpoint on S3, exactly once', async () => {
    const s = scenario(`${tag}-jp`, 47, 10_000);
    const half = Math.floor(s.txns.length / 2);
    await writeTransactions(d.redis, s.txns.slice(0, half));
    const id = await startFraudJob(d, jar, s, 2, { 'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms' }, 2);
    const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
    process.kill(jm!.pid, 'SIGKILL');
    await writeTransactions(d.redis, s.txns.slice(half));
    await explain(d, id, waitFor('the job running in a new job process', async () => {
      const [now] = await processesMatching(`ebbflow-jobmaster ${id}`);
      return now && now.pid !== jm!.pid && (await jobState(d, id)).state === 'RUNNING' ? true : undefined;
    }, 30_000));
    await expectReferenceAlerts(d, id, s);
    const stats = await json(await fetch(`${d.url}/jobs/${id}/checkpoints`));
    expect(stats.latest.restored?.external_path).toMatch(new RegExp(`^${s3.location(`checkpoints/${id}`).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/chk-\\d+$`));
    await cancelJob(d, id);
  });
});
