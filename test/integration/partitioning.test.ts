/**
 * Non-keyed edges: rebalance spreads records round-robin over the next
 * vertex's subtasks, forward feeds subtask i from subtask i; both carry
 * watermarks and end-of-stream so event-time windows downstream still fire.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestDispatcher, upload, type TestDispatcher } from '../helpers/dispatcher.js';
import { runJar, waitForState } from '../helpers/fraud.js';
import { readWindowSums } from '../helpers/window-sums.js';

let d: TestDispatcher;
beforeAll(async () => { d = await startTestDispatcher(); });
afterAll(async () => { await d?.close(); });

describe('rebalance and forward edges', () => {
  it('runs source -> rebalance -> map -> forward -> map -> keyBy window at parallelism 2 with exact results', async () => {
    const out = join(d.dataDir, 'partitioning.jsonl');
    const src = `export default function (env, args) {
      const data = [];
      for (let i = 0; i < 2000; i++) data.push({ k: 'k' + (i % 5), v: i, ts: i * 5 });
      env.fromElements(data, { timestamp: (r) => r.ts })
        .rebalance()
        .map((r) => ({ ...r, v2: r.v * 2 }), 'Double')
        .forward()
        .filter((r) => r.v % 3 !== 0, 'Drop Thirds')
        .keyBy((r) => r.k)
        .window(env.windows.tumbling(1000))
        .aggregate({ createAccumulator: () => 0, add: (a, r) => a + r.v2, getResult: (a) => a }, (k, w, sum) => ({ k, start: w.start, sum }))
        .sinkTo(env.fileSink(args[0]));
    }`;
    const jar = (await json(await upload(d.url, 'partitioning.mjs', src))).filename;
    const run = await runJar(d, jar, { parallelism: 2, programArgsList: [out] });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const job = await waitForState(d, run.body.jobid, 'FINISHED');
    expect(job.vertices.map((v: { name: string }) => v.name)).toEqual([
      'Collection Source', 'Double', 'Drop Thirds', 'Window(Tumbling 1000ms, Aggregate) -> File Sink',
    ]);
    const expected = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      if (i % 3 === 0) continue;
      const key = `k${i % 5}|${Math.floor((i * 5) / 1000) * 1000}`;
      expected.set(key, (expected.get(key) ?? 0) + i * 2);
    }
    expect(readWindowSums(out)).toEqual(expected);
  });
});
