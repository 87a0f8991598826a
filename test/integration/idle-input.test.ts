/**
 * Event time with an empty partition: without an idle timeout the empty stream
 * holds the watermark back (no window fires); with `idleTimeoutMs` it stops
 * counting and windows fire from the other stream's data.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, json, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { runJar, waitForCheckpoints, waitForState } from '../helpers/fraud.js';

let d: TestDispatcher;
const tag = `ebbtest-idle-${randomBytes(4).toString('hex')}`;

beforeAll(async () => { d = await startTestDispatcher(); });
afterAll(async () => { await deleteKeys(d.redis, `${tag}*`); await d?.close(); });

function bundle(out: string, idleTimeoutMs: number | undefined): string {
  return `export default function (env) {
    env.fromRedisStreams({ url: ${JSON.stringify(d.redisUrl)}, streams: [${JSON.stringify(tag + '-busy')}, ${JSON.stringify(tag + '-empty')}],
        watermarks: { timestamp: (e) => Number(e.fields.ts), maxOutOfOrdernessMs: 0, idleTimeoutMs: ${idleTimeoutMs ?? 'undefined'} } })
      .keyBy((e) => e.fields.k)
      .window(env.windows.tumbling(1000))
      .aggregate({ createAccumulator: () => 0, add: (a) => a + 1, getResult: (a) => a }, (k, w, n) => ({ k, start: w.start, n }))
      .sinkTo(env.fileSink(${JSON.stringify(out)}));
  }`;
}

const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

describe('idle inputs', () => {
  it('an empty partition holds the watermark back, unless it is declared idle after a timeout', async () => {
    for (let i = 0; i < 30; i++) await d.redis.xadd(`${tag}-busy`, '*', 'k', 'a', 'ts', String(i * 100));
    const held = join(d.dataDir, 'held.jsonl');
    const idle = join(d.dataDir, 'idle.jsonl');
    const jarHeld = (await json(await upload(d.url, 'held.mjs', bundle(held, undefined)))).filename;
    const jarIdle = (await json(await upload(d.url, 'idle.mjs', bundle(idle, 300)))).filename;
    const a = (await runJar(d, jarHeld, { flinkConfiguration: { 'execution.checkpointing.interval': 100 } })).body.jobid;
    const b = (await runJar(d, jarIdle, { flinkConfiguration: { 'execution.checkpointing.interval': 100 } })).body.jobid;
    await waitForState(d, a, 'RUNNING');
    await waitForState(d, b, 'RUNNING');
    // Windows [0,1000) and [1000,2000) close once the watermark reaches 2900 (last ts) — only if "empty" is idle.
    const got = await waitFor('idle job output', () => { const l = lines(idle); return l.length >= 2 ? l : undefined; });
    expect(got).toEqual([{ k: 'a', start: 0, n: 10 }, { k: 'a', start: 1000, n: 10 }]);
    // Meanwhile the other job has taken checkpoints (it runs) but fired nothing.
    await waitForCheckpoints(d, a, 5);
    expect(lines(held)).toEqual([]);
    for (const id of [a, b]) await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' });
    await waitForState(d, a, 'CANCELED');
    await waitForState(d, b, 'CANCELED');
  });
});
