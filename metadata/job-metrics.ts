/**
 * The job's metrics as the JobMaster publishes them and the dispatcher serves them (Flink's metric
 * REST endpoints, Prometheus `GET /metrics`, the web console). The JobMaster collects each subtask's
 * counters from its TaskManagers, computes rates and aggregates, and writes one snapshot per
 * interval to `<prefix>job:<id>:metrics` (JSON). Metric names are Flink's where Flink has one.
 */

/** Flink's task-level metric names (and ebbflow's additions) carried per subtask. */
export const SUBTASK_METRICS = [
  'numRecordsIn', 'numRecordsOut', 'numRecordsInPerSecond', 'numRecordsOutPerSecond',
  'numBytesIn', 'numBytesOut', 'numBytesInPerSecond', 'numBytesOutPerSecond',
  // Flink's definitions: ms per second spent processing, waiting for input, and blocked on output.
  'busyTimeMsPerSecond', 'idleTimeMsPerSecond', 'backPressuredTimeMsPerSecond',
  'accumulatedBusyTime', 'accumulatedIdleTime', 'accumulatedBackPressuredTime',
  // Milliseconds of event time; Long.MIN_VALUE in Flink before the first watermark (here: -9223372036854776000 as a JS number).
  'currentInputWatermark', 'currentOutputWatermark',
  // Sources (FLIP-33): entries written to the subtask's streams but not yet read, summed over its splits.
  'pendingRecords',
  // Bytes of the subtask's state in its last completed checkpoint, and records held back by a rescale now.
  'stateSize', 'heldRecords',
  'lastCheckpointDuration',
] as const;
export type SubtaskMetricName = (typeof SUBTASK_METRICS)[number];

/** One Redis Streams split (stream) of a source subtask. */
export interface SplitMetrics {
  stream: string;
  /** Entries written to the stream after the subtask's read position; -1 while not known yet (the subtask's `pendingRecords` is then absent). */
  pendingRecords: number;
  /** Entries read per second. */
  numRecordsInPerSecond: number;
}

export interface SubtaskMetricsSnapshot {
  vertexId: string;
  subtask: number;
  attempt: number;
  taskManagerId: string;
  /** By metric name (SUBTASK_METRICS; a missing name means the subtask has no such metric, e.g. pendingRecords on a non-source). */
  metrics: Partial<Record<SubtaskMetricName, number>>;
  /** Sources only. */
  splits?: SplitMetrics[];
}

/** Per vertex, one point of the recent history (the web console's small charts). */
export interface VertexHistoryPoint {
  numRecordsInPerSecond: number;
  numRecordsOutPerSecond: number;
  /** Max over subtasks, ms per second. */
  busyTimeMsPerSecond: number;
  backPressuredTimeMsPerSecond: number;
  /** Min over subtasks (what the vertex's progress is held to). */
  currentInputWatermark: number;
  /** Sum over subtasks; sources only. */
  pendingRecords?: number;
}

export interface JobMetricsSnapshot {
  jobId: string;
  /** When the JobMaster built it (ms since the epoch). */
  timestamp: number;
  /** Job-level metrics by Flink's names: uptime, numRestarts, lastCheckpointDuration, lastCheckpointSize, numberOfCompletedCheckpoints, numberOfFailedCheckpoints, numberOfInProgressCheckpoints, … */
  job: Record<string, number>;
  subtasks: SubtaskMetricsSnapshot[];
  /** Per TaskManager resource id: its process metrics (Status.JVM.* names are Flink's; here the Node process's heap, RSS, CPU). */
  taskManagers: Record<string, Record<string, number>>;
  /** The last minutes, oldest first, one point per interval: per vertex id. */
  history: { timestamp: number; vertices: Record<string, VertexHistoryPoint> }[];
}

/** Flink's Long.MIN_VALUE / MAX_VALUE watermarks as JSON numbers (JSON has no infinities): no watermark yet, end of input. */
export const NO_WATERMARK = -9223372036854775808;
export const MAX_WATERMARK = 9223372036854775807;
/** True for the no-watermark-yet value. */
export const isNoWatermark = (v: number): boolean => v <= NO_WATERMARK;

export const metricsKey = (prefix: string, jobId: string): string => `${prefix}job:${jobId}:metrics`;
