/** Use cases on jobs: look one up, list them, cancel one, and the views of its vertices, TaskManagers and checkpoints. */
import type { Logger } from 'pino';
import { isTerminal, type JobMetricsSnapshot, type JobRecord, type JobRegistry, type TaskManagerRecord } from '../metadata/index.js';
import type { VertexView } from './dispatcher-gateway.js';
import { JobNotFound, JobNotInState, NotFound } from './errors.js';
import type { JobSupervisor } from './job-supervisor.js';
import type { SubmissionQueue } from './submission-queue.js';

/** Job, vertex and trigger ids: 32 lowercase hex characters. */
export const HEX_ID = /^[0-9a-f]{32}$/;

export class JobService {
  constructor(
    private readonly registry: JobRegistry,
    private readonly supervisor: Pick<JobSupervisor, 'isRunning' | 'cancel'>,
    private readonly submissions: Pick<SubmissionQueue, 'withdraw'>,
    private readonly log: Logger,
  ) {}

  async getJob(jobId: string): Promise<JobRecord> {
    const rec = HEX_ID.test(jobId) ? await this.registry.get(jobId) : undefined;
    if (!rec) throw new JobNotFound(jobId);
    return rec;
  }

  listJobs(): Promise<JobRecord[]> {
    return this.registry.list();
  }

  /**
   * A job still queued is withdrawn and CANCELED at once; otherwise it is CANCELLING and its job
   * process is told to stop (the supervisor escalates to signals if it does not).
   */
  async cancelJob(jobId: string): Promise<void> {
    const rec = await this.getJob(jobId);
    if (isTerminal(rec.state)) throw new JobNotInState(`Job ${rec.id} is already ${rec.state} and cannot be cancelled`);
    if (rec.state === 'INITIALIZING' && !this.supervisor.isRunning(rec.id) && (await this.submissions.withdraw(rec.id))) {
      await this.registry.transition(rec.id, 'CANCELED');
      return;
    }
    await this.registry.transition(rec.id, 'CANCELLING');
    if (!this.supervisor.cancel(rec.id) && !rec.pid) {
      // Still queued (the worker will see CANCELLING and not start it) or already gone.
      this.log.info({ jobId: rec.id }, 'cancel recorded for a job without a process');
    }
  }

  async checkpointStats(jobId: string): Promise<unknown | undefined> {
    const rec = await this.getJob(jobId);
    return this.registry.getCheckpointStats(rec.id);
  }

  async jobMetrics(jobId: string): Promise<{ job: JobRecord; metrics: JobMetricsSnapshot | undefined }> {
    const job = await this.getJob(jobId);
    return { job, metrics: await this.registry.getMetrics(job.id) };
  }

  async vertex(jobId: string, vertexId: string): Promise<VertexView> {
    const job = await this.getJob(jobId);
    const vertex = job.vertices.find((x) => x.id === vertexId);
    if (!vertex) throw new NotFound(`Job ${job.id} has no vertex ${vertexId}`);
    return { job, vertex, taskManagers: await this.registry.taskManagers(job.id) };
  }

  async taskManagers(): Promise<TaskManagerRecord[]> {
    const jobs = (await this.registry.list()).filter((j) => !isTerminal(j.state));
    const lists = await Promise.all(jobs.map((j) => this.registry.taskManagers(j.id)));
    return lists.flat();
  }
}
