/** Rescaling a job over REST in tests, and reading which execution and process each subtask runs in. */
import { expect } from 'vitest';
import { json, waitFor, type TestDispatcher } from './dispatcher.js';
import { expectSpecResponse } from './openapi.js';

/** PATCH /jobs/:id/rescaling and polls the request; returns the operation or throws its failure cause. */
export async function rescale(d: TestDispatcher, id: string, parallelism: number, timeoutMs = 60_000): Promise<any> {
  const res = await fetch(`${d.url}/jobs/${id}/rescaling?parallelism=${parallelism}`, { method: 'PATCH' });
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(202);
  return pollRescale(d, id, body['request-id'], timeoutMs);
}

export async function pollRescale(d: TestDispatcher, id: string, trigger: string, timeoutMs = 60_000): Promise<any> {
  const done = await waitFor(`rescale ${trigger} of ${id}`, async () => {
    const s = await json(await fetch(`${d.url}/jobs/${id}/rescaling/${trigger}`));
    return s.status.id === 'COMPLETED' ? s : undefined;
  }, timeoutMs);
  await expectSpecResponse('get', '/jobs/{jobid}/rescaling/{triggerid}', 200, done);
  if (done.operation['failure-cause']) throw new Error(`rescale failed: ${done.operation['failure-cause']['stack-trace']}`);
  return done.operation;
}

export interface SubtaskIdentity { subtask: number; executionId: string; pid: number; status: string }

/** Vertex id (in graph order) → its subtasks' execution ids and TaskManager pids. */
export async function subtaskIdentities(d: TestDispatcher, id: string): Promise<Record<string, SubtaskIdentity[]>> {
  const job = await json(await fetch(`${d.url}/jobs/${id}`));
  const out: Record<string, SubtaskIdentity[]> = {};
  for (const v of job.vertices as Array<{ id: string }>) {
    const body = await json(await fetch(`${d.url}/jobs/${id}/vertices/${v.id}`));
    await expectSpecResponse('get', '/jobs/{jobid}/vertices/{vertexid}', 200, body);
    out[v.id] = body.subtasks.map((s: any) => ({ subtask: s.subtask, executionId: s['execution-id'], pid: s.pid, status: s.status }));
  }
  return out;
}

/** The last lines of every log of a job (job process and TaskManagers), to explain a failure. */
export async function jobLogTails(d: TestDispatcher, id: string, lines = 60): Promise<string> {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = join(d.dataDir, 'logs', id);
  let out = '';
  for (const f of readdirSync(dir).sort()) {
    const text = readFileSync(join(dir, f), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    out += `\n==== ${f}\n${text}`;
  }
  // Tasks' stdout under the extra roots (Mesos sandboxes): the newest few, where a TaskManager that
  // exited at once says why.
  const { statSync } = await import('node:fs');
  const found: Array<{ path: string; mtime: number }> = [];
  const walk = (p: string, depth: number): void => {
    if (depth > 12) return;
    let names: string[];
    try { names = readdirSync(p); } catch { return; }
    for (const n of names) {
      const q = join(p, n);
      let st;
      try { st = statSync(q); } catch { continue; }
      if (st.isDirectory()) walk(q, depth + 1);
      else if ((n === 'stdout' || n === 'stderr') && q.includes(id.slice(0, 8))) found.push({ path: q, mtime: st.mtimeMs });
    }
  };
  for (const root of d.logRoots ?? []) walk(root, 0);
  for (const f of found.sort((a, b) => b.mtime - a.mtime).slice(0, 4)) {
    const text = readFileSync(f.path, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
    out += `\n==== ${f.path}\n${text}`;
  }
  return out;
}
