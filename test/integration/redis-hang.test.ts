/**
 * A Redis that hangs (SIGSTOP: the connection stays open, nothing answers) must not hang the API:
 * requests answer 503 with `{"errors"}` within a few seconds, and once Redis runs again (SIGCONT)
 * the API answers normally by itself. Uses a private redis-server, never the shared one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, json, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';

let server: ChildProcess;
let d: TestDispatcher;
let stopped = false;

beforeAll(async () => {
  const port = await freePort();
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitFor('redis up', async () => {
    const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try { await r.connect(); return (await r.ping()) === 'PONG' ? true : undefined; } finally { r.disconnect(); }
  }, 10_000, 50);
  d = await startTestDispatcher({ redisUrl: `redis://127.0.0.1:${port}` });
});

afterAll(async () => {
  if (stopped) server.kill('SIGCONT');
  await d?.close();
  server?.kill('SIGKILL');
});

describe('a hung Redis', () => {
  it('answers 503 within a few seconds while Redis is stopped, and recovers by itself', async () => {
    expect((await fetch(`${d.url}/jobs/overview`)).status).toBe(200);
    server.kill('SIGSTOP');
    stopped = true;
    const started = Date.now();
    const res = await fetch(`${d.url}/jobs/overview`, { signal: AbortSignal.timeout(20_000) });
    const took = Date.now() - started;
    expect(res.status).toBe(503);
    expect((await json(res)).errors[0]).toMatch(/Redis is unreachable/);
    expect(took).toBeLessThan(8000);
    server.kill('SIGCONT');
    stopped = false;
    await waitFor('the API to answer again', async () => ((await fetch(`${d.url}/jobs/overview`)).status === 200 ? true : undefined), 15_000);
  });
});
