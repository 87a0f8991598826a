/** Options of the Mesos driver (mesos-driver.ts): what mesos-provider.ts builds from the `mesos.*` keys, and test tuning. */
import type { Logger } from 'pino';
import type { ContentType } from './codec.js';
import type { Constraint, Fitness, TaskRequirements } from './launch-coordinator.js';
import type { TaskManagerLaunchOptions } from './task-info.js';
import type { FrameworkInfo } from './types.js';
import type { WorkerStore } from './worker-store.js';

export interface MesosDriverOptions {
  jobId: string;
  masters: string[];
  contentType: ContentType;
  /** The framework to subscribe as (jobFrameworkInfo); its first role is the one offers come for. */
  framework: FrameworkInfo;
  /** HTTP Basic secret of `framework.principal`. */
  secret?: string;
  need: TaskRequirements;
  constraints: Constraint[];
  fitness: Fitness;
  launch: Omit<TaskManagerLaunchOptions, 'need'>;
  /** Refuse filter on offers declined while requests wait (`mesos.resourcemanager.declined-offer-refuse-duration`). */
  declineRefuseSeconds: number;
  store: WorkerStore;
  logger: Logger;
  /** Client tuning (tests). */
  heartbeatMisses?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Resend KILL for a released task that is not gone yet. @default 5000 */
  killRetryMs?: number;
  /**
   * Implicit reconciliation (every task Mesos runs for the framework) after each SUBSCRIBED and then
   * this often; tasks the driver does not know are killed. @default 900000 (15 min)
   */
  implicitReconcileMs?: number;
  /** A launched task with no status update after this long is reconciled (its launch may be lost). @default 30000 */
  stagingTimeoutMs?: number;
  /** How long a failed worker-store write is retried before it is logged as lost. @default 30000 */
  storeWriteDeadlineMs?: number;
}
