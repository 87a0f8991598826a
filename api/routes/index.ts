/** The REST routes, one installer per group of Flink's endpoints; api/app.ts installs them all. */
export { clusterRoutes } from './cluster.js';
export { flinkCliRoutes } from './flink-cli.js';
export { jarRoutes } from './jars.js';
export { jobRoutes } from './jobs.js';
export { metricRoutes } from './metrics.js';
export { rescalingRoutes } from './rescaling.js';
export { vertexRoutes } from './vertices.js';
export { dashboardJobRoutes } from './dashboard-jobs.js';
export { dashboardVertexRoutes } from './dashboard-vertices.js';
export { jarPlanRoutes } from './jar-plan.js';
export { jobManagerRoutes } from './jobmanager.js';
export { taskManagerRoutes } from './taskmanagers.js';
export { rescalesRoutes } from './rescales.js';
export { autoscalerRoutes } from './autoscaler.js';
