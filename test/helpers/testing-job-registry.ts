/**
 * An in-memory job registry for JobMaster tests: the job record with the same
 * rule as the Redis one (no state change out of FINISHED, CANCELED, FAILED),
 * every state the job went through, its TaskManager records and checkpoint
 * statistics. `failWrites` makes writes throw, as when Redis is away.
 */
import type { AutoscalerInfo, JobMetricsSnapshot, JobRecord, JobState, RescaleRecord, TaskManagerRecord } from '../../metadata/index.js';
import type { JobStatusStore } from '../../jobmaster/job-master-services.js';

const FINAL: JobState[] = ['FINISHED', 'CANCELED', 'FAILED'];

export class TestingJobRegistry implements JobStatusStore {
  readonly job: Partial<JobRecord> & { state: JobState };
  /** Every state applied, in order. */
  readonly states: JobState[] = [];
  readonly taskManagers = new Map<string, TaskManagerRecord>();
  checkpointStats: unknown;
  /** While > 0, every write throws (and counts down). */
  failWrites = 0;
  /** Writes that threw. */
  failedWrites = 0;
  private readonly stateWaiters = new Set<() => void>();

  constructor(jobId: string) {
    this.job = { id: jobId, state: 'INITIALIZING', exceptions: [] };
  }

  private write(): void {
    if (this.failWrites > 0) {
      this.failWrites--;
      this.failedWrites++;
      throw new Error('testing registry: write refused');
    }
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return id === this.job.id ? structuredClone(this.job) as JobRecord : undefined;
  }

  async transition(id: string, state: JobState, fields: Partial<JobRecord> = {}): Promise<boolean> {
    this.write();
    if (id !== this.job.id || FINAL.includes(this.job.state)) return false;
    Object.assign(this.job, structuredClone(fields), { state });
    this.states.push(state);
    for (const w of [...this.stateWaiters]) w();
    return true;
  }

  async update(id: string, fields: Partial<Omit<JobRecord, 'state'>>): Promise<void> {
    this.write();
    if (id === this.job.id) Object.assign(this.job, structuredClone(fields));
  }

  async putTaskManager(tm: TaskManagerRecord): Promise<void> {
    this.write();
    this.taskManagers.set(tm.id, structuredClone(tm));
  }

  async removeTaskManager(_jobId: string, resourceId: string): Promise<void> {
    this.write();
    this.taskManagers.delete(resourceId);
  }

  async clearTaskManagers(): Promise<void> {
    this.write();
    this.taskManagers.clear();
  }

  async putCheckpointStats(_jobId: string, stats: unknown): Promise<void> {
    this.write();
    this.checkpointStats = structuredClone(stats);
  }

  /** The latest metrics snapshot the job master published. */
  metrics: JobMetricsSnapshot | undefined;
  async putMetrics(_jobId: string, snapshot: JobMetricsSnapshot): Promise<void> {
    this.write();
    this.metrics = structuredClone(snapshot);
  }

  /** The rescale history as the job master recorded it, newest first (kept to the `keep` it passes, like Redis). */
  readonly rescales: RescaleRecord[] = [];
  async putRescale(_jobId: string, rescale: RescaleRecord, keep: number): Promise<void> {
    this.write();
    const i = this.rescales.findIndex((r) => r.id === rescale.id);
    if (i >= 0) this.rescales[i] = structuredClone(rescale);
    else this.rescales.unshift(structuredClone(rescale));
    this.rescales.splice(Math.max(1, keep));
  }

  async rescaleHistory(): Promise<{ rescales: RescaleRecord[]; counts: { COMPLETED: number; FAILED: number; IGNORED: number } }> {
    const count = (s: string) => this.rescales.filter((r) => r.status === s).length;
    return { rescales: structuredClone(this.rescales), counts: { COMPLETED: count('COMPLETED'), FAILED: count('FAILED'), IGNORED: count('IGNORED') } };
  }

  /** The autoscaler's state as the job master last published it. */
  autoscaler: AutoscalerInfo | undefined;
  async putAutoscaler(_jobId: string, state: AutoscalerInfo): Promise<void> {
    this.write();
    this.autoscaler = structuredClone(state);
  }

  async getAutoscaler(): Promise<AutoscalerInfo | undefined> {
    return structuredClone(this.autoscaler);
  }

  /** How many times the job entered `state`. */
  count(state: JobState): number { return this.states.filter((s) => s === state).length; }
}
