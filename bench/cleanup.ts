/**
 * The benchmarks' shared clean-up steps: whatever a run started or wrote is gone at the end, also
 * on failure and on SIGINT/SIGTERM (each step logs what it could not do, and the others still run).
 */
import type { Redis } from 'ioredis';
import type { RunningDispatcher } from '../api/index.js';
import { deleteByPrefix } from './data.js';
import { log, logIgnored } from './log.js';
import { jobProcesses, processExited } from './procs.js';

/** Deletes every key under `prefix`, twice: a write in flight when the run was interrupted may land after the first pass. */
export async function deleteBenchKeys(redis: Redis, prefix: string): Promise<void> {
  try {
    let n = await deleteByPrefix(redis, prefix);
    await new Promise((r) => setTimeout(r, 300));
    n += await deleteByPrefix(redis, prefix);
    log(`deleted ${n} keys ${prefix}*`);
  } catch (err) {
    log(`could not delete keys ${prefix}*: ${(err as Error).message}`);
  }
}

/**
 * Closes the dispatcher (which cancels its jobs), then stops by pid whatever is left of the jobs'
 * processes: those in `pids` and those `ps` shows for `jobs` now.
 */
export async function stopDispatcherAndJobs(dispatcher: RunningDispatcher | undefined, jobs: Iterable<string>, pids: Set<number>): Promise<void> {
  const listed = await jobProcesses([...jobs]).catch((err: unknown) => { logIgnored('listing the job processes')(err); return []; });
  for (const p of listed) pids.add(p.pid);
  if (dispatcher) await dispatcher.close().catch((err: Error) => log(`closing the dispatcher: ${err.message}`));
  for (const pid of pids) {
    if (processExited(pid)) continue;
    log(`process ${pid} still running: SIGKILL`);
    try { process.kill(pid, 'SIGKILL'); } catch { /* exited in between */ }
  }
}

/** On SIGINT/SIGTERM: log, run `cleanup`, exit 130. */
export function cleanUpOnSignals(cleanup: () => Promise<void>): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
}

/** Runs a benchmark's `main` and exits with its code; an error that escapes it is logged and exits 1. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      log(`error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
