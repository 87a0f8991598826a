/**
 * Every write of the JobMaster to the job registry, with one policy: a state
 * change is retried while Redis is away (up to a minute) so it is not lost; a
 * background refresh (vertices, TaskManager records, checkpoint statistics)
 * is tried once, because a newer one follows. A write that finally fails is
 * logged with the record it was for.
 */
import type { Logger } from 'pino';
import type { JobException, JobRecord, JobState, ResourceRequirements } from '../metadata/index.js';
import type { JobStatusStore } from './job-master-services.js';
import type { JobRuntime } from './job-runtime.js';
import { slotsNeeded } from './job-scale.js';
import type { RegisteredTaskManager } from './task-manager-pool.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NOT_RUNNING = ['FINISHED', 'CANCELED', 'FAILED', 'CREATED'];

export class JobStatusWriter {
  private vertexWrite: NodeJS.Timeout | undefined;
  private statsWrite: NodeJS.Timeout | undefined;

  /** `runtime` is the job's runtime state once the job is planned (the vertices and subtasks written come from it). */
  constructor(
    private readonly registry: JobStatusStore,
    private readonly jobId: string,
    private readonly log: Logger,
    private readonly runtime: () => JobRuntime | undefined,
  ) {}

  /** Retries a write while Redis is away (up to a minute), so no state change is lost; logs what was lost if it still fails. */
  async persist<T>(what: string, write: (registry: JobStatusStore) => Promise<T>): Promise<T | undefined> {
    const deadline = Date.now() + 60_000;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        return await write(this.registry);
      } catch (err) {
        if (Date.now() > deadline) { this.log.error({ err: (err as Error).message, job: this.jobId }, `could not ${what} in Redis; giving up`); return undefined; }
        this.log.warn({ err: (err as Error).message }, `could not ${what} in Redis; retrying`);
        await sleep(delay);
      }
    }
  }

  /** One attempt at a refresh that a later one supersedes; a failure is logged with the record it was for. */
  async refresh(what: string, record: string, write: (registry: JobStatusStore) => Promise<unknown>): Promise<void> {
    try {
      await write(this.registry);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, record }, `could not ${what} in Redis; the next update writes it again`);
    }
  }

  /** A state change of the job (retried). */
  transition(state: JobState, fields: Partial<JobRecord> = {}): Promise<boolean | undefined> {
    return this.persist(`record ${state}`, (r) => r.transition(this.jobId, state, fields));
  }

  /** A state change with the vertices and subtasks of the current attempt (a restart at another parallelism must not show the new vertices beside the old attempt's subtasks). */
  async transitionWithExecutions(state: JobState): Promise<void> {
    const { graph, attempt, scale } = this.planned();
    await this.transition(state, { vertices: graph.vertexInfo(), subtasks: graph.subtaskInfo(attempt), parallelism: slotsNeeded(scale) });
  }

  /** The exception history (retried). */
  exceptionsChanged(exceptions: JobException[]): Promise<void | undefined> {
    return this.persist('record the exception history', (r) => r.update(this.jobId, { exceptions: exceptions.slice(-20) }));
  }

  /** The requirements in force and the user's bounds (retried). */
  requirementsChanged(req: ResourceRequirements, userBounds: ResourceRequirements): Promise<void | undefined> {
    return this.persist('record the resource requirements', (r) => r.update(this.jobId, { resourceRequirements: req, userBounds }));
  }

  /** Writes vertices, subtasks, parallelism and requirements now (before a request reports COMPLETED). */
  async persistNow(): Promise<void> {
    clearTimeout(this.vertexWrite);
    this.vertexWrite = undefined;
    const { graph, attempt, scale, requirements } = this.planned();
    await this.persist('record the vertices', (r) => r.update(this.jobId, {
      vertices: graph.vertexInfo(), subtasks: graph.subtaskInfo(attempt), parallelism: slotsNeeded(scale), resourceRequirements: requirements,
    }));
  }

  /** Executions changed: their vertices and subtasks are written within 100 ms (one write for a burst). */
  scheduleVertexWrite(): void {
    if (this.vertexWrite) return;
    this.vertexWrite = setTimeout(() => {
      this.vertexWrite = undefined;
      const { graph, attempt, scale } = this.planned();
      void this.refresh('record the vertices', `job ${this.jobId}: vertices`, (r) => r.update(this.jobId, {
        vertices: graph.vertexInfo(), subtasks: graph.subtaskInfo(attempt), parallelism: slotsNeeded(scale),
      }));
    }, 100);
  }

  /** Checkpoint statistics changed: written within 200 ms. */
  scheduleStatsWrite(stats: () => unknown): void {
    if (this.statsWrite) return;
    this.statsWrite = setTimeout(() => {
      this.statsWrite = undefined;
      void this.writeStats(stats());
    }, 200);
  }

  writeStats(stats: unknown): Promise<void> {
    return this.refresh('record the checkpoint statistics', `job ${this.jobId}: checkpoint statistics`, (r) => r.putCheckpointStats(this.jobId, stats));
  }

  /** A TaskManager's record (registration, heartbeat, slots in use). */
  putTaskManager(tm: RegisteredTaskManager): void {
    void this.refresh('record the TaskManager', `job ${this.jobId}: TaskManager ${tm.resourceId}`, (r) => r.putTaskManager(this.taskManagerRecord(tm)));
  }

  removeTaskManager(resourceId: string): void {
    void this.refresh('remove the TaskManager record', `job ${this.jobId}: TaskManager ${resourceId}`, (r) => r.removeTaskManager(this.jobId, resourceId));
  }

  private planned(): JobRuntime {
    const rt = this.runtime();
    if (!rt) throw new Error('the job is not planned yet: there are no vertices to write');
    return rt;
  }

  /** Stops the scheduled writes (the final state follows). */
  stop(): void {
    clearTimeout(this.vertexWrite);
    clearTimeout(this.statsWrite);
  }

  private taskManagerRecord(tm: RegisteredTaskManager) {
    const live = this.planned().graph.all().filter((e) => e.resourceId === tm.resourceId && !NOT_RUNNING.includes(e.state));
    const used = new Set(live.map((e) => e.slotIndex)).size;
    return {
      id: tm.resourceId, jobId: this.jobId, pid: tm.pid, host: tm.dataHost, dataPort: tm.dataPort, slotsNumber: tm.slots,
      freeSlots: Math.max(0, tm.slots - used), lastHeartbeat: tm.lastHeartbeat, registeredAt: tm.registeredAt,
    };
  }
}
