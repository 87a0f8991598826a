/** Dispatcher records in Flink's REST response shapes (the types generated from openapi.yaml). */
export { checkpointStatistics, jobDetails, jobExceptions, jobOverview } from './job-views.js';
export { autoscalerChangeStatus, checkpointTriggerStatus, disposalStatus, rescaleStatus, savepointStatus } from './operation-views.js';
export { executionResult } from './execution-result.js';
export {
  AGGREGATIONS, aggregateMetrics, formatValue, metricCollection, normalizeSnapshot, parseAggregations, parseList, parseSubtaskRanges, skew, subtaskStore, vertexStore, vertexSubtasks,
} from './flink-metrics.js';
export type { AggregatedMetric, Aggregation, MetricStore, MetricValue } from './flink-metrics.js';
export { HISTORY_SERIES, metricsHistory } from './metrics-history.js';
export type { MetricsHistory } from './metrics-history.js';
export { ProcessSampler } from './process-metrics.js';
export * from './dashboard-views.js';
export * from './dashboard-config-views.js';
export { rescaleConfig, rescaleDetails, rescalesHistory, rescalesOverview, rescalesSummary, statsSummary } from './rescale-views.js';
