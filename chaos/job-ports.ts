/** How the chaos run finds and hits a job's processes and ports, and the few REST calls it makes. */
import { execFileSync } from 'node:child_process';
import type { ListTaskManagersResponse } from '../rest/index.js';
import { jobProcesses } from '../bench/procs.js';

/** Polls `probe` until it returns a value, or throws after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Error | undefined;
  for (;;) {
    // A failing probe (the dispatcher busy) is tried again; its last error is named if time runs out.
    const v = await probe().catch((err: Error) => { last = err; return undefined; });
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The job's TaskManagers that have a data port, from GET /taskmanagers. */
export async function taskManagersOf(api: string, jobId: string): Promise<Array<{ id: string; dataPort: number; pid: number }>> {
  const res = await fetch(`${api}/taskmanagers`);
  if (!res.ok) return [];
  const body = (await res.json()) as ListTaskManagersResponse;
  return body.taskmanagers.filter((t) => t.jobId === jobId && t.dataPort > 0);
}

/** The TCP port the job process listens on for its TaskManagers (`ss` names the owning pid). */
export async function jobRpcPort(jobId: string): Promise<number | undefined> {
  const jm = (await jobProcesses(jobId)).find((p) => p.role === 'jobmaster');
  if (!jm) return undefined;
  const line = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' }).split('\n').find((l) => l.includes(`pid=${jm.pid},`));
  const local = line?.trim().split(/\s+/)[3];
  return local ? Number(local.slice(local.lastIndexOf(':') + 1)) : undefined;
}

/** SIGKILLs one of the job's TaskManagers (picked by `rng`); returns its pid. */
export async function killTaskManager(jobId: string, rng: () => number): Promise<number | undefined> {
  const tms = (await jobProcesses(jobId)).filter((p) => p.role === 'taskmanager');
  const victim = tms[Math.floor(rng() * tms.length)];
  if (!victim) return undefined;
  killIfAlive(victim.pid);
  return victim.pid;
}

/** SIGKILL; a process that is gone already (ESRCH) is no error, anything else is. */
export function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** POST /jobs/:id/savepoints into `dir`; returns the request id. */
export async function savepoint(api: string, jobId: string, dir: string): Promise<string> {
  const res = await fetch(`${api}/jobs/${jobId}/savepoints`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ 'target-directory': dir, 'cancel-job': false }),
  });
  if (!res.ok) throw new Error(`savepoint: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { 'request-id': string })['request-id'];
}

/** Waits until the savepoint operation ends; FAILED when it completed with a failure cause. */
export async function savepointResult(api: string, jobId: string, trigger: string, timeoutMs: number): Promise<{ status: 'COMPLETED' | 'FAILED'; location?: string; cause?: string }> {
  return waitUntil(`savepoint ${trigger}`, async () => {
    const res = await fetch(`${api}/jobs/${jobId}/savepoints/${trigger}`);
    if (!res.ok) return undefined;
    const b = (await res.json()) as { status: { id: string }; operation?: { location?: string; 'failure-cause'?: { 'stack-trace'?: string; class?: string } } };
    if (b.status.id !== 'COMPLETED') return undefined;
    const cause = b.operation?.['failure-cause'];
    return cause ? { status: 'FAILED' as const, cause: cause['stack-trace'] ?? cause.class ?? 'failed' } : { status: 'COMPLETED' as const, location: b.operation?.location };
  }, timeoutMs);
}
