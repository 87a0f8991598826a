/**
 * Durable submissions: running a jar enqueues a BullMQ job whose id is the
 * ebbflow job id (so the same submission twice is one job); the dispatcher's
 * worker takes it and starts the job process. Streaming jobs are long-lived,
 * so the BullMQ job only covers the hand-over, not the job's lifetime.
 */
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { retryRegistryCall, type JobRecord, type JobRegistry } from '../metadata/index.js';
import type { JobSupervisor } from './job-supervisor.js';

export const SUBMISSION_QUEUE = 'submissions';

export interface SubmissionData { jobId: string }

export class SubmissionQueue {
  readonly queue: Queue<SubmissionData>;
  private worker: Worker<SubmissionData> | undefined;

  constructor(
    private readonly connection: { producer: ConnectionOptions; worker: ConnectionOptions },
    private readonly prefix: string,
    private readonly registry: JobRegistry,
    private readonly supervisor: JobSupervisor,
    private readonly log: Logger,
  ) {
    this.queue = new Queue<SubmissionData>(SUBMISSION_QUEUE, {
      connection: connection.producer,
      prefix,
      defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } },
    });
    // Connection problems: a request that meets one answers 503 (api/errors.ts); here only for debugging.
    this.queue.on('error', (err) => this.log.debug({ err: err.message }, 'submission queue: Redis connection problem'));
  }

  /**
   * Queues the job's submission and then marks its record queued. Idempotent (the BullMQ job id is
   * the ebbflow job id), so a retried or re-swept submission is still one: a crash between the two
   * steps only leaves the mark missing, and the next sweep or a retried run request sets it.
   */
  async submit(jobId: string): Promise<void> {
    await this.queue.add('submit', { jobId }, { jobId });
    await this.registry.markQueued(jobId);
  }

  /**
   * Queues the jobs recorded but never queued (an earlier dispatcher died, or Redis failed, between
   * the two steps): INITIALIZING, not marked queued, no job process. Run on dispatcher start and
   * whenever Redis becomes reachable again; returns the ids it queued.
   */
  async requeueStranded(jobs: JobRecord[]): Promise<string[]> {
    const stranded = jobs.filter((j) => j.state === 'INITIALIZING' && !j.queuedAt && !j.pid && !this.supervisor.isRunning(j.id));
    for (const j of stranded) {
      await this.submit(j.id);
      this.log.warn({ jobId: j.id }, 'job was recorded but never queued (its dispatcher died or Redis failed in between); queued now');
    }
    return stranded.map((j) => j.id);
  }

  /** Drops a submission that has not been taken yet; true if it was removed. */
  async withdraw(jobId: string): Promise<boolean> {
    return (await this.queue.remove(jobId)) === 1;
  }

  /** Submissions by BullMQ state (completed ones are not counted: they are kept only for deduplication). */
  async counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number }> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
    return { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
  }

  startWorker(): void {
    if (this.worker) return;
    const deps: SubmissionDeps = { registry: this.registry, supervisor: this.supervisor, log: this.log };
    this.worker = new Worker<SubmissionData>(SUBMISSION_QUEUE, (job) => takeSubmission(job.data.jobId, deps),
      { connection: this.connection.worker, prefix: this.prefix, concurrency: 4 });
    this.worker.on('error', (err) => this.log.warn({ err: err.message }, 'submission worker error'));
    this.worker.on('failed', (job, err) => {
      if (!job) return;
      this.log.error({ jobId: job.data.jobId, err: err.message }, 'submission failed');
      if (job.attemptsMade >= (job.opts.attempts ?? 1)) void failSubmission(job.data.jobId, err, deps);
    });
  }

  /** HA: stops taking submissions (this dispatcher no longer leads); bounded like `close`. */
  async stopWorker(timeoutMs = 3000): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await this.bounded('worker', w?.close(), timeoutMs);
  }

  private bounded(what: string, p: Promise<unknown> | undefined, timeoutMs: number): Promise<unknown> {
    return Promise.race([
      p?.catch((err: Error) => this.log.warn({ err: err.message }, `could not close the submission ${what} cleanly; closing anyway`)),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  /** Closes worker and queue; bounded, because BullMQ waits for Redis while it is unreachable. */
  async close(timeoutMs = 3000): Promise<void> {
    const bounded = (what: string, p: Promise<unknown> | undefined) => this.bounded(what, p, timeoutMs);
    await bounded('worker', this.worker?.close());
    await bounded('queue', this.queue.close());
    for (const c of [this.connection.producer, this.connection.worker]) (c as { disconnect?: () => void }).disconnect?.();
  }
}

/** What handling a submission needs. */
export interface SubmissionDeps {
  registry: Pick<JobRegistry, 'get' | 'transition' | 'jobKey'>;
  supervisor: Pick<JobSupervisor, 'isRunning' | 'start'>;
  log: Logger;
}

/**
 * The worker's body: hands a submitted job to the supervisor. A job cancelled while queued ends
 * CANCELED; one already handed to a process is not started again (BullMQ delivers at least once).
 * Throws (a Redis error, a failed fork) to have BullMQ try again.
 */
export async function takeSubmission(jobId: string, d: SubmissionDeps): Promise<void> {
  const rec = await d.registry.get(jobId);
  if (!rec) {
    d.log.warn({ jobId }, 'submission for an unknown job; dropped');
    return;
  }
  if (rec.state === 'CANCELLING') {
    await d.registry.transition(rec.id, 'CANCELED');
    return;
  }
  if (rec.state !== 'INITIALIZING' || d.supervisor.isRunning(rec.id) || rec.pid) return;
  await d.supervisor.start(rec);
}

/** The last attempt at a submission failed: the job is FAILED with the reason (retried, or logged with its key). */
export async function failSubmission(jobId: string, err: Error, d: SubmissionDeps): Promise<void> {
  await retryRegistryCall(() => d.registry.transition(jobId, 'FAILED', { failureCause: `could not start the job process: ${err.message}` }), {
    what: 'mark the job FAILED (its process could not be started)', key: d.registry.jobKey(jobId), logger: d.log,
  });
}
