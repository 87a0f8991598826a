/**
 * What the dispatcher does whenever Redis becomes reachable, on start and after every reconnection:
 * adopt the jobs whose processes run without it (started by an earlier dispatcher, or found alive
 * after Redis was away) and queue the submissions recorded but never queued. So a dispatcher started
 * while Redis is down takes its jobs over once Redis is back, and a cancel then reaches their
 * processes. Both steps are idempotent; runs never overlap (a trigger during a run runs it once more).
 */
import type { Logger } from 'pino';
import { isTerminal, retryRegistryCall, type JobRegistry } from '../metadata/index.js';
import type { JobSupervisor } from './job-supervisor.js';
import type { SubmissionQueue } from './submission-queue.js';

export interface JobRecoveryDeps {
  registry: Pick<JobRegistry, 'list' | 'indexKey'>;
  supervisor: Pick<JobSupervisor, 'adopt'>;
  submissions: Pick<SubmissionQueue, 'requeueStranded'>;
  log: Logger;
  /** A run that keeps failing is given up (logged) after this long, and tried again after `retryAfterMs`. @default 15000 */
  deadlineMs?: number;
  /** @default 5000 */
  retryAfterMs?: number;
}

export class JobRecovery {
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly d: JobRecoveryDeps) {}

  /** Runs the recovery, or once more after the run in progress; resolves when done or given up (never rejects). */
  run(): Promise<void> {
    if (this.closed) return Promise.resolve();
    clearTimeout(this.retryTimer);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Stops retrying; a run in progress gives up at its next retry. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const outcome = await retryRegistryCall(() => this.once(), {
        what: 'adopt the running jobs and queue the submissions never queued', key: this.d.registry.indexKey, logger: this.d.log,
        deadlineMs: this.d.deadlineMs ?? 15_000, abandon: () => this.closed,
      });
      // Given up (logged): Redis may hang without disconnecting, so no reconnection would run it again.
      if (!outcome.ok && !this.closed) {
        this.retryTimer = setTimeout(() => void this.run(), this.d.retryAfterMs ?? 5000);
        this.retryTimer.unref();
      }
    } while (this.again && !this.closed);
  }

  private async once(): Promise<void> {
    const jobs = (await this.d.registry.list()).filter((j) => !isTerminal(j.state));
    await this.d.supervisor.adopt(jobs);
    await this.d.submissions.requeueStranded(jobs);
  }
}
