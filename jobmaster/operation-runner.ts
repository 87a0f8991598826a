/**
 * The job process's command channel: the dispatcher records an operation
 * (savepoint, stop, checkpoint, rescale) in Redis and pushes its id onto `<prefix>job:<id>:ops`; this
 * runner pops ids (BLPOP on its own connection), runs each operation and
 * records the result, which the dispatcher serves to pollers. It works the same
 * whether or not the dispatcher that started the job is still around.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobRegistry, OperationRecord } from '../metadata/index.js';
import { describeError } from '../runtime/errors.js';

/** What a successful operation reports: a savepoint's location, a checkpoint's `{ checkpointId }`, or a rescale's statistics. */
export interface OperationOutcome {
  location?: string;
  result?: Record<string, unknown>;
}

export class OperationRunner {
  private running = false;

  constructor(
    private readonly redis: Redis,
    private readonly registry: JobRegistry,
    private readonly jobId: string,
    private readonly execute: (op: OperationRecord, progress: (phase: string) => void) => Promise<OperationOutcome>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    const key = this.registry.opsQueueKey(this.jobId);
    while (this.running) {
      let popped: [string, string] | null;
      try {
        popped = await this.redis.blpop(key, 1);
      } catch (err) {
        if (!this.running) return;
        this.log.warn({ err: (err as Error).message }, 'operation queue unavailable; retrying');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!popped || !this.running) continue;
      const op = await this.registry.getOperation(this.jobId, popped[1]).catch((err: Error) => {
        this.log.error({ err: err.message, operation: popped[1] }, 'could not read a queued operation; it stays IN_PROGRESS');
        return undefined;
      });
      if (!op) continue;
      // Claimed once: an id queued twice, or already taken by an earlier job process of this job
      // (which failAbandoned answers), is not run again.
      const claimed = await this.registry.claimOperation(this.jobId, op.id).catch((err: Error) => {
        this.log.warn({ err: err.message, operation: op.id }, 'could not mark the operation taken (a later job process would not fail it if this one dies)');
        return true;
      });
      if (!claimed || op.status !== 'IN_PROGRESS') {
        this.log.warn({ operation: op.id }, 'operation already taken up; not run again');
        continue;
      }
      try {
        const progress = (phase: string) => {
          this.log.info({ operation: op.id, phase }, 'operation progress');
          this.registry.setOperationProgress(this.jobId, op.id, phase).catch((err: Error) => {
            this.log.warn({ err: err.message, operation: op.id, phase }, 'could not record the operation\'s progress');
          });
        };
        const { location, result } = await this.execute(op, progress);
        await this.registry.completeOperation(this.jobId, op.id, { location, result });
      } catch (err) {
        await this.registry.completeOperation(this.jobId, op.id, { failureCause: describeError(err) }).catch((e: Error) => {
          this.log.error({ err: e.message, operation: op.id, failureCause: describeError(err) }, 'could not record the operation\'s failure; it stays IN_PROGRESS');
        });
      }
    }
  }

  /**
   * Operations an earlier job process of this job took up and never finished (it died): they fail
   * with `cause`, so pollers get an answer; the caller may retry them.
   */
  async failAbandoned(cause: string): Promise<number> {
    let n = 0;
    for (const op of await this.registry.takenOperations(this.jobId)) {
      if (op.status !== 'IN_PROGRESS') continue;
      await this.registry.completeOperation(this.jobId, op.id, { failureCause: cause });
      n++;
    }
    return n;
  }

  stop(): void {
    this.running = false;
    this.redis.disconnect();
  }
}
