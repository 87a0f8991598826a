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
  /** The error's class, or JobEnded */
  class: string;
  /** The cause; secrets it repeats (sensitive values, URL user-info) read as "******" */
  "stack-trace": string;
  /** Always null */
  "serialized-throwable": string | null;
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

/** Flink's MetricCollectionResponseBody: `[{"id"}]` without `get`, `[{"id","value"}]` with it (value a string) */
export type MetricCollection = Array<{
  id: string;
  value?: string;
}>;

/** Flink's AggregatedMetricsResponseBody: `[{"id"}]` without `get`, else the aggregations asked for (numbers) */
export type AggregatedMetrics = Array<{
  id: string;
  min?: number;
  max?: number;
  avg?: number;
  sum?: number;
  /** Mean absolute deviation over the mean, percent, at most 100 */
  skew?: number;
}>;

export type MetricsHistory = {
  /** Epoch ms, oldest first */
  timestamps: Array<number>;
  /** Vertex id → series, each aligned with timestamps */
  vertices: Record<string, {
    numRecordsInPerSecond: HistorySeries;
    numRecordsOutPerSecond: HistorySeries;
    busyTimeMsPerSecond: HistorySeries;
    backPressuredTimeMsPerSecond: HistorySeries;
    currentInputWatermark: HistorySeries;
    pendingRecords: HistorySeries;
  }>;
};

/** One value per timestamp; null where the point has none */
export type HistorySeries = Array<number | null>;

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
  file: "app.js" | "api.js" | "dom.js" | "upload.js" | "job-list.js" | "job-detail.js" | "rescale.js" | "tabs.js" | "charts.js" | "graph.js" | "job-actions.js" | "job-overview.js" | "job-history.js" | "job-taskmanagers.js" | "style.css";
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
    /** Flink's IOMetricsInfo from the job's latest metrics snapshot: read-bytes, write-bytes, read-records, write-records (numBytesIn, numBytesOut, numRecordsIn, numRecordsOut), each with `-complete` (false, */
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
  /** Accepted for Flink compatibility */
  drain?: boolean | null;
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

/** GET /jobs/metrics: query parameters. */
export interface AggregatedJobMetricsQuery {
  get?: string;
  agg?: string;
  jobs?: string;
}

/** GET /jobs/metrics: the 200 answer. */
export type AggregatedJobMetricsResponse = AggregatedMetrics;

/** GET /jobs/{jobid}/metrics: path parameters. */
export interface JobMetricsParams {
  jobid: string;
}

/** GET /jobs/{jobid}/metrics: query parameters. */
export interface JobMetricsQuery {
  get?: string;
}

/** GET /jobs/{jobid}/metrics: the 200 answer. */
export type JobMetricsResponse = MetricCollection;

/** GET /jobs/{jobid}/metrics/history: path parameters. */
export interface JobMetricsHistoryParams {
  jobid: string;
}

/** GET /jobs/{jobid}/metrics/history: the 200 answer. */
export type JobMetricsHistoryResponse = MetricsHistory;

/** GET /jobs/{jobid}/vertices/{vertexid}/metrics: path parameters. */
export interface JobVertexMetricsParams {
  jobid: string;
  vertexid: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/metrics: query parameters. */
export interface JobVertexMetricsQuery {
  get?: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/metrics: the 200 answer. */
export type JobVertexMetricsResponse = MetricCollection;

/** GET /jobs/{jobid}/vertices/{vertexid}/watermarks: path parameters. */
export interface JobVertexWatermarksParams {
  jobid: string;
  vertexid: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/watermarks: the 200 answer. */
export type JobVertexWatermarksResponse = MetricCollection;

/** GET /jobs/{jobid}/vertices/{vertexid}/subtasks/metrics: path parameters. */
export interface AggregatedSubtaskMetricsParams {
  jobid: string;
  vertexid: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/subtasks/metrics: query parameters. */
export interface AggregatedSubtaskMetricsQuery {
  get?: string;
  agg?: string;
  subtasks?: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/subtasks/metrics: the 200 answer. */
export type AggregatedSubtaskMetricsResponse = AggregatedMetrics;

/** GET /jobs/{jobid}/vertices/{vertexid}/subtasks/{subtaskindex}/metrics: path parameters. */
export interface SubtaskMetricsParams {
  jobid: string;
  vertexid: string;
  subtaskindex: number;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/subtasks/{subtaskindex}/metrics: query parameters. */
export interface SubtaskMetricsQuery {
  get?: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/subtasks/{subtaskindex}/metrics: the 200 answer. */
export type SubtaskMetricsResponse = MetricCollection;

/** GET /taskmanagers/metrics: query parameters. */
export interface AggregatedTaskManagerMetricsQuery {
  get?: string;
  agg?: string;
  taskmanagers?: string;
}

/** GET /taskmanagers/metrics: the 200 answer. */
export type AggregatedTaskManagerMetricsResponse = AggregatedMetrics;

/** GET /taskmanagers/{taskmanagerid}/metrics: path parameters. */
export interface TaskManagerMetricsParams {
  taskmanagerid: string;
}

/** GET /taskmanagers/{taskmanagerid}/metrics: query parameters. */
export interface TaskManagerMetricsQuery {
  get?: string;
}

/** GET /taskmanagers/{taskmanagerid}/metrics: the 200 answer. */
export type TaskManagerMetricsResponse = MetricCollection;

/** GET /jobmanager/metrics: query parameters. */
export interface JobManagerMetricsQuery {
  get?: string;
}

/** GET /jobmanager/metrics: the 200 answer. */
export type JobManagerMetricsResponse = MetricCollection;

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
