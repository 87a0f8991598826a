/** Helpers for running the fraud-detection bundle in tests and reading its alerts. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { json, processesMatching, upload, waitFor, type TestDispatcher } from './dispatcher.js';

export const FRAUD_BUNDLE = new URL('../../dist/examples/fraud-detection.mjs', import.meta.url);
export const W = 10_000;
export const OOO = 5_000;

export interface AlertRow { from: string; to: string; windowStart: number; windowEnd: number; total: string; count: number }

export async function uploadFraud(d: TestDispatcher): Promise<string> {
  const res = await upload(d.url, 'fraud-detection.mjs', readFileSync(FRAUD_BUNDLE));
  expect(res.status).toBe(200);
  return (await json(res)).filename;
}

export function fraudArgs(redisUrl: string, streams: string[], output: string): string[] {
  return ['--redis', redisUrl, '--input', streams.join(','), '--output', output, '--window-ms', String(W), '--threshold', '10000', '--max-out-of-orderness-ms', String(OOO)];
}

export async function runJar(d: TestDispatcher, jar: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${d.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await json(res) };
}

export async function readAlerts(redis: Redis, stream: string): Promise<AlertRow[]> {
  const entries = (await redis.xrange(stream, '-', '+')) as Array<[string, string[]]>;
  return entries.map(([, f]) => {
    const o: Record<string, string> = {};
    for (let i = 0; i < f.length; i += 2) o[f[i]!] = f[i + 1]!;
    return { from: o.from!, to: o.to!, windowStart: Number(o.windowStart), windowEnd: Number(o.windowEnd), total: o.total!, count: Number(o.count) };
  });
}

export async function jobState(d: TestDispatcher, id: string): Promise<any> {
  return json(await fetch(`${d.url}/jobs/${id}`));
}

export async function waitForState(d: TestDispatcher, id: string, state: string, timeoutMs = 30_000): Promise<any> {
  return waitFor(`job ${id} ${state}`, async () => { const j = await jobState(d, id); return j.state === state ? j : undefined; }, timeoutMs);
}

/** Waits until the job has at least `n` completed checkpoints. */
export async function waitForCheckpoints(d: TestDispatcher, id: string, n: number, timeoutMs = 30_000): Promise<any> {
  return waitFor(`${n} completed checkpoints of ${id}`, async () => {
    const s = await json(await fetch(`${d.url}/jobs/${id}/checkpoints`));
    return s.counts.completed >= n ? s : undefined;
  }, timeoutMs);
}

/** The job's TaskManagers (GET /taskmanagers) once `n` of them report a data port. */
export async function taskManagersWithDataPorts(d: TestDispatcher, id: string, n: number): Promise<any[]> {
  return waitFor(`${n} TaskManagers with data ports`, async () => {
    const list = (await json(await fetch(`${d.url}/taskmanagers`))).taskmanagers.filter((t: any) => t.jobId === id && t.dataPort > 0);
    return list.length === n ? list : undefined;
  }, 30_000);
}

/** The TCP ports the job process listens on (`ss` names the owning pid): its TaskManager endpoint. */
export async function jobProcessPorts(id: string): Promise<number[]> {
  const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
  if (!jm) throw new Error(`no job process of ${id}`);
  return execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' }).split('\n')
    .filter((l) => l.includes(`pid=${jm.pid},`)).map((l) => Number(/:(\d+)\s/.exec(l.split(/\s+/)[3] + ' ')![1]));
}
