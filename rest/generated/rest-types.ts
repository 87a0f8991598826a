// Generated from openapi.yaml by scripts/gen-openapi.mjs (npm run gen:openapi). Do not edit.

/* eslint-disable */

export type Id = string;

export type NullableId = string | null;

export type Null = null;

export type OperationFailure = {
  "failure-cause": FailureCause;
};

/** The autoscaler's effective settings by key (`job.autoscaler.*`); durations in ms; null for a setting without a value (no cap, restart time measured). */
export type AutoscalerOptions = Record<string, number | null | boolean>;

/** The keys changed at run time (PATCH), as given; the job's configuration holds the rest. */
export type AutoscalerOverrides = Record<string, string | number | boolean>;

/** A vertex's metrics over the window the decision used (null: none yet). */
export type AutoscalerMetrics = {
  /** summed over subtasks */
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  /** busy time ÷ wall time, averaged over subtasks (0..1) */
  busyRatio: number;
  /** of the busiest subtask */
  maxBusyRatio: number;
  backPressuredRatio: number;
  /** sources: entries written to their streams and not yet read (null: not known, or not a source) */
  backlog: number | null;
  /** sources: how fast the backlog grows (negative while it drains) */
  backlogGrowthPerSecond: number | null;
} | null;

export type AutoscalerVertex = {
  vertexId: string;
  name: string;
  /** the parallelism it ran at */
  parallelism: number;
  /** What limits it: the bounds a resource-requirements request set (null: none), its max parallelism, a Redis Streams source's stream count (null: not one), whether it cannot change */
  bounds: {
    lowerBound: number | null;
    upperBound: number | null;
    maxParallelism: number;
    streams: number | null;
    fixed: boolean;
  };
  metrics: AutoscalerMetrics;
  /** records one subtask processes per busy second (null: not measurable) */
  trueProcessingRate: number | null;
  /** the busiest subtask's excess beyond what the stream or key-group split explains (1: even) */
  skew: number;
  /** records per second it can process at its parallelism */
  capacity: number | null;
  /** records per second arriving (propagated from the sources) */
  inputRate: number;
  /** records per second needed to drain the backlog within the catch-up duration */
  catchUpRate: number;
  /** the capacity needed: max(input ÷ target utilisation, catch-up rate) */
  targetRate: number;
  /** the utilisation compared with the band */
  utilization: number | null;
  /** the smallest sufficient parallelism, before limits */
  computed: number;
  /** what it asks for within its limits, before the step limits */
  wanted: number;
  /** the parallelism the decision chose */
  recommended: number;
  reason: "scale-up" | "scale-down" | "within-band" | "optimal" | "at-limit" | "idle" | "no-metrics" | "no-rate" | "fixed" | "out-of-bounds";
  /** the limits that clamped it */
  limits: Array<"streams" | "upper-bound" | "vertex-max-parallelism" | "max-parallelism" | "lower-bound" | "vertex-min-parallelism" | "scale-up-factor" | "scale-down-factor" | "forward-group">;
  /** the reasoning in words */
  text: string;
};

export type AutoscalerDecision = {
  id: number;
  /** when it was decided (epoch ms) */
  timestamp: number;
  changes: Array<{
    vertexId: string;
    from: number;
    to: number;
    reason: string;
    limits: Array<string>;
    text: string;
  }>;
  outcome: "pending" | "completed" | "partial" | "failed" | "unsatisfiable" | "ineffective" | "recommend-only" | "lost";
  /** the rescale that carried it out: its id in the rescale history */
  requestId: string | null;
  endedAt: number | null;
  error: string | null;
  result: {
    parallelism: Record<string, number>;
    durationMs: number;
  } | null;
  /** the scale-ups that did not raise the capacity as predicted */
  ineffective: Array<{
    vertexId: string;
    from: number;
    to: number;
    capacityBefore: number;
    capacityAfter: number;
    predicted: number;
  }> | null;
};

export type AutoscalerInfo = {
  jobId: string;
  /** job.autoscaler.enabled */
  enabled: boolean;
  /** job.autoscaler.scaling.enabled is false: it computes and shows, never rescales */
  recommendOnly: boolean;
  /** when the job process published this (epoch ms); null before it did */
  updatedAt: number | null;
  /** the last evaluation's outcome (`rescale`, or why nothing was done) */
  lastEvaluation: {
    timestamp: number;
    code: "rescale" | "disabled" | "not-running" | "no-metrics" | "stabilizing" | "collecting" | "rescale-pending" | "no-change" | "confirming-scale-up" | "waiting-scale-down-interval" | "backoff" | "ineffective" | "recommend-only";
    reason: string;
  } | null;
  stabilizingUntil: number | null;
  /** scale-ups wait until then (a scale-up could not be satisfied) */
  backoffUntil: number | null;
  /** how long a rescale holds records back, as the decision assumes it */
  restartTimeMs: number;
  /** the decision whose rescale is under way */
  pendingDecision: number | null;
  /** per vertex, a parallelism a scale-up to which was ineffective (not asked for again) */
  ineffective: Array<{
    vertexId: string;
    parallelism: number;
  }>;
  options: AutoscalerOptions;
  overrides: AutoscalerOverrides;
  vertices: Array<AutoscalerVertex>;
  /** newest first */
  decisions: Array<AutoscalerDecision>;
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
  /** The rescale checkpoints that moved the key groups, in order: one per batch of at most `rescale.migration.max-batch-bytes` of state (one when everything moved at once). */
  batches?: Array<RescaleBatch>;
  requirements?: ResourceRequirements;
};

/** One batch of an in-place rescale, moved at one checkpoint barrier. */
export type RescaleBatch = {
  /** The checkpoint whose barrier moved this batch */
  checkpointId: number;
  /** Key groups that changed owner in this batch */
  keyGroups: number;
  /** State the gainers loaded for this batch */
  stateBytes: number;
  /** Longest time a record of a key group of this batch was held back */
  maxHoldMs: number;
  maxLoadMs: number;
  /** From the batch being prepared to every gainer having loaded it */
  durationMs: number;
};

/** Flink's StatsSummaryDto, in ms */
export type StatsSummary = {
  min: number;
  max: number;
  avg: number;
  p50: Quantile;
  p90: Quantile;
  p95: Quantile;
  p99: Quantile;
  p999: Quantile;
};

/** A number, or "NaN" when there is no value (as Flink writes it) */
export type Quantile = number | "NaN";

export type RescalesCounts = {
  ignored: number;
  inProgress: number;
  completed: number;
  failed: number;
};

export type JobRescalesOverview = {
  rescalesCounts: RescalesCounts;
  latest: {
    completed: JobRescaleDetails | Null;
    failed: JobRescaleDetails | Null;
    ignored: JobRescaleDetails | Null;
  };
};

export type JobRescalesSummary = {
  rescalesCounts: RescalesCounts;
  rescalesDurationStatsInMillis: StatsSummary;
  completedRescalesDurationStatsInMillis: StatsSummary;
  ignoredRescalesDurationStatsInMillis: StatsSummary;
  failedRescalesDurationStatsInMillis: StatsSummary;
};

/** Flink's ResourceProfileInfo; ebbflow does not size slots, so every value is -1 (Flink's UNKNOWN profile) */
export type ResourceProfileInfo = {
  cpuCores: number;
  taskHeapMemory: number;
  taskOffHeapMemory: number;
  managedMemory: number;
  networkMemory: number;
  extendedResources: Record<string, number>;
};

/** One rescale in Flink 2.3's shape, plus ebbflow's additions (status, trigger, triggerId, failureCause, durationInMillis, taskManagers, statistics; `triggerId` is the request id to poll at /jobs/{jobid} */
export type JobRescaleDetails = {
  rescaleUuid: Id;
  /** The requirements it works towards: a new one per request; a scale-up after slots returned keeps the one in force */
  resourceRequirementsUuid: Id;
  /** The how-manyth rescale towards these requirements, from 1 */
  rescaleAttemptId: number;
  /** vertex id → its parallelism in the rescale */
  vertices: Record<string, {
    jobVertexId: Id;
    jobVertexName: string;
    slotSharingGroupId: Id;
    slotSharingGroupName: string;
    /** What the requirements ask for (upper bound, within the vertex's limits) */
    desiredParallelism: number;
    /** The least they accept (lower bound) */
    sufficientParallelism: number;
    preRescaleParallelism: number;
    /** null until it ended, and when it failed */
    postRescaleParallelism: number | null;
  }>;
  /** slot sharing group id → its slots in the rescale */
  slots: Record<string, {
    slotSharingGroupId: Id;
    slotSharingGroupName: string;
    requestResourceProfile: ResourceProfileInfo;
    desiredSlots: number;
    minimalRequiredSlots: number;
    preRescaleSlots: number;
    postRescaleSlots: number | null;
    acquiredResourceProfile: ResourceProfileInfo;
  }>;
  /** The steps the rescale went through (the phases its operation reports); null except in /rescales/details */
  schedulerStates: Array<{
    state: string;
    enterTimestampInMillis: number;
    leaveTimestampInMillis: number | null;
    durationInMillis: number | null;
    stringifiedException: string | null;
  }> | null;
  startTimestampInMillis: number;
  endTimestampInMillis: number | null;
  terminalState: "COMPLETED" | "FAILED" | "IGNORED" | null;
  /** UPDATE_REQUIREMENT for PATCH /rescaling and PUT /resource-requirements, NEW_RESOURCE_AVAILABLE for scaling back up */
  triggerCause: "INITIAL_SCHEDULE" | "UPDATE_REQUIREMENT" | "NEW_RESOURCE_AVAILABLE" | "RECOVERABLE_FAILOVER";
  terminatedReason: "SUCCEEDED" | "EXCEPTION_OCCURRED" | "NO_RESOURCES_OR_PARALLELISMS_CHANGE" | "JOB_FINISHED" | "JOB_FAILING" | "JOB_CANCELING" | null;
  /** ebbflow: IN_PROGRESS until it ended; IGNORED when nothing had to change. */
  status: "IN_PROGRESS" | "COMPLETED" | "FAILED" | "IGNORED";
  /** ebbflow: PATCH /rescaling, PUT /resource-requirements, the job scaling back up once slots returned, the job's autoscaler (job.autoscaler.*) */
  trigger: "user" | "requirements" | "adaptive" | "autoscaler";
  triggerId: NullableId;
  /** ebbflow: why it FAILED; secrets it repeats read as "******" */
  failureCause: string | null;
  /** ebbflow: start to end; null while in progress */
  durationInMillis: number | null;
  /** ebbflow: TaskManagers that registered during the rescale, and those it left without subtasks (released); null while in progress */
  taskManagers: {
    added: Array<string>;
    released: Array<string>;
  } | null;
  /** ebbflow: what the in-place rescale moved (key groups and state bytes against the minimum, longest hold, subtasks kept/added/retired); null while in progress and when it failed */
  statistics: RescaleResult | Null;
};

/** Flink 2.3's JobRescaleConfigInfo, from the job's configuration */
export type JobRescaleConfigInfo = {
  /** web.adaptive-scheduler.rescale-history.size */
  rescaleHistoryMax: number;
  /** Always null (ebbflow has no reactive mode) */
  schedulerExecutionMode: "REACTIVE" | null;
  /** jobmanager.adaptive-scheduler.resource-wait-timeout */
  submissionResourceWaitTimeoutInMillis: number;
  /** jobmanager.adaptive-scheduler.resource-stabilization-timeout */
  submissionResourceStabilizationTimeoutInMillis: number;
  /** 0: a TaskManager a rescale leaves without subtasks is released at once */
  slotIdleTimeoutInMillis: number;
  /** 0: requests run one after another without a pause */
  executingCooldownTimeoutInMillis: number;
  /** The stabilization timeout: how long a running job below its requirements waits for more slots before scaling back up */
  executingResourceStabilizationTimeoutInMillis: number;
  /** The same stabilization timeout (the longest a scale-up waits once slots returned) */
  maximumDelayForTriggeringRescaleInMillis: number;
  /** 1: an in-place rescale needs a successful checkpoint first and fails at the first that fails */
  rescaleOnFailedCheckpointCount: number;
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
  metrics: IoMetrics;
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
    type: string;
    nodes: Array<PlanNode>;
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

/** Flink's IOMetricsInfo, summed over the subtasks from the job's latest metrics snapshot; a `*-complete` flag is true when every subtask reported the counter (0 and false before the job process publishe */
export type IoMetrics = {
  "read-bytes": number;
  "read-bytes-complete": boolean;
  "write-bytes": number;
  "write-bytes-complete": boolean;
  "read-records": number;
  "read-records-complete": boolean;
  "write-records": number;
  "write-records-complete": boolean;
  "accumulated-backpressured-time": number;
  "accumulated-idle-time": number;
  "accumulated-busy-time": number;
};

/** A vertex in Flink's JSON plan; `inputs` (absent for a source) are the job graph's edges into it. */
export type PlanNode = {
  id: string;
  parallelism: number;
  /** The most subtasks it can run (a Redis Streams source: its number of streams) */
  maxParallelism: number;
  operator: string;
  operator_strategy: string;
  /** The chained operators, head first, joined by " -> " */
  description: string;
  inputs?: Array<{
    num: number;
    id: string;
    ship_strategy: "FORWARD" | "HASH" | "REBALANCE";
    exchange: string;
  }>;
  optimizer_properties: Record<string, unknown>;
};

export type JobPlanInfo = {
  plan: {
    jid: string;
    name: string;
    type: string;
    nodes: Array<PlanNode>;
  };
};

export type BackPressureLevel = "ok" | "low" | "high";

export type MetricValues = Array<{
  id: string;
  value: string;
}>;

export type UserAccumulator = {
  name: string;
  type: string;
  value: string;
  [key: string]: unknown;
};

export type CheckpointStatsSummary = {
  min: number;
  max: number;
  avg: number;
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
  p999?: number;
  [key: string]: unknown;
};

export type TaskCheckpointStatistics = {
  id: number;
  status: "IN_PROGRESS" | "COMPLETED" | "FAILED";
  latest_ack_timestamp: number;
  checkpointed_size: number;
  state_size: number;
  end_to_end_duration: number;
  alignment_buffered: number;
  processed_data: number;
  persisted_data: number;
  num_subtasks: number;
  num_acknowledged_subtasks: number;
  [key: string]: unknown;
};

export type KeyValues = Array<{
  key: string;
  value: string;
}>;

export type EnvironmentInfo = {
  jvm: {
    version: string;
    arch: string;
    options: Array<string>;
  };
  classpath: Array<string>;
};

export type LogList = {
  logs: Array<{
    name: string;
    size: number;
    mtime: number;
  }>;
};

export type ThreadDump = {
  threadInfos: Array<{
    threadName: string;
    stringifiedThreadInfo: string;
  }>;
};

export type TaskManagerResource = {
  cpuCores: number;
  taskHeapMemory: number;
  taskOffHeapMemory: number;
  managedMemory: number;
  networkMemory: number;
  extendedResources: Record<string, unknown>;
};

/** Flink's TaskManagerInfo; memory ebbflow does not account reads 0. */
export type TaskManagerInfo = {
  /** Unique across jobs: the job id's first 8 hex, then the TaskManager's index in its job */
  id: string;
  jobId: Id;
  pid: number;
  path: string;
  dataPort: number;
  jmxPort: number;
  /** Despite Flink's name, when the last heartbeat arrived (ms since the epoch), as Flink reports it */
  timeSinceLastHeartbeat: number;
  slotsNumber: number;
  freeSlots: number;
  totalResource: TaskManagerResource;
  freeResource: TaskManagerResource;
  hardware: {
    cpuCores: number;
    physicalMemory: number;
    freeMemory: number;
    managedMemory: number;
    [key: string]: unknown;
  };
  memoryConfiguration: Record<string, number>;
  blocked: boolean;
  [key: string]: unknown;
};

/** GET /ui/{file}: path parameters. */
export interface WebFormAssetParams {
  file: "app.js" | "api.js" | "dom.js" | "upload.js" | "job-list.js" | "job-detail.js" | "rescale.js" | "tabs.js" | "charts.js" | "graph.js" | "job-actions.js" | "job-overview.js" | "job-history.js" | "job-autoscaler.js" | "job-taskmanagers.js" | "style.css";
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
    /** The TaskManager's data address, host:port */
    endpoint: string;
    /** The same as endpoint (older dashboards read host) */
    host: string;
    "start-time": number;
    "end-time": number;
    duration: number;
    metrics: IoMetrics;
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

/** GET /jobs/{jobid}/rescales/overview: path parameters. */
export interface GetJobRescalesOverviewParams {
  jobid: string;
}

/** GET /jobs/{jobid}/rescales/overview: the 200 answer. */
export type GetJobRescalesOverviewResponse = JobRescalesOverview;

/** GET /jobs/{jobid}/rescales/summary: path parameters. */
export interface GetJobRescalesSummaryParams {
  jobid: string;
}

/** GET /jobs/{jobid}/rescales/summary: the 200 answer. */
export type GetJobRescalesSummaryResponse = JobRescalesSummary;

/** GET /jobs/{jobid}/rescales/history: path parameters. */
export interface GetJobRescalesHistoryParams {
  jobid: string;
}

/** GET /jobs/{jobid}/rescales/history: the 200 answer. */
export type GetJobRescalesHistoryResponse = Array<JobRescaleDetails>;

/** GET /jobs/{jobid}/rescales/details/{rescaleuuid}: path parameters. */
export interface GetJobRescaleDetailsParams {
  jobid: string;
  rescaleuuid: string;
}

/** GET /jobs/{jobid}/rescales/details/{rescaleuuid}: the 200 answer. */
export type GetJobRescaleDetailsResponse = JobRescaleDetails;

/** GET /jobs/{jobid}/rescales/config: path parameters. */
export interface GetJobRescaleConfigParams {
  jobid: string;
}

/** GET /jobs/{jobid}/rescales/config: the 200 answer. */
export type GetJobRescaleConfigResponse = JobRescaleConfigInfo;

/** GET /jobs/{jobid}/autoscaler: path parameters. */
export interface GetJobAutoscalerParams {
  jobid: string;
}

/** GET /jobs/{jobid}/autoscaler: the 200 answer. */
export type GetJobAutoscalerResponse = AutoscalerInfo;

/** PATCH /jobs/{jobid}/autoscaler: path parameters. */
export interface SetJobAutoscalerParams {
  jobid: string;
}

/** PATCH /jobs/{jobid}/autoscaler: request body. */
export type SetJobAutoscalerRequest = Record<string, string | null | number | boolean>;

/** PATCH /jobs/{jobid}/autoscaler: the 202 answer. */
export type SetJobAutoscalerResponse = {
  "request-id": Id;
  options: AutoscalerOptions;
};

/** GET /jobs/{jobid}/autoscaler/{triggerid}: path parameters. */
export interface GetJobAutoscalerChangeParams {
  jobid: string;
  triggerid: string;
}

/** GET /jobs/{jobid}/autoscaler/{triggerid}: the 200 answer. */
export type GetJobAutoscalerChangeResponse = {
  status: {
    id: "IN_PROGRESS" | "COMPLETED";
  };
  /** null while IN_PROGRESS; on success the settings in force after it, on failure only `failure-cause`. */
  operation: {
    options: AutoscalerOptions;
    overrides: AutoscalerOverrides;
  } | OperationFailure | null;
};

/** GET /cluster/leader: the 200 answer. */
export type ClusterLeaderResponse = {
  /** `high-availability.type` */
  highAvailability: "none" | "redis";
  /** This dispatcher */
  self: {
    /** Host, pid and a random part */
    id: string;
    /** Its advertised REST URL */
    url: string;
    /** Whether it leads now (on its own clock) */
    leader: boolean;
  };
  /** The leading dispatcher; null while none is known (an election is under way) */
  leader: {
    id: string;
    /** Where standbys forward writes */
    url: string;
    /** The fencing epoch, taken at election; it only grows (0 without HA) */
    epoch: number;
  } | null;
  /** What this dispatcher does with a write request now */
  writes: "local" | "proxy" | "redirect";
  /** This dispatcher's writes refused since it started because its epoch no longer held the lease */
  fencedWrites: number;
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
  taskmanagers: Array<TaskManagerInfo>;
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

/** GET /jobs/{jobid}/vertices/{vertexid}/subtasktimes: path parameters. */
export interface GetSubtaskTimesParams {
  jobid: string;
  vertexid: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/subtasktimes: the 200 answer. */
export type GetSubtaskTimesResponse = {
  id: string;
  name: string;
  now: number;
  subtasks: Array<{
    subtask: number;
    endpoint: string;
    /** The same as endpoint (older dashboards read host) */
    host: string;
    duration: number;
    timestamps: Record<string, number>;
  }>;
};

/** GET /jobs/{jobid}/vertices/{vertexid}/taskmanagers: path parameters. */
export interface GetJobVertexTaskManagersParams {
  jobid: string;
  vertexid: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/taskmanagers: the 200 answer. */
export type GetJobVertexTaskManagersResponse = {
  id: string;
  name: string;
  now: number;
  taskmanagers: Array<{
    endpoint: string;
    host: string;
    "taskmanager-id": string;
    status: ExecutionState;
    "start-time": number;
    "end-time": number;
    duration: number;
    metrics: IoMetrics;
    "status-counts": Record<string, number>;
  }>;
};

/** GET /jobs/{jobid}/vertices/{vertexid}/backpressure: path parameters. */
export interface GetJobVertexBackPressureParams {
  jobid: string;
  vertexid: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/backpressure: the 200 answer. */
export type GetJobVertexBackPressureResponse = {
  status: "ok" | "deprecated";
  "backpressure-level": BackPressureLevel;
  "end-timestamp": number;
  subtasks: Array<{
    subtask: number;
    "attempt-number": number;
    "backpressure-level": BackPressureLevel;
    ratio: number;
    idleRatio: number;
    busyRatio: number;
  }>;
};

/** GET /jobs/{jobid}/vertices/{vertexid}/accumulators: path parameters. */
export interface GetJobVertexAccumulatorsParams {
  jobid: string;
  vertexid: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/accumulators: the 200 answer. */
export type GetJobVertexAccumulatorsResponse = {
  id: string;
  "user-accumulators": Array<UserAccumulator>;
};

/** GET /jobs/{jobid}/vertices/{vertexid}/subtasks/accumulators: path parameters. */
export interface GetSubtasksAccumulatorsParams {
  jobid: string;
  vertexid: string;
}

/** GET /jobs/{jobid}/vertices/{vertexid}/subtasks/accumulators: the 200 answer. */
export type GetSubtasksAccumulatorsResponse = {
  id: string;
  parallelism: number;
  subtasks: Array<{
    subtask: number;
    attempt: number;
    endpoint: string;
    host: string;
    "user-accumulators": Array<UserAccumulator>;
  }>;
};

/** GET /jobs/{jobid}/accumulators: path parameters. */
export interface GetJobAccumulatorsParams {
  jobid: string;
}

/** GET /jobs/{jobid}/accumulators: the 200 answer. */
export type GetJobAccumulatorsResponse = {
  "job-accumulators": Array<Record<string, unknown>>;
  "user-task-accumulators": Array<UserAccumulator>;
  "serialized-user-task-accumulators": Record<string, unknown>;
};

/** GET /jobs/{jobid}/plan: path parameters. */
export interface GetJobPlanParams {
  jobid: string;
}

/** GET /jobs/{jobid}/plan: the 200 answer. */
export type GetJobPlanResponse = JobPlanInfo;

/** GET /jobs/{jobid}/config: path parameters. */
export interface GetJobConfigParams {
  jobid: string;
}

/** GET /jobs/{jobid}/config: the 200 answer. */
export type GetJobConfigResponse = {
  jid: Id;
  name: string;
  "execution-config": {
    "execution-mode": string;
    "restart-strategy": string;
    "job-parallelism": number;
    "object-reuse-mode": boolean;
    "user-config": Record<string, string>;
  };
};

/** GET /jobs/{jobid}/checkpoints/config: path parameters. */
export interface GetCheckpointConfigParams {
  jobid: string;
}

/** GET /jobs/{jobid}/checkpoints/config: the 200 answer. */
export type GetCheckpointConfigResponse = {
  mode: "exactly_once" | "at_least_once";
  interval: number;
  timeout: number;
  min_pause: number;
  max_concurrent: number;
  externalization: {
    enabled: boolean;
    delete_on_cancellation: boolean;
  };
  state_backend: string;
  checkpoint_storage: string;
  unaligned_checkpoints: boolean;
  tolerable_failed_checkpoints: number;
  aligned_checkpoint_timeout: number;
  checkpoints_after_tasks_finish: boolean;
  state_changelog_enabled: boolean;
  changelog_periodic_materialization_interval: number;
  changelog_storage: string;
  /** Completed checkpoints kept (ebbflow) */
  num_retained: number;
};

/** GET /jobs/{jobid}/checkpoints/details/{checkpointid}: path parameters. */
export interface GetCheckpointDetailsParams {
  jobid: string;
  checkpointid: number;
}

/** GET /jobs/{jobid}/checkpoints/details/{checkpointid}: the 200 answer. */
export type GetCheckpointDetailsResponse = CheckpointStatistics & {
  tasks: Record<string, TaskCheckpointStatistics>;
  [key: string]: unknown;
};

/** GET /jobs/{jobid}/checkpoints/details/{checkpointid}/subtasks/{vertexid}: path parameters. */
export interface GetCheckpointSubtaskDetailsParams {
  jobid: string;
  checkpointid: number;
  vertexid: string;
}

/** GET /jobs/{jobid}/checkpoints/details/{checkpointid}/subtasks/{vertexid}: the 200 answer. */
export type GetCheckpointSubtaskDetailsResponse = TaskCheckpointStatistics & {
  summary: {
    checkpointed_size: CheckpointStatsSummary;
    state_size: CheckpointStatsSummary;
    end_to_end_duration: CheckpointStatsSummary;
    checkpoint_duration: {
      sync: CheckpointStatsSummary;
      async: CheckpointStatsSummary;
      [key: string]: unknown;
    };
    alignment: {
      buffered: CheckpointStatsSummary;
      processed: CheckpointStatsSummary;
      persisted: CheckpointStatsSummary;
      duration: CheckpointStatsSummary;
      [key: string]: unknown;
    };
    start_delay: CheckpointStatsSummary;
    [key: string]: unknown;
  };
  subtasks: Array<{
    index: number;
    status: "completed" | "pending_or_failed";
    ack_timestamp?: number;
    end_to_end_duration?: number;
    state_size?: number;
    checkpointed_size?: number;
    checkpoint?: {
      sync: number;
      async: number;
      [key: string]: unknown;
    };
    alignment?: {
      buffered: number;
      processed: number;
      persisted: number;
      duration: number;
      [key: string]: unknown;
    };
    start_delay?: number;
    unaligned_checkpoint?: boolean;
    aborted?: boolean;
    [key: string]: unknown;
  }>;
  [key: string]: unknown;
};

/** GET /jobs/{jobid}/jobmanager/config: path parameters. */
export interface GetJobManagerConfigOfJobParams {
  jobid: string;
}

/** GET /jobs/{jobid}/jobmanager/config: the 200 answer. */
export type GetJobManagerConfigOfJobResponse = KeyValues;

/** GET /jobs/{jobid}/jobmanager/environment: path parameters. */
export interface GetJobManagerEnvironmentOfJobParams {
  jobid: string;
}

/** GET /jobs/{jobid}/jobmanager/environment: the 200 answer. */
export type GetJobManagerEnvironmentOfJobResponse = EnvironmentInfo;

/** GET /jobs/{jobid}/jobmanager/log: path parameters. */
export interface GetJobProcessLogParams {
  jobid: string;
}

/** GET /jobs/{jobid}/jobmanager/log: query parameters. */
export interface GetJobProcessLogQuery {
  lines?: number;
}

/** GET /taskmanagers/{taskmanagerid}: path parameters. */
export interface GetTaskManagerParams {
  taskmanagerid: string;
}

/** GET /taskmanagers/{taskmanagerid}: the 200 answer. */
export type GetTaskManagerResponse = TaskManagerInfo & {
  allocatedSlots: Array<{
    jobId: Id;
    resource: TaskManagerResource;
    [key: string]: unknown;
  }>;
  metrics: {
    garbageCollectors: Array<{
      name: string;
      count: number;
      time: number;
      [key: string]: unknown;
    }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

/** GET /taskmanagers/{taskmanagerid}/logs: path parameters. */
export interface ListTaskManagerLogsParams {
  taskmanagerid: string;
}

/** GET /taskmanagers/{taskmanagerid}/logs: the 200 answer. */
export type ListTaskManagerLogsResponse = LogList;

/** GET /taskmanagers/{taskmanagerid}/logs/{filename}: path parameters. */
export interface GetTaskManagerLogFileParams {
  taskmanagerid: string;
  filename: string;
}

/** GET /taskmanagers/{taskmanagerid}/logs/{filename}: query parameters. */
export interface GetTaskManagerLogFileQuery {
  lines?: number;
}

/** GET /taskmanagers/{taskmanagerid}/log: path parameters. */
export interface GetTaskManagerLogParams {
  taskmanagerid: string;
}

/** GET /taskmanagers/{taskmanagerid}/log: query parameters. */
export interface GetTaskManagerLogQuery {
  lines?: number;
}

/** GET /taskmanagers/{taskmanagerid}/stdout: path parameters. */
export interface GetTaskManagerStdoutParams {
  taskmanagerid: string;
}

/** GET /taskmanagers/{taskmanagerid}/stdout: query parameters. */
export interface GetTaskManagerStdoutQuery {
  lines?: number;
}

/** GET /taskmanagers/{taskmanagerid}/thread-dump: path parameters. */
export interface GetTaskManagerThreadDumpParams {
  taskmanagerid: string;
}

/** GET /taskmanagers/{taskmanagerid}/thread-dump: the 200 answer. */
export type GetTaskManagerThreadDumpResponse = ThreadDump;

/** GET /jobmanager/config: the 200 answer. */
export type GetJobManagerConfigResponse = KeyValues;

/** GET /jobmanager/environment: the 200 answer. */
export type GetJobManagerEnvironmentResponse = EnvironmentInfo;

/** GET /jobmanager/logs: the 200 answer. */
export type ListJobManagerLogsResponse = LogList;

/** GET /jobmanager/logs/{filename}: path parameters. */
export interface GetJobManagerLogFileParams {
  filename: string;
}

/** GET /jobmanager/logs/{filename}: query parameters. */
export interface GetJobManagerLogFileQuery {
  lines?: number;
}

/** GET /jobmanager/log: query parameters. */
export interface GetJobManagerLogQuery {
  lines?: number;
}

/** GET /jobmanager/thread-dump: the 200 answer. */
export type GetJobManagerThreadDumpResponse = ThreadDump;

/** GET /jars/{jarid}/plan: path parameters. */
export interface GetJarPlanParams {
  jarid: string;
}

/** GET /jars/{jarid}/plan: query parameters. */
export interface GetJarPlanQuery {
  "entry-class"?: string;
  entryClass?: string;
  programArg?: string;
  "program-args"?: string;
  parallelism?: string;
}

/** GET /jars/{jarid}/plan: the 200 answer. */
export type GetJarPlanResponse = JobPlanInfo;

/** POST /jars/{jarid}/plan: path parameters. */
export interface PostJarPlanParams {
  jarid: string;
}

/** POST /jars/{jarid}/plan: query parameters. */
export interface PostJarPlanQuery {
  "entry-class"?: string;
  programArg?: string;
  "program-args"?: string;
  parallelism?: string;
}

/** POST /jars/{jarid}/plan: request body. */
export type PostJarPlanRequest = {
  entryClass?: string | null;
  programArgs?: string | null;
  programArgsList?: Array<string> | null;
  parallelism?: number | null;
  jobId?: string | null;
  flinkConfiguration?: Record<string, unknown> | null;
  [key: string]: unknown;
};

/** POST /jars/{jarid}/plan: the 200 answer. */
export type PostJarPlanResponse = JobPlanInfo;
