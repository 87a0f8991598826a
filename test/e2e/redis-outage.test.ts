/**
 * Redis going away for a moment: a private redis-server (with an append-only
 * file, so its data survives) is shut down while the fraud-detection job runs
 * and the dispatcher serves. While it is gone the REST API answers 503; once it
 * is back the job carries on (restarting from its checkpoint if a subtask
 * failed) and the alert stream still equals the independent computation.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts } from '../../examples/fraud-detection/reference.js';
import { freePort, json, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { fraudArgs, OOO, readAlerts, runJar, uploadFraud, W, waitForCheckpoints, waitForState } from '../helpers/fraud.js';

let port: number;
let dir: string;
let server: ChildProcess | undefined;
let d: TestDispatcher;
let redis: Redis;


async function startRedis(): Promise<void> {
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
  await waitFor('redis up', async () => {
    const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try { await r.connect(); return (await r.ping()) === 'PONG' ? true : undefined; } finally { r.disconnect(); }
  }, 10_000, 50);
}

async function stopRedis(): Promise<void> {
  const s = server!;
  const exited = new Promise((r) => s.once('exit', r));
  s.kill('SIGTERM'); // redis-server writes its AOF and exits
  await exited;
  server = undefined;
}

beforeAll(async () => {
  port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'ebbflow-outage-'));
  await startRedis();
  redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  d = await startTestDispatcher({ redisUrl: `redis://127.0.0.1:${port}` });
});

afterAll(async () => {
  await d?.close().catch(() => {});
  redis?.disconnect();
  if (server) await stopRedis();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis going away for a moment', () => {
  it('answers 503 while Redis is down, and the job ends with exactly the reference alerts', async () => {
    const url = `redis://127.0.0.1:${port}`;
    const jar = await uploadFraud(d);
    const streams = [0, 1, 2, 3].map((i) => `outage-in-${i}`);
    const output = 'outage-alerts';
    const txns = generateTransactions({ seed: 3, count: 8000, streams });
    const lastTs = Math.max(...txns.map((t) => t.ts));
    const all = [...txns, ...endMarkers(streams, lastTs + W + OOO + 1)];
    const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
    const half = Math.floor(txns.length / 2);
    await writeTransactions(redis, all.slice(0, half));
    const run = await runJar(d, jar, { parallelism: 2, programArgsList: fraudArgs(url, streams, output), flinkConfiguration: { 'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.attempts': 20, 'restart-strategy.fixed-delay.delay': '250 ms' } });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id = run.body.jobid;
    await waitForState(d, id, 'RUNNING');
    await waitForCheckpoints(d, id, 2);

    await stopRedis();
    const down = await fetch(`${d.url}/jobs/${id}`);
    expect(down.status).toBe(503);
    expect((await json(down)).errors[0]).toMatch(/Redis is unreachable/);
    await startRedis();

    await writeTransactions(redis, all.slice(half));
    await waitFor(`${expected.length} alerts`, async () => ((await redis.xlen(output)) >= expected.length ? true : undefined), 60_000);
    const after = await waitFor<{ state: string }>('API back', async () => { const r = await fetch(`${d.url}/jobs/${id}`); return r.status === 200 ? json(r) : undefined; });
    expect(['RUNNING', 'RESTARTING']).toContain(after.state);
    const done = await json(await fetch(`${d.url}/jobs/${id}/checkpoints`));
    await waitForCheckpoints(d, id, done.counts.completed + 2);
    expect(sortAlerts(await readAlerts(redis, output))).toEqual(expected);
    await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' });
    await waitForState(d, id, 'CANCELED');
  });
});
