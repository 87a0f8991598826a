/** Asynchronous operations (savepoint, stop, rescale) in Flink's AsynchronousOperationResult shape. */
import { isTerminal } from '../../metadata/index.js';
import type { OperationView } from '../../dispatcher/index.js';
import type { GetRescalingStatusResponse, GetSavepointStatusResponse } from '../../rest/index.js';

const failure = (cls: string, stackTrace: string) => ({ 'failure-cause': { class: cls, 'stack-trace': stackTrace, 'serialized-throwable': null } });

/**
 * IN_PROGRESS with a null operation, or COMPLETED with `success` or a failure cause. `pending`
 * ends the sentence "the job ended before …".
 */
function operationStatus<T>({ job, operation: op }: OperationView, pending: string, success: () => T) {
  if (op.status === 'IN_PROGRESS') {
    // A job that ended before taking up the request will never answer it.
    if (isTerminal(job.state)) return { status: { id: 'COMPLETED' as const }, operation: failure('JobEnded', `the job ended (${job.state}) before ${pending}`) };
    return { status: { id: 'IN_PROGRESS' as const }, operation: null, ...(op.progress ? { progress: op.progress } : {}) };
  }
  return {
    status: { id: 'COMPLETED' as const },
    operation: op.failureCause ? failure(op.failureCause.split(/[:\n]/)[0]!, op.failureCause) : success(),
  };
}

export function savepointStatus(view: OperationView): GetSavepointStatusResponse {
  return operationStatus(view, 'the savepoint was taken', () => ({ location: view.operation.location }));
}

export function rescaleStatus(view: OperationView): GetRescalingStatusResponse {
  return operationStatus(view, 'the rescaling was taken up', () => view.operation.result ?? {});
}
