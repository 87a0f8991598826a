/**
 * Plans a stored bundle without running its code in the dispatcher: a child process
 * (./plan-worker.ts) imports the bundle and runs its job function against the recording
 * environment, like the job process does, in a scrubbed environment and with a deadline.
 */
import { fork } from 'node:child_process';
import type { JobGraph } from '../runtime/job-graph.js';
import { childEnv } from '../runtime/child-env.js';
import { processEntry } from '../runtime/install-paths.js';
import type { PlanRequest } from '../runtime/plan.js';
import { InvalidRequest } from './errors.js';

const PLAN_WORKER = processEntry('dispatcher/plan-worker.js');

/** What the plan worker answers. */
export type PlannedJar = { ok: true; graph: JobGraph; caps: Record<string, number> } | { ok: false; error: string };

export async function planInChild(req: PlanRequest, timeoutMs: number): Promise<{ graph: JobGraph; caps: Record<string, number> }> {
  const child = fork(PLAN_WORKER, ['ebbflow-plan'], { env: childEnv(), stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [] });
  const answer = await new Promise<PlannedJar>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ ok: false, error: `planning the job took longer than ${timeoutMs} ms` });
    }, timeoutMs);
    child.once('message', (m: PlannedJar) => { clearTimeout(timer); resolve(m); });
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `the planning process ended (${signal ?? `exit code ${code}`}) without a plan` });
    });
    child.once('spawn', () => child.send(req));
  });
  // Already answered (or timed out): make sure it is gone.
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (!answer.ok) throw new InvalidRequest(`The job could not be planned: ${answer.error}`);
  return { graph: answer.graph, caps: answer.caps };
}
