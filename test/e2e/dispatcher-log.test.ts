/**
 * The dispatcher's own log on Flink's JobManager log pages: a real `ebbflow dispatcher` process
 * logging at info to its standard output; GET /jobmanager/log serves the same lines (kept in memory),
 * masked like the output, and /jobmanager/logs lists it as `dispatcher.log`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deleteKeys, freePort, json, upload, waitFor } from '../helpers/dispatcher.js';
import { expectSpecResponse } from '../helpers/openapi.js';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ebbflow-dlog-'));
const prefix = `ebbtest-dlog-${randomBytes(4).toString('hex')}:`;
let proc: ChildProcess;
let url = '';
let out = '';
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // A secret among the options: the log (masked like the output) must never show it.
  proc = spawn(process.execPath, [CLI, 'dispatcher', '--host', '127.0.0.1', '--port', String(port), '--redis', inject('redisUrl'), '--key-prefix', prefix, '--data-dir', join(dir, 'data'),
    '-D', 's3.access-key=AKIAEXAMPLE', '-D', 's3.secret-key=hunter2-secret'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EBBFLOW_LOG_LEVEL: 'info' } });
  proc.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  proc.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  await waitFor('the dispatcher to answer', async () => {
    if (proc.exitCode !== null) throw new Error(`the dispatcher exited (${proc.exitCode}): ${out}`);
    return (await fetch(`${url}/overview`).catch(() => undefined))?.ok ? true : undefined;
  }, 20_000, 50);
});
afterAll(async () => {
  if (proc?.pid && proc.exitCode === null) {
    proc.kill('SIGTERM');
    await waitFor('the dispatcher to exit', () => (proc.exitCode !== null || proc.signalCode !== null ? true : undefined), 10_000, 20).catch(() => proc.kill('SIGKILL'));
  }
  await deleteKeys(redis, `${prefix}*`);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /jobmanager/log', () => {
  it('serves the lines the dispatcher wrote to its standard output, listed as dispatcher.log', async () => {
    // A job (reading an empty stream): the dispatcher logs its job process starting.
    const up = await upload(url, 'fraud-detection.mjs', readFileSync(new URL('../../dist/examples/fraud-detection.mjs', import.meta.url)));
    const jar = (await json(up)).filename;
    const run = await json(await fetch(`${url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ programArgsList: ['--redis', inject('redisUrl'), '--input', `${prefix}in`, '--output', `${prefix}out`] }) }));
    expect(run.jobid, JSON.stringify(run)).toMatch(/^[0-9a-f]{32}$/);
    await waitFor('the dispatcher to log the job process\'s start', () => (out.includes('job process started') ? true : undefined), 30_000, 20);
    expect((await fetch(`${url}/jobs/${run.jobid}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    const listing = await json(await fetch(`${url}/jobmanager/logs`));
    await expectSpecResponse('get', '/jobmanager/logs', 200, listing);
    expect(listing.logs).toHaveLength(1);
    expect(listing.logs[0]).toMatchObject({ name: 'dispatcher.log' });
    expect(listing.logs[0].size).toBeGreaterThan(0);
    const res = await fetch(`${url}/jobmanager/log`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const served = (await res.text()).split('\n').filter(Boolean);
    const printed = out.split('\n').filter((l) => l.startsWith('{')); // the JSON lines (the CLI also prints a banner)
    expect(served.length).toBeGreaterThan(0);
    // Every line served is a line the process printed, in order (the output may have more by now).
    expect(printed.slice(0, served.length)).toEqual(served);
    expect(served.every((l) => JSON.parse(l).role === 'dispatcher')).toBe(true);
    expect(served.join('\n')).not.toContain('hunter2-secret');
    const last = await (await fetch(`${url}/jobmanager/log?lines=1`)).text();
    expect(last.split('\n').filter(Boolean)).toHaveLength(1);
    const two = (await (await fetch(`${url}/jobmanager/logs/dispatcher.log?lines=2`)).text()).split('\n').filter(Boolean);
    expect(two).toHaveLength(Math.min(2, served.length));
    for (const l of two) expect(printed).toContain(l);
    expect((await fetch(`${url}/jobmanager/logs/other.log`)).status).toBe(404);
    expect((await fetch(`${url}/jobmanager/stdout`)).status).toBe(404);
  });
});
