/**
 * The seam between a job's ResourceManager and its resource provider (Flink's
 * ResourceManagerDriver). The local driver starts TaskManagers as child
 * processes; the Mesos driver accepts offers and launches them as tasks. A
 * driver only starts and stops workers and reports their loss; registration,
 * slots and heartbeats are the ResourceManager's business.
 */

import type { InternalSslSettings } from '../runtime/network/tls.js';

/** What one TaskManager needs. */
export interface ResourceProfile {
  cpuCores: number;
  memoryMb: number;
  slots: number;
}

export interface WorkerSpec {
  /** Unique across jobs: the job id's first 8 hex and the index, e.g. `3f2a9c01-taskmanager-00001` (Flink's Mesos task id style). */
  resourceId: string;
  /** 1-based ordinal within the job (shown in ps). */
  index: number;
  jobId: string;
  /** host:port of the JobMaster's RPC endpoint the TaskManager registers with. */
  jobMasterAddress: string;
  profile: ResourceProfile;
  /**
   * The registration secret the JobMaster issued for this worker (hex): the driver hands it to this
   * TaskManager only (local: its stdin pipe; Mesos: the task environment), never on a command line.
   */
  secret: string;
  /** `security.ssl.internal.*`: the paths go on the command line, the key password along with the secret. */
  ssl?: InternalSslSettings;
}

export interface DriverEventHandler {
  /** A requested worker's process is running (it has not registered with the JobMaster yet). */
  onWorkerStarted?(resourceId: string): void;
  /** A worker stopped without being released (crash, kill, lost agent). */
  onWorkerTerminated(resourceId: string, cause: string): void;
  /** A driver-level failure (e.g. lost connection to the provider). */
  onError(err: Error): void;
}

export interface ResourceManagerDriver {
  readonly name: string;
  initialize(handler: DriverEventHandler): Promise<void>;
  /**
   * Asks for a worker and returns at once: the provider may start it now or later (offers, capacity).
   * A worker that cannot be started is reported through onWorkerTerminated.
   */
  requestWorker(spec: WorkerSpec): void;
  /**
   * Stops a worker on purpose, or withdraws a request not started yet; no onWorkerTerminated follows.
   * `pid`: for a worker of an earlier job process that did not re-register, the process it had
   * registered with (a driver that finds workers by pid stops it by that; others ignore it).
   */
  releaseWorker(resourceId: string, pid?: number): Promise<void>;
  /**
   * Takes over a worker an earlier job process of the job started and that re-registered with this
   * one after a failover (`pid`: its process on the provider's host): from now on it is stopped, counted
   * and watched like the driver's own. A driver without it cannot keep TaskManagers across a
   * job-process failover (they are then refused and exit, and new ones are requested).
   */
  adoptWorker?(resourceId: string, pid: number): void;
  /** Stops every worker and frees the driver's resources. */
  terminate(): Promise<void>;
  /** What the provider is doing about waiting requests, for error messages (e.g. why offers did not fit). */
  describe?(): string;
}
