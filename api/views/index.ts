/** Dispatcher records in Flink's REST response shapes (the types generated from openapi.yaml). */
export { checkpointStatistics, jobDetails, jobExceptions, jobOverview } from './job-views.js';
export { checkpointTriggerStatus, disposalStatus, rescaleStatus, savepointStatus } from './operation-views.js';
export { executionResult } from './execution-result.js';
