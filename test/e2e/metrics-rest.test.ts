/**
 * Metrics of a real job end to end: the fraud-detection bundle runs at parallelism 2 while this test
 * writes transactions at a known pace (about 400 a second for 6 s, then end markers); the keyed
 * vertex's numRecordsIn summed over its subtasks (Flink's aggregated endpoint) must equal the
 * number of records written, the Prometheus counter summed over the same subtasks must agree, the
 * source's backlog must drain to 0, and the history must show the keyed vertex at roughly the
 * written rate.
 *
 * Needs the collection side (subtask counters → heartbeats → JobMaster → snapshot in Redis): without
 * it no snapshot appears and the waits below fail with their deadline messages.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { deleteKeys, json, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { fraudArgs, runJar, uploadFraud, W, OOO, waitForState } from '../helpers/fraud.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { parseScrape } from '../helpers/prometheus.js';

const RATE = 400;
const SECONDS = 6;
let d: TestDispatcher;
const tag = `ebbtest-metrics-${randomBytes(4).toString('hex')}`;
const streams = [`${tag}-in-0`, `${tag}-in-1`];

beforeAll(async () => { d = await startTestDispatcher(); });
afterAll(async () => {
  if (d) await deleteKeys(d.redis, `${tag}*`);
  await d?.close();
});

async function aggregated(jobId: string, vertexId: string, query: string): Promise<any[]> {
  const res = await fetch(`${d.url}/jobs/${jobId}/vertices/${vertexId}/subtasks/metrics?${query}`);
  const body = await json(res);
  await expectSpecResponse('get', '/jobs/{jobid}/vertices/{vertexid}/subtasks/metrics', res.status, body);
  expect(res.status).toBe(200);
  return body;
}

describe('metrics of a running fraud-detection job', () => {
  it('counts exactly the records written, in the REST aggregate and in Prometheus, and shows the rate', async () => {
    const jar = await uploadFraud(d);
    const run = await runJar(d, jar, { parallelism: 2, programArgsList: fraudArgs(d.redisUrl, streams, `${tag}-alerts`) });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const jobId: string = run.body.jobid;
    const details = await waitForState(d, jobId, 'RUNNING', 60_000);
    const vertices = details.vertices as Array<{ id: string; name: string }>;
    expect(vertices, JSON.stringify(vertices)).toHaveLength(2);
    const keyed = vertices.find((v) => /Window/.test(v.name));
    const source = vertices.find((v) => v !== keyed);
    expect(keyed, JSON.stringify(vertices)).toBeDefined();

    // Paced writes: RATE records a second, in batches every 100 ms.
    const txns = generateTransactions({ seed: 15, count: RATE * SECONDS, streams });
    const perTick = RATE / 10;
    const started = Date.now();
    for (let i = 0; i < txns.length; i += perTick) {
      await writeTransactions(d.redis, txns.slice(i, i + perTick));
      const due = started + ((i + perTick) / RATE) * 1000;
      await waitFor('the next write tick', () => (Date.now() >= due ? true : undefined), 5_000, 10);
    }
    const markers = endMarkers(streams, Math.max(...txns.map((t) => t.ts)) + W + OOO + 1);
    await writeTransactions(d.redis, markers);
    const written = txns.length + markers.length;

    const inSum = await waitFor(`numRecordsIn of the keyed vertex summed to ${written}`, async () => {
      const body = await aggregated(jobId, keyed!.id, 'get=numRecordsIn&agg=sum');
      // Thrown so the deadline's message shows the last answer ([] = no snapshot from the job process yet).
      if (body[0]?.sum !== written) throw new Error(`the last answer was ${JSON.stringify(body)}`);
      return body;
    }, 60_000, 500);
    expect(inSum).toEqual([{ id: 'numRecordsIn', sum: written }]);
    expect(await aggregated(jobId, source!.id, 'get=numRecordsOut&agg=sum')).toEqual([{ id: 'numRecordsOut', sum: written }]);
    await waitFor('the source backlog drained', async () => ((await aggregated(jobId, source!.id, 'get=pendingRecords&agg=sum'))[0]?.sum === 0 ? true : undefined), 30_000, 500);

    const scrape = parseScrape(await (await fetch(`${d.url}/metrics`)).text());
    const counters = scrape.samples('ebbflow_task_records_in_total', { job_id: jobId, vertex_id: keyed!.id });
    expect(counters.map((c) => c.labels.subtask_index).sort()).toEqual(['0', '1']);
    expect(counters.reduce((a, c) => a + c.value, 0)).toBe(written);
    expect(scrape.samples('ebbflow_source_split_pending_records', { job_id: jobId }).map((s) => s.labels.stream).sort()).toEqual([...streams].sort());

    const history = await json(await fetch(`${d.url}/jobs/${jobId}/metrics/history`));
    await expectSpecResponse('get', '/jobs/{jobid}/metrics/history', 200, history);
    const rates = (history.vertices[keyed!.id].numRecordsInPerSecond as Array<number | null>).filter((r): r is number => r !== null);
    // The paced phase lasted SECONDS: some point of it sees about RATE (broad bounds: intervals and batching blur it).
    expect(rates.some((r) => r >= RATE * 0.5 && r <= RATE * 2), `rates ${rates.join(', ')}`).toBe(true);

    await fetch(`${d.url}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
  });
});
