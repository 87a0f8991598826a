/**
 * `ebbflow savepoint`, `ebbflow stop` and `ebbflow checkpoint`: trigger the operation, then poll
 * its status until the job process reports it (progress lines for a person watching; the final
 * location or checkpoint id on stdout, the failure cause on stderr with exit status 1).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { OperationStatus, RestClient } from './rest-client.js';

export interface FollowOptions {
  /** false with --no-wait: print the request id and return. */
  wait: boolean;
  pollMs?: number;
}

/** Polls `status` until COMPLETED; prints what is waited for (and each new progress phase on a terminal). */
async function follow(what: string, requestId: string, status: () => Promise<OperationStatus>, o: FollowOptions): Promise<OperationStatus> {
  console.log(`${what} (request ${requestId}); waiting for the job to take it…`);
  let phase = '';
  for (;;) {
    const s = await status();
    if (s.status.id === 'COMPLETED') return s;
    if (process.stdout.isTTY && s.progress && s.progress.phase !== phase) console.log(`  … ${(phase = s.progress.phase)}`);
    await sleep(o.pollMs ?? 500);
  }
}

/** Prints the failure cause (stderr) and answers 1, or answers undefined when the operation succeeded. */
function failed(what: string, s: OperationStatus): number | undefined {
  const failure = s.operation?.['failure-cause'];
  if (!failure) return undefined;
  console.error(`${what} failed: ${failure['stack-trace']}`);
  return 1;
}

export async function savepoint(c: RestClient, jobId: string, dir: string | undefined, o: FollowOptions): Promise<number> {
  const id = (await c.savepoint(jobId, dir))['request-id'];
  if (!o.wait) { console.log(id); return 0; }
  const s = await follow(`savepoint of job ${jobId}${dir ? ` into ${dir}` : ''}`, id, () => c.savepointStatus(jobId, id), o);
  const code = failed(`savepoint of job ${jobId}`, s);
  if (code !== undefined) return code;
  console.log(`savepoint of job ${jobId} completed: ${String(s.operation?.location)}`);
  return 0;
}

export async function stop(c: RestClient, jobId: string, opts: { savepointPath?: string; drain?: boolean } & FollowOptions): Promise<number> {
  const body = { ...(opts.savepointPath ? { targetDirectory: opts.savepointPath } : {}), ...(opts.drain ? { drain: true } : {}) };
  const id = (await c.stop(jobId, body))['request-id'];
  if (!opts.wait) { console.log(id); return 0; }
  const s = await follow(`stopping job ${jobId} with a savepoint${opts.drain ? ' (draining)' : ''}`, id, () => c.savepointStatus(jobId, id), opts);
  const code = failed(`stopping job ${jobId}`, s);
  if (code !== undefined) return code;
  console.log(`job ${jobId} stopped; savepoint: ${String(s.operation?.location)}`);
  return 0;
}

export async function checkpoint(c: RestClient, jobId: string, o: FollowOptions): Promise<number> {
  const id = (await c.checkpoint(jobId))['request-id'];
  if (!o.wait) { console.log(id); return 0; }
  const s = await follow(`checkpoint of job ${jobId}`, id, () => c.checkpointStatus(jobId, id), o);
  const code = failed(`checkpoint of job ${jobId}`, s);
  if (code !== undefined) return code;
  console.log(`checkpoint ${String(s.operation?.checkpointId)} of job ${jobId} completed`);
  return 0;
}
