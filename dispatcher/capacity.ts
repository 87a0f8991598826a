/**
 * TaskManager capacity at run, rescale and resource-requirements time: each request reserves the
 * TaskManagers it needs in one atomic step in Redis (metadata/capacity-reservations.ts) against the
 * per-job limit (EBBFLOW_MAX_TASKMANAGERS_PER_JOB) and the dispatcher-wide one
 * (EBBFLOW_MAX_TASKMANAGERS), or is refused with 400 before anything is recorded or started. A
 * parallelism of n needs ⌈n ÷ slots per TaskManager⌉ TaskManagers (slot i hosts subtask i of
 * every vertex). A job's reservation is released when it reaches a terminal state (the registry's
 * transition) and dropped at dispatcher start if the job ended or is unknown.
 */
import type { Logger } from 'pino';
import { DISPATCHER_OPTIONS } from '../config/index.js';
import { isTerminal, type CapacityReservations, type JobRecord, type ResourceRequirements } from '../metadata/index.js';
import { CapacityExceeded, JobNotInState } from './errors.js';
import { currentRequirements } from './rescale-checks.js';

export interface CapacityLimits {
  slotsPerTaskManager: number;
  /** TaskManagers one job may have. */
  maxTaskManagersPerJob: number;
  /** TaskManagers all jobs not ended may have together. */
  maxTaskManagers: number;
}

const TOTAL = DISPATCHER_OPTIONS.maxTaskManagers.env!;
const PER_JOB = DISPATCHER_OPTIONS.maxTaskManagersPerJob.env!;

export class CapacityService {
  constructor(private readonly store: CapacityReservations, private readonly limits: CapacityLimits, private readonly log?: Logger) {}

  private taskManagers(parallelism: number): number { return Math.ceil(parallelism / this.limits.slotsPerTaskManager); }

  /**
   * Reserves the TaskManagers of a new job, then runs `create` (the job record); a reservation made
   * here is released again if `create` throws or finds the job already there (a retry keeps the
   * existing job's reservation). Refused: CapacityExceeded, and `create` is not called.
   */
  async reserveForRun<T extends boolean>(jobId: string, parallelism: number, create: () => Promise<T>): Promise<T> {
    const wanted = this.taskManagers(parallelism);
    const { maxTaskManagersPerJob: perJob, maxTaskManagers: total } = this.limits;
    const r = await this.store.reserve(jobId, { wanted, mode: 'run', perJob, total });
    if (r.kind === 'refused') {
      throw new CapacityExceeded(`the dispatcher's jobs have ${r.others} TaskManagers and this one needs ${wanted}; together at most ${total} (${TOTAL})`);
    }
    let created: T;
    try {
      created = await create();
    } catch (err) {
      // The request fails with the record's error; a reservation that cannot be given back now is dropped at the next start.
      if (r.kind === 'reserved') await this.store.release(jobId).catch((e: Error) => this.log?.warn({ jobId, err: e.message }, 'could not give back the TaskManager reservation of a run whose record was not created'));
      throw err;
    }
    if (!created && r.kind === 'reserved') await this.store.release(jobId);
    return created;
  }

  /** Replaces the job's reservation with what parallelism `n` needs (up or down). */
  async reserveForRescale(rec: JobRecord, n: number): Promise<void> {
    const wanted = this.taskManagers(n);
    const { maxTaskManagersPerJob: perJob, maxTaskManagers: total } = this.limits;
    const r = await this.store.reserve(rec.id, { wanted, mode: 'replace', perJob, total });
    if (r.kind === 'ended') throw new JobNotInState(`Job ${rec.id} ended; it can no longer be rescaled`);
    if (r.kind === 'refused') {
      const most = Math.max(0, Math.min(perJob, total - r.others));
      throw new CapacityExceeded(`parallelism ${n} needs ${wanted} TaskManagers and the dispatcher's other jobs have ${r.others}; together at most ${total} (${TOTAL}), so this job can have at most ${most} (parallelism ${most * this.limits.slotsPerTaskManager})`);
    }
  }

  /**
   * A requirements change: its lower bounds must fit the per-job limit and what the dispatcher-wide
   * limit leaves, else 400 naming the vertex, its bound and the limit. The reservation is as much of
   * the upper bounds as fits; upper bounds above it are lowered to it in the returned requirements
   * (they would wait for TaskManagers that cannot come).
   */
  async reserveForRequirements(rec: JobRecord, requested: ResourceRequirements): Promise<ResourceRequirements> {
    const { slotsPerTaskManager: slots, maxTaskManagersPerJob: perJob, maxTaskManagers: total } = this.limits;
    const merged = { ...currentRequirements(rec), ...requested };
    const cap = (id: string, n: number) => Math.min(n, rec.vertices.find((v) => v.id === id)?.maxParallelism ?? n);
    const bounds = Object.entries(merged).map(([id, b]) => ({ id, lower: cap(id, b.parallelism.lowerBound), upper: cap(id, b.parallelism.upperBound) }));
    const highest = bounds.reduce((a, b) => (b.lower > a.lower ? b : a), { id: '', lower: 1, upper: 1 });
    const least = this.taskManagers(highest.lower);
    const label = () => {
      const v = rec.vertices.find((x) => x.id === highest.id);
      return `vertex ${highest.id}${v ? ` (${v.name})` : ''}: lowerBound ${highest.lower} needs ${least} TaskManagers (${slots} slot(s) each)`;
    };
    if (least > perJob) throw new CapacityExceeded(`${label()}; a job may have at most ${perJob} (${PER_JOB}), so lowerBound ${perJob * slots} at most`);
    const wanted = Math.max(least, this.taskManagers(Math.max(...bounds.map((b) => b.upper))));
    const r = await this.store.reserve(rec.id, { wanted, least, mode: 'replace', perJob, total });
    if (r.kind === 'ended') throw new JobNotInState(`Job ${rec.id} ended; its resource requirements can no longer change`);
    if (r.kind === 'refused') {
      const left = Math.max(0, total - r.others);
      throw new CapacityExceeded(`${label()}; the dispatcher's other jobs have ${r.others} of at most ${total} (${TOTAL}), which leaves ${left} (lowerBound ${left * slots} at most)`);
    }
    const room = r.kind === 'reserved' ? r.reserved * slots : Number.MAX_SAFE_INTEGER;
    const out: ResourceRequirements = { ...requested };
    for (const [id, b] of Object.entries(merged)) {
      if (b.parallelism.upperBound > room) out[id] = { parallelism: { lowerBound: b.parallelism.lowerBound, upperBound: room } };
    }
    return out;
  }

  /**
   * At dispatcher start: drops the reservations of jobs that ended or are unknown, and reserves for
   * jobs not ended that have none (started before reservations existed) what they run at.
   */
  async reconcile(jobs: JobRecord[], log: Logger): Promise<void> {
    const dropped = await this.store.reconcile();
    if (dropped.length) log.info({ jobs: dropped }, `released the TaskManager reservations of ${dropped.length} job(s) that ended or are gone`);
    for (const j of jobs.filter((x) => !isTerminal(x.state))) {
      await this.store.ensure(j.id, this.taskManagers(Math.max(j.parallelism, ...j.vertices.map((v) => v.parallelism))));
    }
  }
}
