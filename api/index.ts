/** REST API and web form of the dispatcher. */
export { buildApp } from './app.js';
export type { ApiOptions } from './app.js';
export { startDispatcher } from './server.js';
export type { RunningDispatcher } from './server.js';
export { HttpError, isRedisUnavailable } from './errors.js';
