/**
 * Everything a JobMaster works with that is not its own logic, handed over in
 * one object: the job registry it reports to, its ResourceManager, the
 * endpoint TaskManagers register at, the operation queue and the planner.
 * `jobmaster/main.ts` wires the real ones (Redis, the local or Mesos driver,
 * TCP); tests wire in-memory fakes (test/helpers/testing-*.ts).
 */
import type { JobRegistry, OperationRecord } from '../metadata/index.js';
import type { ResourceManager } from '../resourcemanager/index.js';
import type { JobPlan, PlanRequest } from '../runtime/plan.js';
import type { JobLeadership } from './job-leadership.js';
import type { OperationOutcome } from './operation-runner.js';
import type { TaskManagerEndpoint } from './task-manager-endpoint.js';

/** The part of the job registry a JobMaster writes: its job record, its TaskManagers, checkpoint statistics. */
export type JobStatusStore = Pick<JobRegistry, 'get' | 'transition' | 'update' | 'putTaskManager' | 'removeTaskManager' | 'clearTaskManagers' | 'putCheckpointStats' | 'putMetrics' | 'putRescale' | 'rescaleHistory' | 'putAutoscaler' | 'getAutoscaler'>;

/** Runs one operation (savepoint, stop, rescale), reporting progress. */
export type OperationExecutor = (op: OperationRecord, progress: (phase: string) => void) => Promise<OperationOutcome>;

/** The job's queue of operations (OperationRunner over Redis in a job process). */
export interface OperationQueue {
  /** Starts taking operations. */
  start(): void;
  stop(): void;
  /** Fails operations an earlier job process took and never finished; returns how many. */
  failAbandoned(cause: string): Promise<number>;
}

export interface JobMasterServices {
  registry: JobStatusStore;
  /** Builds the job's ResourceManager once the address TaskManagers dial is known. */
  resourceManager(jobMasterAddress: string, retryIntervalMs: number): ResourceManager;
  /** Where TaskManagers register. */
  taskManagers: TaskManagerEndpoint;
  /** The operation queue, running each operation with `execute`. */
  operations(execute: OperationExecutor): OperationQueue;
  /** Plans the job from its bundle. */
  planJob(req: PlanRequest): Promise<JobPlan>;
  /**
   * The job's TaskManager reservation (metadata/capacity-reservations.ts), lowered after a rescale
   * ends; `reserve` raises it to `wanted` TaskManagers (or as many as the limits leave, at least
   * `least`) and answers how many the job holds then (0: refused). Absent in tests that do not reserve.
   */
  capacity?: { settle(taskManagers: number): Promise<unknown>; reserve?(wanted: number, least: number): Promise<number> };
  /**
   * The job's leader record (fencing epochs, where TaskManagers find this JobMaster after a failover).
   * Absent: no failover, the TaskManagers end with this job process.
   */
  leadership?: JobLeadership;
}
