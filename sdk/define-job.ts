import type { JobFunction } from './types.js';

/** Identity helper that types a job function; bundles may also just `export default (env, args) => …`. */
export function defineJob(fn: JobFunction): JobFunction {
  return fn;
}
