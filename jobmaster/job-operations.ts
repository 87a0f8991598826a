/**
 * How the job's operations are carried out by its parts: a rescale through the elastic scaler (the
 * TaskManager reservation settled afterwards), an autoscaler settings change, a checkpoint on
 * request, and a savepoint, alone, with the job's cancellation, or as a stop (with or without
 * `drain`). The operation runner (operation-runner.ts) takes them from the job's queue; separate
 * from the JobMaster, which only says how the job ends after a stop or a cancelling savepoint.
 */
import type { Logger } from 'pino';
import type { OperationRecord } from '../metadata/index.js';
import { describeError } from '../runtime/errors.js';
import type { ScaleRequest } from './elastic-scaler.js';
import type { JobParts } from './job-parts.js';
import type { OperationOutcome } from './operation-runner.js';

/** What an operation needs of the JobMaster. */
export interface OperationHost {
  log: Logger;
  /** A stop's savepoint completed: the job ends FINISHED. */
  finished(): void;
  /** A savepoint with `cancelJob` completed: the job is cancelled. */
  cancel(): void;
}

export async function runJobOperation(parts: JobParts, op: OperationRecord, progress: (phase: string) => void, host: OperationHost): Promise<OperationOutcome> {
  const { runtime, coordinator, scaler, capacity, autoscaler, failover } = parts;
  if (op.kind === 'rescale') {
    const req: ScaleRequest = op.parallelism > 0 ? { parallelism: op.parallelism, triggerId: op.id } : { requirements: op.requirements, triggerId: op.id };
    try {
      return { result: await scaler.apply(req, progress) as unknown as Record<string, unknown> };
    } finally {
      await capacity.settle();
    }
  }
  if (op.kind === 'autoscaler') return { result: await autoscaler.change(op.configuration) };
  if (runtime.phase !== 'RUNNING') throw new Error(`the job is not running (it is ${runtime.phase.toLowerCase().replace('_', ' ')}); try again when it runs`);
  if (op.kind === 'checkpoint') {
    // A checkpoint on request: after the one in progress, with the next id (every checkpoint is full).
    const reserved = coordinator.reserve();
    await coordinator.trigger(false, undefined, { reserved });
    host.log.info({ checkpointId: reserved.id }, 'checkpoint on request completed');
    return { result: { checkpointId: reserved.id } };
  }
  const drain = op.kind === 'stop' && op.drain;
  // Stopping: no checkpoint may complete after the savepoint, or its output would be published twice.
  if (op.kind === 'stop' || op.cancelJob) coordinator.stop();
  let location: string;
  try {
    location = await coordinator.trigger(true, op.targetDirectory || undefined, { drain });
  } catch (err) {
    // Drained sources read no more: the job resumes from its latest checkpoint (Flink restarts it too).
    if (drain && runtime.phase === 'RUNNING') void failover.handleFailure(`stop with drain failed: ${describeError(err)}`, null);
    else if (runtime.phase === 'RUNNING') coordinator.start();
    throw err;
  }
  host.log.info({ location, kind: op.kind }, 'savepoint completed');
  if (op.kind === 'stop') host.finished();
  else if (op.cancelJob) host.cancel();
  return { location };
}
