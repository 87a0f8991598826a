/**
 * The reference workload end to end: upload dist/examples/fraud-detection.mjs
 * over HTTP, run it against transactions this test writes into four Redis
 * streams, and compare the alert stream with an independent computation.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts, type Txn } from '../../examples/fraud-detection/reference.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { expectSpecResponse } from '../helpers/openapi.js';

const BUNDLE = new URL('../../dist/examples/fraud-detection.mjs', import.meta.url);
const W = 10_000;
const OOO = 5_000;

let d: TestDispatcher;
let jarId: string;
const streamPrefix = `ebbtest-fraud-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  d = await startTestDispatcher();
  const res = await upload(d.url, 'fraud-detection.mjs', readFileSync(BUNDLE));
  expect(res.status).toBe(200);
  const body = await json(res);
  await expectSpecResponse('post', '/jars/upload', 200, body);
  jarId = body.filename;
});

afterAll(async () => {
  await d?.redis && deleteKeys(d.redis, `${streamPrefix}*`);
  await d?.close();
});

async function runCase(parallelism: number, seed: number, extraArgs: string[] = []): Promise<string> {
  const tag = `${streamPrefix}-p${parallelism}-s${seed}`; // each case its own streams and output
  const streams = [0, 1, 2, 3].map((i) => `${tag}-in-${i}`);
  const output = `${tag}-alerts`;
  const txns: Txn[] = generateTransactions({ seed, count: 6000, streams });
  const lastTs = Math.max(...txns.map((t) => t.ts));
  const all = [...txns, ...endMarkers(streams, lastTs + W + OOO + 1)];
  const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
  expect(expected.length).toBeGreaterThan(0);

  await writeTransactions(d.redis, all);
  const res = await fetch(`${d.url}/jars/${jarId}/run`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ parallelism, programArgsList: ['--redis', d.redisUrl, '--input', streams.join(','), '--output', output, '--window-ms', String(W), '--threshold', '10000', '--max-out-of-orderness-ms', String(OOO), ...extraArgs] }),
  });
  const run = await json(res);
  expect(res.status, JSON.stringify(run)).toBe(200);
  await expectSpecResponse('post', '/jars/{jarid}/run', 200, run);
  const jobId: string = run.jobid;

  // Wait for as many alerts as the reference predicts, then compare exactly.
  await waitFor(`${expected.length} alerts on ${output}`, async () => ((await d.redis.xlen(output)) >= expected.length ? true : undefined), 60_000);
  const entries = (await d.redis.xrange(output, '-', '+')) as Array<[string, string[]]>;
  const got = entries.map(([, f]) => {
    const o: Record<string, string> = {};
    for (let i = 0; i < f.length; i += 2) o[f[i]!] = f[i + 1]!;
    return { from: o.from!, to: o.to!, windowStart: Number(o.windowStart), windowEnd: Number(o.windowEnd), total: o.total!, count: Number(o.count) };
  });
  expect(sortAlerts(got)).toEqual(expected);

  const details = await json(await fetch(`${d.url}/jobs/${jobId}`));
  await expectSpecResponse('get', '/jobs/{jobid}', 200, details);
  expect(details.state).toBe('RUNNING');
  expect(details.vertices).toHaveLength(2);
  for (const v of details.vertices) expect(v.parallelism).toBe(parallelism);
  const tms = await processesMatching(`ebbflow-taskmanager ${jobId}`);
  expect(tms).toHaveLength(parallelism);
  expect(await processesMatching(`ebbflow-jobmaster ${jobId}`)).toHaveLength(1);

  const cancel = await fetch(`${d.url}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
  expect(cancel.status).toBe(202);
  await waitFor('CANCELED', async () => ((await json(await fetch(`${d.url}/jobs/${jobId}`))).state === 'CANCELED' ? true : undefined));
  expect(await processesMatching(`ebbflow-taskmanager ${jobId}`)).toEqual([]);
  await waitFor('job process exit', async () => ((await processesMatching(`ebbflow-jobmaster ${jobId}`)).length === 0 ? true : undefined), 10_000);
  return jobId;
}

describe('fraud-detection bundle over REST', () => {
  it('computes exactly the reference alerts at parallelism 1', async () => {
    await runCase(1, 42);
  });

  it('computes exactly the reference alerts at parallelism 2 (keyed exchange between two TaskManagers)', async () => {
    await runCase(2, 7);
  });

  it('computes exactly the reference alerts with the enrichment step on (the autoscaling benchmark\'s workload)', async () => {
    // A blocking lookup of 2 ms per 40 records, XREAD 50 entries per stream: the alerts must not change.
    await runCase(2, 9, ['--enrich-latency-ms', '2', '--enrich-batch', '40', '--batch-size', '50']);
  });

  it('computes exactly the reference alerts with watermark alignment between its two source subtasks', async () => {
    // A drift of 1 s with 10 s windows and 100-entry reads: the sources stop and go many times.
    const jobId = await runCase(2, 11, ['--watermark-alignment-ms', '1000', '--watermark-alignment-update-ms', '50', '--batch-size', '100']);
    const log = readFileSync(join(d.dataDir, 'logs', jobId, 'jobmaster.log'), 'utf8');
    expect(log).toMatch(/"group":"transfers".*watermark alignment: first bound of the group announced/);
  });
});
