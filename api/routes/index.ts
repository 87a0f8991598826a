/** The REST routes, one installer per group of Flink's endpoints; api/app.ts installs them all. */
export { clusterRoutes } from './cluster.js';
export { flinkCliRoutes } from './flink-cli.js';
export { jarRoutes } from './jars.js';
export { jobRoutes } from './jobs.js';
export { rescalingRoutes } from './rescaling.js';
export { vertexRoutes } from './vertices.js';
