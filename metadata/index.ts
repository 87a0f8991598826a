/** Cluster metadata in Redis: job records and the TaskManagers of running jobs. */
export { JobRegistry } from './job-registry.js';
export type { RegistryFence } from './fence.js';
export type { JobRecord, TaskManagerRecord, VertexInfo, JobException, OperationRecord, OperationKind, NewOperation, ResourceRequirements, SubtaskInfo } from './job-registry.js';
export { JOB_STATES, TERMINAL_STATES, EXECUTION_STATES, isTerminal } from './job-status.js';
export type { JobState, ExecutionStateName } from './job-status.js';
export { FencedWriteError, isFencedWrite, RegistryUnavailableError } from './errors.js';
export { retryRegistryCall } from './registry-retry.js';
export type { RetryOptions, RetryOutcome } from './registry-retry.js';
export { CapacityReservations, reservationsKey } from './capacity-reservations.js';
export type { ReserveOutcome, ReserveRequest } from './capacity-reservations.js';
export { SUBTASK_METRICS, metricsKey, NO_WATERMARK, MAX_WATERMARK, isNoWatermark } from './job-metrics.js';
export type { JobMetricsSnapshot, SubtaskMetricsSnapshot, SubtaskMetricName, SplitMetrics, VertexHistoryPoint } from './job-metrics.js';
export { RESCALE_TRIGGERS, TERMINAL_RESCALE_STATUSES, rescalesKey, rescaleCountsKey } from './rescale-history.js';
export type { RescaleCounts, RescalePhase, RescaleRecord, RescaleStatus, RescaleTrigger, RescaleVertexRecord } from './rescale-history.js';
export { autoscalerKey } from './autoscaler-state.js';
export type { AutoscalerInfo } from './autoscaler-state.js';
export { JobLeaderStore, leaderKey } from './job-leader.js';
