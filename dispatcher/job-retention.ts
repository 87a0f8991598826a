/**
 * Retention of ended jobs (Flink's `jobstore.expiration-time` and `jobstore.max-capacity`): a
 * periodic sweep removes the record, operations and log directory of every job that ended longer
 * ago than the expiration, and of the oldest ended jobs beyond the capacity. A job that has not
 * ended is never removed (the registry checks the state in the same Redis step that removes).
 * Checkpoints and savepoints are not touched: they are the operator's, and a restore may need them.
 */
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { isTerminal, type JobRecord, type JobRegistry } from '../metadata/index.js';

export interface JobRetentionOptions {
  /** An ended job is removed this long after it ended. */
  expirationMs: number;
  /** Ended jobs kept at most. */
  maxCapacity: number;
  /** The job's log directory, removed with it. */
  logDir: (jobId: string) => string;
  /** Whether the dispatcher still supervises a process of the job (then it is left for the next sweep). */
  isRunning: (jobId: string) => boolean;
  logger: Logger;
}

/** When a job ended: its end time, else its last change. */
const endedAt = (j: JobRecord): number => (j.endTime > 0 ? j.endTime : j.lastModification);

/** The ended jobs to remove at `now`: expired ones, then the oldest beyond the capacity. */
export function jobsToRemove(jobs: readonly JobRecord[], now: number, o: Pick<JobRetentionOptions, 'expirationMs' | 'maxCapacity'>): JobRecord[] {
  const ended = jobs.filter((j) => isTerminal(j.state)).sort((a, b) => endedAt(b) - endedAt(a)); // newest first
  return ended.filter((j, i) => i >= o.maxCapacity || now - endedAt(j) >= o.expirationMs);
}

export class JobRetention {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;

  constructor(private readonly registry: Pick<JobRegistry, 'list' | 'remove'>, private readonly o: JobRetentionOptions) {}

  /** Sweeps now and then every `intervalMs` (a quarter of the expiration, between 200 ms and 60 s). */
  start(): void {
    const intervalMs = Math.min(60_000, Math.max(200, Math.floor(this.o.expirationMs / 4)));
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  stop(): Promise<unknown> {
    clearInterval(this.timer);
    return this.sweeping ?? Promise.resolve();
  }

  /** One sweep; resolves with the number of jobs removed. A Redis failure is logged and the next sweep retries. */
  sweep(now = Date.now()): Promise<number> {
    this.sweeping ??= this.run(now).finally(() => { this.sweeping = undefined; });
    return this.sweeping;
  }

  private async run(now: number): Promise<number> {
    let removed = 0;
    try {
      for (const job of jobsToRemove(await this.registry.list(), now, this.o)) {
        if (this.o.isRunning(job.id) || !(await this.registry.remove(job.id))) continue;
        await rm(this.o.logDir(job.id), { recursive: true, force: true }).catch((err: Error) =>
          this.o.logger.warn({ jobId: job.id, err: err.message }, 'could not remove the log directory of an expired job'));
        removed++;
        this.o.logger.info({ jobId: job.id, state: job.state, endTime: job.endTime }, 'removed an ended job (jobstore retention)');
      }
    } catch (err) {
      this.o.logger.debug({ err: (err as Error).message }, 'job retention sweep failed; retrying at the next one');
    }
    return removed;
  }
}
