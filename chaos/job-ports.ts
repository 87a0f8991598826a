/** How the chaos run finds and hits a job's processes and ports, and the few REST calls it makes. */
import { execFileSync } from 'node:child_process';
import { jobProcesses } from '../bench/procs.js';
import { savepointStatus, taskManagersOf, type TaskManagerInfo } from '../bench/rest.js';

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

/** The job's TaskManagers that have a data port. */
export async function taskManagersWithDataPorts(api: string, jobId: string): Promise<TaskManagerInfo[]> {
  return (await taskManagersOf(api, jobId)).filter((t) => t.dataPort > 0);
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

/** Waits until the savepoint operation ends; FAILED when it completed with a failure cause. */
export async function savepointResult(api: string, jobId: string, trigger: string, timeoutMs: number): Promise<{ status: 'COMPLETED' | 'FAILED'; location?: string; cause?: string }> {
  return waitUntil(`savepoint ${trigger}`, async () => {
    const b = await savepointStatus(api, jobId, trigger);
    if (b.status.id !== 'COMPLETED') return undefined;
    const cause = b.operation?.['failure-cause'];
    return cause ? { status: 'FAILED' as const, cause: cause['stack-trace'] || cause.class } : { status: 'COMPLETED' as const, location: b.operation?.location };
  }, timeoutMs);
}
