/**
 * The dispatcher's use cases behind one interface (Flink's DispatcherGateway): what the REST
 * routes, tests and a second dispatcher call. Requests come parsed from HTTP but unchecked against
 * the jobs; answers are the records the REST layer maps to Flink's shapes. Refusals are the
 * errors of ./errors.ts.
 */
import type { AutoscalerInfo, JobMetricsSnapshot, JobRecord, OperationRecord, RescaleCounts, RescaleRecord, ResourceRequirements, TaskManagerRecord, VertexInfo } from '../metadata/index.js';
import type { JobConfig } from '../jobmaster/job-config.js';
import type { StoredBundle } from './bundle-store.js';
import type { JarPlan, JarPlanRequest, TaskManagerView } from './dashboard-service.js';
import type { LogContent, LogFile } from './log-files.js';
import type { DisposalStatus } from './savepoint-disposal.js';

export type { DisposalStatus };

/** A run request: the body's fields and Flink's query parameters, merged by the route. */
export interface SubmitJobRequest {
  entryClass?: string;
  programArgs: string[];
  /** A positive integer, or a string of digits (empty: 1); absent: 1. */
  parallelism?: number | string;
  /** 32 lowercase hex characters; absent: a new id. */
  jobId?: string;
  savepointPath?: string;
  /** Flink configuration keys → values, checked against the configuration table. */
  configuration?: Record<string, unknown>;
}

/** A savepoint or stop-with-savepoint request. */
export interface SavepointRequest {
  targetDirectory?: string;
  /** Savepoint only: cancel the job once the savepoint is taken. */
  cancelJob?: boolean;
  /** Stop only: advance event time to the end (every window and timer fires) before the savepoint. */
  drain?: boolean;
  /** Repeating a trigger id is one operation. */
  triggerId?: string;
}

/** A structural problem the request schema found in a body, at `path` (property names from the root). */
export interface ShapeProblem {
  path: string[];
  /** What is wrong, without the subject, e.g. `must be an integer, got "1"`. */
  problem: string;
}

/** An operation and the job it belongs to (the status answer depends on both). */
export interface OperationView {
  job: JobRecord;
  operation: OperationRecord;
}

/** A vertex with the TaskManagers of its job. */
export interface VertexView {
  job: JobRecord;
  vertex: VertexInfo;
  taskManagers: TaskManagerRecord[];
}

/** The dispatcher's own workload, for monitoring (`GET /metrics`). */
export interface DispatcherStatus {
  /** Submissions on the BullMQ queue by BullMQ state. */
  submissions: { waiting: number; active: number; delayed: number; failed: number };
  /** Uploads being received right now. */
  uploadsInProgress: number;
}

/** Who leads the dispatchers (GET /cluster/leader); with no HA this dispatcher is the only one, and leads. */
export interface LeadershipView {
  highAvailability: 'none' | 'redis';
  self: { id: string; url: string; leader: boolean };
  /** The leader as this dispatcher knows it; null during an election. */
  leader: { id: string; url: string; epoch: number } | null;
  /** What this dispatcher does with a write request: serve it (`local`), forward it (`proxy`) or answer 307 (`redirect`). */
  writes: 'local' | 'proxy' | 'redirect';
  /** Writes of this dispatcher refused by the fence since it started (made after it had stopped leading). */
  fencedWrites: number;
}

/** What shapes a job's rescales (Flink's JobRescaleConfigInfo, from the job's configuration). */
export interface RescaleSettings {
  /** `web.adaptive-scheduler.rescale-history.size` */
  historySize: number;
  resourceWaitTimeoutMs: number;
  resourceStabilizationTimeoutMs: number;
}

/** A job's rescale history: the recorded rescales, newest first, the counts of ended ones since it started, its settings. */
export interface RescaleHistoryView {
  job: JobRecord;
  rescales: RescaleRecord[];
  counts: RescaleCounts;
  settings: RescaleSettings;
}

export interface RescaleDetailsView {
  job: JobRecord;
  rescale: RescaleRecord;
}

/** Limits the upload route applies while receiving a bundle. */
export interface UploadLimits {
  maxBytes: number;
  maxConcurrent: number;
}

/**
 * A problem the REST layer found in the request itself (its schema, its content type), passed to
 * the use case instead of answered at once: the use case throws it after the lookups the API has
 * always answered first (an unknown jar or job: 404; for a rescale, a job that cannot be rescaled:
 * 409), so the status a client sees does not depend on which layer checks what.
 */
export type RequestRefusal = Error | undefined;

export interface DispatcherGateway {
  readonly uploadLimits: UploadLimits;

  listJars(): Promise<StoredBundle[]>;
  /**
   * Takes an upload slot (refused with Unavailable when all are taken); call the returned
   * function once the upload is done or abandoned (calling it again does nothing).
   */
  reserveUpload(): () => void;
  /** Stores one uploaded bundle (checked and unpacked; refused with BundleRejected). */
  storeJar(fileName: string, content: NodeJS.ReadableStream): Promise<StoredBundle>;
  /** Removes a stored bundle; false if there was none. */
  discardJar(jarId: string): Promise<boolean>;
  /** Deletes a bundle (JarNotFound if there is none). */
  deleteJar(jarId: string): Promise<void>;

  /**
   * Checks the request, records the job and waits until its job process planned it; answers the job id,
   * and warnings about configuration keys ebbflow does not know (ignored).
   */
  submitJob(jarId: string, request: SubmitJobRequest, refusal?: RequestRefusal): Promise<{ jobId: string; warnings?: string[] }>;
  /** Starts cancelling a job (JobNotInState when it already ended). */
  cancelJob(jobId: string): Promise<void>;
  getJob(jobId: string): Promise<JobRecord>;
  listJobs(): Promise<JobRecord[]>;
  /** The job's checkpoint statistics as its job process recorded them, if any. */
  checkpointStats(jobId: string): Promise<unknown | undefined>;
  /** The job's latest metrics snapshot (metadata/job-metrics.ts); undefined before its job process published one. 404 for an unknown job. */
  jobMetrics(jobId: string): Promise<{ job: JobRecord; metrics: JobMetricsSnapshot | undefined }>;
  vertex(jobId: string, vertexId: string): Promise<VertexView>;
  /** The TaskManagers of every job that has not ended. */
  taskManagers(): Promise<TaskManagerRecord[]>;
  /** The submission queue's counts and the uploads in progress. */
  dispatcherStatus(): Promise<DispatcherStatus>;
  /** Who leads the dispatchers (HA), and what this one does with writes. */
  leadership(): LeadershipView;

  // Flink's web dashboard (dispatcher/dashboard-service.ts).
  /** A running TaskManager (NotFound otherwise) with its metrics from its job's latest snapshot. */
  taskManager(id: string): Promise<TaskManagerView>;
  /** The TaskManager's log files. */
  taskManagerLogs(id: string): Promise<LogFile[]>;
  /** One of its log files by name (its main log without one), whole or its last `lines` lines; NotFound for a name not listed. */
  taskManagerLog(id: string, name: string | undefined, lines?: number): Promise<LogContent>;
  /** The job process's log (jobmaster.log), whole or its last `lines` lines. */
  jobManagerLog(jobId: string, lines?: number): Promise<LogContent>;
  /** The dispatcher's own log files: its recent lines, kept in memory (dispatcher/recent-log.ts). */
  dispatcherLogs(): LogFile[];
  /** The dispatcher's recent log lines (`name`: as listed; undefined: the main log), whole or the last `lines`; NotFound otherwise. */
  dispatcherLog(name: string | undefined, lines?: number): string;
  /** The job's configuration compiled with its defaults. */
  jobConfiguration(jobId: string): Promise<{ job: JobRecord; config: JobConfig }>;
  /** The dispatcher's own options by key, secrets masked. */
  dispatcherConfiguration(): { key: string; value: string }[];
  /** The bundle's job graph, planned in a child process (InvalidRequest when the job function fails). */
  planJar(jarId: string, request: JarPlanRequest): Promise<JarPlan>;

  /** Records a savepoint request for the job process; answers the trigger id. */
  triggerSavepoint(jobId: string, request: SavepointRequest, refusal?: RequestRefusal): Promise<string>;
  /** Records a stop-with-savepoint request; answers the trigger id. */
  stopWithSavepoint(jobId: string, request: SavepointRequest, refusal?: RequestRefusal): Promise<string>;
  /** A savepoint or stop operation of the job. */
  savepointStatus(jobId: string, triggerId: string): Promise<OperationView>;
  /** Records a checkpoint request (Flink's POST /jobs/:id/checkpoints); answers the trigger id. */
  triggerCheckpoint(jobId: string, request: Pick<SavepointRequest, 'triggerId'>, refusal?: RequestRefusal): Promise<string>;
  /** A checkpoint operation of the job (its result: `{ checkpointId }`). */
  checkpointStatus(jobId: string, triggerId: string): Promise<OperationView>;
  /** Starts deleting a savepoint directory (only under the allowed state directories, only with a `_metadata`); answers the trigger id. */
  disposeSavepoint(path: string, triggerId?: string): Promise<string>;
  /** A savepoint disposal (NotFound for an unknown or expired one). */
  disposalStatus(triggerId: string): Promise<DisposalStatus>;
  /** Records a rescale of every vertex to `parallelism` (already ≥ 1 unless refused); answers the trigger id. */
  rescale(jobId: string, parallelism: number, refusal?: RequestRefusal): Promise<string>;
  /** A rescale operation of the job. */
  rescaleStatus(jobId: string, triggerId: string): Promise<OperationView>;
  /** The requirements in force, derived from the vertices where the job process recorded none. */
  resourceRequirements(jobId: string): Promise<ResourceRequirements>;
  /**
   * Records a rescale to these per-vertex bounds; answers the trigger id. `shapeProblems` are what
   * the request schema found wrong in `body`: they are reported together with the bounds the job's
   * vertices do not allow, every problem at once.
   */
  setResourceRequirements(jobId: string, body: unknown, shapeProblems: ShapeProblem[]): Promise<string>;
  /** The job's rescale history (every trigger), as its job process recorded it. */
  rescaleHistory(jobId: string): Promise<RescaleHistoryView>;
  /** One rescale of the job's history (NotFound when it is not, or no longer, kept). */
  rescaleDetails(jobId: string, rescaleId: string): Promise<RescaleDetailsView>;

  /** The job's autoscaler as its job process last published it (its settings only, before it did). */
  autoscaler(jobId: string): Promise<AutoscalerInfo>;
  /**
   * Records a change of the autoscaler's settings (`job.autoscaler.*` keys → values, null: the
   * job's value again) for the job process; answers the request id and the settings it results in.
   * A key or value the option table refuses: InvalidRequest naming the key (after 404 and 409).
   */
  setAutoscaler(jobId: string, body: unknown, refusal?: RequestRefusal): Promise<{ requestId: string; options: AutoscalerInfo['options'] }>;
  /** A change of the autoscaler's settings (its result: the settings in force after it). */
  autoscalerChangeStatus(jobId: string, triggerId: string): Promise<OperationView>;
}
