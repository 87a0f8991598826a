// Generated from openapi.yaml by scripts/gen-openapi.mjs (npm run gen:openapi). Do not edit.

/* eslint-disable */

export type Id = string;

export type NullableId = string | null;

export type Null = null;

export type OperationFailure = {
  "failure-cause": FailureCause;
};

/** What an in-place rescale did, as the job process reports it. */
export type RescaleResult = {
  /** true when the job already ran at the requested scale */
  noop: boolean;
  /** The checkpoint whose barrier switched to the new scale */
  checkpointId: number | null;
  durationMs: number;
  /** vertex id → parallelism, before and after */
  parallelism: {
    before: Record<string, number>;
    after: Record<string, number>;
  };
  keyGroups: MovedCounts;
  stateBytes: MovedCounts;
  /** Source streams that changed subtask */
  streamsMoved: number;
  /** Longest time a record of a moved key group was held back until its state was loaded */
  maxHoldMs: number;
  /** Longest time from the switch checkpoint's completion to a gainer's state being in place */
  maxLoadMs: number;
  heldRecords: number;
  subtasks: {
    /** Subtasks that kept running (same process, same execution) */
    kept: number;
    added: number;
    retired: number;
  };
  requirements?: ResourceRequirements;
};

export type FailureCause = {
  /** The original error's class (as Flink's SerializedThrowableSerializer writes it), or JobEnded */
  class: string;
  /** The cause (`Class: message` and its stack); secrets it repeats (sensitive values, URL user-info) read as "******" */
  "stack-trace": string;
  /** Base64 of a Java-serialized `org.apache.flink.util.SerializedThrowable` (message, original class name, the stack-trace text; no nested original exception), which is the only field Flink's REST client  */
  "serialized-throwable": string;
};

/** What moved in a rescale, the least a balanced result allows, and the total (key groups; or bytes of keyed state, where the minimum is what a balanced result with the fewest moves must move at the swit */
export type MovedCounts = {
  moved: number;
  minimum: number;
  total: number;
};

/** Vertex id → parallelism bounds (Flink's JobResourceRequirementsBody) */
export type ResourceRequirements = Record<string, {
  parallelism: {
    lowerBound: number;
    upperBound: number;
  };
}>;

export type CheckpointStatistics = {
  className: "completed" | "failed" | "in_progress";
  id: number;
  status: "IN_PROGRESS" | "COMPLETED" | "FAILED";
  is_savepoint: boolean;
  checkpoint_type: "CHECKPOINT" | "SAVEPOINT";
  trigger_timestamp: number;
  latest_ack_timestamp: number;
  state_size: number;
  end_to_end_duration: number;
  alignment_buffered?: number;
  processed_data?: number;
  persisted_data?: number;
  num_subtasks: number;
  num_acknowledged_subtasks: number;
  external_path?: string;
  discarded?: boolean;
  failure_timestamp?: number;
  failure_message?: string;
  [key: string]: unknown;
};

export type Errors = {
  /** One message per problem; URL user-info (the Redis URL's password) reads as "******" */
  errors: Array<string>;
};

export type JobStatus = "INITIALIZING" | "CREATED" | "RUNNING" | "FAILING" | "FAILED" | "CANCELLING" | "CANCELED" | "FINISHED" | "RESTARTING" | "SUSPENDED" | "RECONCILING";

export type ExecutionState = "CREATED" | "SCHEDULED" | "DEPLOYING" | "RUNNING" | "FINISHED" | "CANCELING" | "CANCELED" | "FAILED" | "RECONCILING" | "INITIALIZING";

export type JobDetails = {
  jid: Id;
  name: string;
  state: JobStatus;
  "start-time": number;
  /** -1 while the job runs */
  "end-time": number;
  duration: number;
  "last-modification": number;
  /** Subtask counts per execution state (lower case) and `total` */
  tasks: Record<string, number>;
};

export type Vertex = {
  id: Id;
  name: string;
  parallelism: number;
  maxParallelism: number;
  status: ExecutionState;
  "start-time": number;
  "end-time": number;
  duration: number;
  tasks: Record<string, number>;
};

export type JobDetailsInfo = {
  jid: Id;
  name: string;
  isStoppable: boolean;
  state: JobStatus;
  "start-time": number;
  "end-time": number;
  duration: number;
  /** Number of key groups (0 until the job is planned) */
  maxParallelism: number;
  now: number;
  /** First time the job entered each state (0 = never) */
  timestamps: Record<string, number>;
  vertices: Array<Vertex>;
  "status-counts": Record<string, number>;
  plan: {
    jid: string;
    name: string;
    nodes: Array<{
      id: string;
      description: string;
      parallelism: number;
      [key: string]: unknown;
    }>;
    [key: string]: unknown;
  };
  /** Requested parallelism (ebbflow) */
  parallelism: number;
  /** The bundle the job runs (ebbflow) */
  jarId: string;
  /** Export called ('' = default) (ebbflow) */
  entryClass: string;
  /** The arguments given at submission (ebbflow). */
  programArgs: Array<string>;
  /** Why the job FAILED (ebbflow); secrets it repeats (sensitive values, URL user-info) read as "******" */
  "failure-cause": string | null;
  /** The configuration given at submission (ebbflow). */
  flinkConfiguration: Record<string, unknown>;
  /** The savepoint the job started from (ebbflow); URL user-info reads as "******" */
  savepointPath: string | null;
};

/** GET /ui/{file}: path parameters. */
export interface WebFormAssetParams {
  file: "app.js" | "api.js" | "dom.js" | "upload.js" | "job-list.js" | "job-detail.js" | "rescale.js" | "style.css";
}

/** POST /jars/upload: the 200 answer. */
export type UploadJarResponse = {
  /** The jar id (the stored file's base name) */
  filename: string;
  status: "success";
};

/** GET /jars: the 200 answer. */
export type ListJarsResponse = {
  address: string;
  files: Array<{
    id: string;
    name: string;
    /** epoch ms */
    uploaded: number;
    entry: Array<{
      name: string;
      description?: string | null;
      [key: string]: unknown;
    }>;
  }>;
};

/** DELETE /jars/{jarid}: path parameters. */
export interface DeleteJarParams {
  jarid: string;
}

/** DELETE /jars/{jarid}: the 200 answer. */
export type DeleteJarResponse = Record<string, never>;

/** POST /jars/{jarid}/run: path parameters. */
export interface RunJarParams {
  jarid: string;
}

/** POST /jars/{jarid}/run: query parameters. */
export interface RunJarQuery {
  "entry-class"?: string;
  parallelism?: string;
  programArg?: string;
  "program-args"?: string;
  savepointPath?: string;
}

/** POST /jars/{jarid}/run: request body. */
export type RunJarRequest = {
  /** Export to call (default: the default export) */
  entryClass?: string | null;
  programArgsList?: Array<string> | null;
  /** Whitespace-separated arguments (when programArgsList is absent) */
  programArgs?: string | null;
  /** Default 1. */
  parallelism?: number | string | Null;
  jobId?: NullableId;
  /** Start from this savepoint (or retained checkpoint) directory, or its `_metadata` file. */
  savepointPath?: string | null;
  /** Accepted for Flink compatibility; state of operators the job no longer has is always ignored */
  allowNonRestoredState?: boolean | null;
  /** Per-job settings with Flink's key names (values: numbers, or strings; durations as milliseconds or "500 ms", "2 s"). */
  flinkConfiguration?: Record<string, unknown> | null;
  [key: string]: unknown;
};

/** POST /jars/{jarid}/run: the 200 answer. */
export type RunJarResponse = {
  jobid: Id;
  /** flinkConfiguration keys ebbflow does not know (ignored, also in the job's log), each with the closest known key; present only when there are some */
  warnings?: Array<string>;
};

/** GET /jobs: the 200 answer. */
export type ListJobsResponse = {
  jobs: Array<{
    id: Id;
    status: JobStatus;
  }>;
};

/** GET /jobs/overview: the 200 answer. */
export type JobsOverviewResponse = {
  jobs: Array<JobDetails>;
};

/** GET /jobs/{jobid}: path parameters. */
export interface GetJobParams {
  jobid: string;
}

/** GET /jobs/{jobid}: the 200 answer. */
export type GetJobResponse = JobDetailsInfo;

/** PATCH /jobs/{jobid}: path parameters. */
export interface CancelJobParams {
  jobid: string;
}

/** PATCH /jobs/{jobid}: query parameters. */
export interface CancelJobQuery {
  mode?: "cancel";
}

/** PATCH /jobs/{jobid}: the 202 answer. */
export type CancelJobResponse = Record<string, never>;

/** GET /jobs/{jobid}/vertices/{vertexid}: path parameters. */
export interface GetJobVertexParams {
  jobid: string;
  vertexid: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}: the 200 answer. */
export type GetJobVertexResponse = {
  id: Id;
  name: string;
  parallelism: number;
  /** The most subtasks this vertex can run (a Redis Streams source: its number of streams). */
  maxParallelism: number;
  now: number;
  subtasks: Array<{
    subtask: number;
    status: ExecutionState;
    /** Restarts of the job so far */
    attempt: number;
    host: string;
    "start-time": number;
    "end-time": number;
    duration: number;
    metrics: Record<string, number | boolean>;
    "taskmanager-id": string;
    "execution-id": string;
    /** The TaskManager's process id (0 when unknown) */
    pid: number;
  }>;
};

/** GET /jobs/{jobid}/exceptions: path parameters. */
export interface GetJobExceptionsParams {
  jobid: string;
}

/** GET /jobs/{jobid}/exceptions: the 200 answer. */
export type GetJobExceptionsResponse = {
  "root-exception": string | null;
  timestamp: number | null;
  "all-exceptions": Array<Record<string, unknown>>;
  truncated: boolean;
  exceptionHistory: {
    entries: Array<{
      exceptionName: string;
      /** The cause; secrets it repeats (sensitive values, URL user-info) read as "******" */
      stacktrace: string;
      timestamp: number;
      taskName?: string | null;
      location?: string | null;
      concurrentExceptions?: Array<Record<string, unknown>>;
      [key: string]: unknown;
    }>;
    truncated: boolean;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

/** GET /jobs/{jobid}/checkpoints: path parameters. */
export interface GetCheckpointStatisticsParams {
  jobid: string;
}

/** GET /jobs/{jobid}/checkpoints: the 200 answer. */
export type GetCheckpointStatisticsResponse = {
  counts: {
    restored: number;
    total: number;
    in_progress: number;
    completed: number;
    failed: number;
    [key: string]: unknown;
  };
  /** StatsSummary {min, max, avg, p50, p90, p95, p99, p999} of state_size, end_to_end_duration, alignment_duration */
  summary: Record<string, unknown>;
  latest: {
    /** A CheckpointStatistics entry of the history, or null */
    completed?: Record<string, unknown> | null;
    /** A CheckpointStatistics entry of the history, or null */
    savepoint?: Record<string, unknown> | null;
    /** A CheckpointStatistics entry of the history, or null */
    failed?: Record<string, unknown> | null;
    restored?: {
      id?: number;
      restore_timestamp?: number;
      is_savepoint?: boolean;
      external_path?: string;
      [key: string]: unknown;
    } | null;
    [key: string]: unknown;
  };
  history: Array<CheckpointStatistics>;
  [key: string]: unknown;
};

/** POST /jobs/{jobid}/checkpoints: path parameters. */
export interface TriggerCheckpointParams {
  jobid: string;
}

/** POST /jobs/{jobid}/checkpoints: request body. */
export type TriggerCheckpointRequest = {
  checkpointType?: "CONFIGURED" | "FULL" | "INCREMENTAL" | null;
  triggerId?: NullableId;
  [key: string]: unknown;
};

/** POST /jobs/{jobid}/checkpoints: the 202 answer. */
export type TriggerCheckpointResponse = {
  "request-id": Id;
};

/** GET /jobs/{jobid}/checkpoints/{triggerid}: path parameters. */
export interface GetCheckpointTriggerStatusParams {
  jobid: string;
  triggerid: string;
}

/** GET /jobs/{jobid}/checkpoints/{triggerid}: the 200 answer. */
export type GetCheckpointTriggerStatusResponse = {
  status: {
    id: "IN_PROGRESS" | "COMPLETED";
  };
  /** null while IN_PROGRESS; then the checkpoint's id, or `failureCause` (Flink's CheckpointInfo spells it so) */
  operation: {
    checkpointId?: number;
    failureCause?: FailureCause;
  } | null;
};

/** GET /jobs/{jobid}/execution-result: path parameters. */
export interface GetJobExecutionResultParams {
  jobid: string;
}

/** GET /jobs/{jobid}/execution-result: the 200 answer. */
export type GetJobExecutionResultResponse = {
  status: {
    id: "IN_PROGRESS" | "COMPLETED";
  };
  /** Absent while IN_PROGRESS */
  "job-execution-result"?: {
    id: Id;
    /** FINISHED → SUCCEEDED */
    "application-status": "SUCCEEDED" | "FAILED" | "CANCELED" | "UNKNOWN";
    /** Always {} (ebbflow has no accumulators) */
    "accumulator-results": Record<string, string>;
    /** ms from start to end */
    "net-runtime": number;
    "failure-cause"?: FailureCause;
  };
};

/** GET /jobs/{jobid}/yarn-cancel: path parameters. */
export interface CancelJobLegacyParams {
  jobid: string;
}

/** GET /jobs/{jobid}/yarn-cancel: the 202 answer. */
export type CancelJobLegacyResponse = Record<string, never>;

/** POST /savepoint-disposal: request body. */
export type DisposeSavepointRequest = {
  "savepoint-path": string;
  triggerId?: NullableId;
  [key: string]: unknown;
};

/** POST /savepoint-disposal: the 202 answer. */
export type DisposeSavepointResponse = {
  "request-id": Id;
};

/** GET /savepoint-disposal/{triggerid}: path parameters. */
export interface GetSavepointDisposalStatusParams {
  triggerid: string;
}

/** GET /savepoint-disposal/{triggerid}: the 200 answer. */
export type GetSavepointDisposalStatusResponse = {
  status: {
    id: "IN_PROGRESS" | "COMPLETED";
  };
  /** null while IN_PROGRESS; `{}` when the savepoint was deleted, else its failure cause */
  operation: {
    "failure-cause"?: FailureCause;
  } | null;
};

/** POST /jobs/{jobid}/savepoints: path parameters. */
export interface TriggerSavepointParams {
  jobid: string;
}

/** POST /jobs/{jobid}/savepoints: request body. */
export type TriggerSavepointRequest = {
  /** Parent directory of the savepoint (default: state.savepoints.dir); must lie under an allowed directory (the data directory, the -D state.checkpoints.dir/state.savepoints.dir, EBBFLOW_SAVEPOINT_ALLOWED */
  "target-directory"?: string | null;
  "cancel-job"?: boolean | null;
  triggerId?: NullableId;
  /** Accepted for Flink compatibility (ebbflow has one savepoint format) */
  formatType?: string | null;
  [key: string]: unknown;
};

/** POST /jobs/{jobid}/savepoints: the 202 answer. */
export type TriggerSavepointResponse = {
  "request-id": Id;
};

/** GET /jobs/{jobid}/savepoints/{triggerid}: path parameters. */
export interface GetSavepointStatusParams {
  jobid: string;
  triggerid: string;
}

/** GET /jobs/{jobid}/savepoints/{triggerid}: the 200 answer. */
export type GetSavepointStatusResponse = {
  status: {
    id: "IN_PROGRESS" | "COMPLETED";
    [key: string]: unknown;
  };
  operation: {
    location?: string;
    "failure-cause"?: FailureCause;
    [key: string]: unknown;
  } | null;
  [key: string]: unknown;
};

/** POST /jobs/{jobid}/stop: path parameters. */
export interface StopWithSavepointParams {
  jobid: string;
}

/** POST /jobs/{jobid}/stop: request body. */
export type StopWithSavepointRequest = {
  /** As target-directory of POST /jobs/{jobid}/savepoints: under an allowed directory, else 400 */
  targetDirectory?: string | null;
  /** Advance event time to the end before the savepoint (Flink's MAX_WATERMARK): every open window and pending event-time timer fires and its output is part of the savepoint's output; the sources read noth */
  drain?: boolean | null;
  /** Accepted for Flink compatibility (ebbflow has one savepoint format) */
  formatType?: string | null;
  triggerId?: NullableId;
  [key: string]: unknown;
};

/** POST /jobs/{jobid}/stop: the 202 answer. */
export type StopWithSavepointResponse = {
  "request-id": Id;
};

/** PATCH /jobs/{jobid}/rescaling: path parameters. */
export interface TriggerRescalingParams {
  jobid: string;
}

/** PATCH /jobs/{jobid}/rescaling: query parameters. */
export interface TriggerRescalingQuery {
  parallelism: number;
}

/** PATCH /jobs/{jobid}/rescaling: the 202 answer. */
export type TriggerRescalingResponse = {
  "request-id": Id;
};

/** GET /jobs/{jobid}/rescaling/{triggerid}: path parameters. */
export interface GetRescalingStatusParams {
  jobid: string;
  triggerid: string;
}

/** GET /jobs/{jobid}/rescaling/{triggerid}: the 200 answer. */
export type GetRescalingStatusResponse = {
  status: {
    id: "IN_PROGRESS" | "COMPLETED";
  };
  /** null while IN_PROGRESS. */
  operation: RescaleResult | OperationFailure | Record<string, unknown> | null;
  /** ebbflow: while IN_PROGRESS, the step the job process is at (e.g. */
  progress?: {
    phase: string;
    /** epoch ms */
    since: number;
  };
};

/** GET /jobs/{jobid}/resource-requirements: path parameters. */
export interface GetJobResourceRequirementsParams {
  jobid: string;
}

/** GET /jobs/{jobid}/resource-requirements: the 200 answer. */
export type GetJobResourceRequirementsResponse = ResourceRequirements;

/** PUT /jobs/{jobid}/resource-requirements: path parameters. */
export interface SetJobResourceRequirementsParams {
  jobid: string;
}

/** PUT /jobs/{jobid}/resource-requirements: request body. */
export type SetJobResourceRequirementsRequest = ResourceRequirements;

/** PUT /jobs/{jobid}/resource-requirements: the 200 answer. */
export type SetJobResourceRequirementsResponse = {
  "request-id": Id;
};

/** GET /overview: the 200 answer. */
export type ClusterOverviewResponse = {
  taskmanagers: number;
  "slots-total": number;
  "slots-available": number;
  /** Jobs not in a terminal state */
  "jobs-running": number;
  "jobs-finished": number;
  "jobs-cancelled": number;
  "jobs-failed": number;
  /** ebbflow's version (Flink's key name) */
  "flink-version": string;
  "flink-commit": string;
};

/** GET /taskmanagers: the 200 answer. */
export type ListTaskManagersResponse = {
  taskmanagers: Array<{
    id: string;
    jobId: Id;
    pid: number;
    path: string;
    dataPort: number;
    jmxPort: number;
    timeSinceLastHeartbeat: number;
    slotsNumber: number;
    freeSlots: number;
    hardware: {
      cpuCores: number;
      physicalMemory: number;
      freeMemory: number;
      managedMemory: number;
      [key: string]: unknown;
    };
  }>;
};

/** GET /config: the 200 answer. */
export type DashboardConfigResponse = {
  "refresh-interval": number;
  "timezone-name": string;
  "timezone-offset": number;
  "flink-version": string;
  "flink-revision": string;
  /** What the web form offers (web-submit, web-cancel, web-rescale, web-history) */
  features: Record<string, boolean>;
};
