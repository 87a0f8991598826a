/**
 * Early checkpoints, with a checkpoint interval of a minute: when the sources caught up
 * (execution.checkpointing.trigger-on-caught-up, on by default) a burst's alerts are published
 * (exactly once) as soon as the burst is processed; when an exactly-once sink gets output after a
 * checkpoint that took none (execution.checkpointing.trigger-on-output, on by default) that output
 * is published at once. Neither waits for the first periodic checkpoint a minute later.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { sortAlerts } from '../../examples/fraud-detection/reference.js';
import { deleteKeys, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { readAlerts, uploadFraud, waitForCheckpoints } from '../helpers/fraud.js';
import { cancelJob, explain, scenario, startFraudJob } from '../helpers/faults.js';

let d: TestDispatcher;
let jar: string;
const tag = `ebbtest-caughtup-${randomBytes(4).toString('hex')}`;

beforeAll(async () => { d = await startTestDispatcher(); jar = await uploadFraud(d); });
afterAll(async () => { await deleteKeys(d.redis, `${tag}*`); await d?.close(); });

describe('a checkpoint when the sources caught up with a burst', () => {
  it('publishes the burst\'s exact alerts long before the first periodic checkpoint would', async () => {
    // 4 streams × ~6,000 entries: the sources read full batches (behind), then catch up.
    const s = scenario(tag, 29, 24_000);
    await writeTransactions(d.redis, s.all);
    const submitted = Date.now();
    const id = await startFraudJob(d, jar, s, 2, { 'execution.checkpointing.interval': '60 s' }, 0);
    await explain(d, id, waitFor(`${s.expected.length} alerts`, async () => ((await d.redis.xlen(s.output)) >= s.expected.length ? true : undefined), 30_000));
    const tookMs = Date.now() - submitted;
    console.log(`caught-up checkpoint: ${s.expected.length} alerts published ${tookMs} ms after the submission (interval 60 s)`);
    expect(tookMs).toBeLessThan(45_000);
    // The statistics follow (they are written after the completion that published the alerts).
    await explain(d, id, waitForCheckpoints(d, id, 1, 10_000));
    expect(sortAlerts(await readAlerts(d.redis, s.output))).toEqual(s.expected);
    await cancelJob(d, id);
  });

  it('publishes sparse output (the first alert) at once with only the output trigger on, and exactly', async () => {
    const s = scenario(`${tag}-out`, 31, 24_000);
    await writeTransactions(d.redis, s.all);
    const submitted = Date.now();
    const id = await startFraudJob(d, jar, s, 2, { 'execution.checkpointing.interval': '60 s', 'execution.checkpointing.trigger-on-caught-up': false }, 0);
    await explain(d, id, waitFor('the first alert', async () => ((await d.redis.xlen(s.output)) >= 1 ? true : undefined), 30_000));
    const tookMs = Date.now() - submitted;
    console.log(`output checkpoint: the first alert published ${tookMs} ms after the submission (interval 60 s)`);
    expect(tookMs).toBeLessThan(45_000);
    // Whatever was published is a prefix of the reference: no alert twice, none made up.
    const got = sortAlerts(await readAlerts(d.redis, s.output));
    expect(got.every((a) => s.expected.some((e) => JSON.stringify(e) === JSON.stringify(a)))).toBe(true);
    expect(new Set(got.map((a) => JSON.stringify(a))).size).toBe(got.length);
    await cancelJob(d, id);
  });
});
