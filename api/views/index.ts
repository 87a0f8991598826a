/** Dispatcher records in Flink's REST response shapes (the types generated from openapi.yaml). */
export { checkpointStatistics, jobDetails, jobExceptions, jobOverview } from './job-views.js';
export { rescaleStatus, savepointStatus } from './operation-views.js';
export { rescaleConfig, rescaleDetails, rescalesHistory, rescalesOverview, rescalesSummary, statsSummary } from './rescale-views.js';
