/**
 * Errors of the ResourceManager and the local driver, each with a stable `code` (never reused for
 * another meaning); the message names the setting that changes the outcome. The Mesos driver's
 * errors are in mesos/errors.ts; configuration problems are config's ConfigError.
 */
import { EbbflowError } from '../runtime/errors.js';

/**
 * The slots a job (or a rescale) needs did not come within the resource wait timeout. `detail`
 * follows the sentence as given (": 2 available, …" or " (2 available, …)"), e.g. what the
 * provider says about its waiting requests (ResourceManager.describe()).
 */
export class ResourceWaitTimeoutError extends EbbflowError {
  override readonly code = 'EBBFLOW_RESOURCE_WAIT_TIMEOUT';
  constructor(readonly slotsNeeded: number, readonly waitedMs: number, readonly driverName: string, detail: string) {
    super(`could not get ${slotsNeeded} slot(s) within ${waitedMs} ms (jobmanager.adaptive-scheduler.resource-wait-timeout) from the ${driverName} resource manager${detail}`);
  }
}

/**
 * The OS could not start a local TaskManager process. Reported to the JobMaster as the worker's
 * termination cause (its message), like any other lost worker.
 */
export class WorkerStartError extends EbbflowError {
  override readonly code = 'EBBFLOW_WORKER_START';
  constructor(readonly resourceId: string, cause: unknown) {
    super(`TaskManager ${resourceId} could not be started: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
