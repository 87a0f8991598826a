/**
 * Asynchronous operations (savepoint, stop, rescale) in Flink's AsynchronousOperationResult shape.
 * Failure causes and savepoint locations are masked like the job's own answers.
 */
import { maskText, maskUrl } from '../../config/index.js';
import { isTerminal } from '../../metadata/index.js';
import type { OperationView } from '../../dispatcher/index.js';
import type { GetRescalingStatusResponse, GetSavepointStatusResponse } from '../../rest/index.js';
import { jobSecrets } from './job-views.js';

const failure = (cls: string, stackTrace: string) => ({ 'failure-cause': { class: cls, 'stack-trace': stackTrace, 'serialized-throwable': null } });

function maskedFailure(cause: string, secrets: readonly string[]) {
  const masked = maskText(cause, secrets);
  return failure(masked.split(/[:\n]/)[0]!, masked);
}

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
    operation: op.failureCause ? maskedFailure(op.failureCause, jobSecrets(job)) : success(),
  };
}

export function savepointStatus(view: OperationView): GetSavepointStatusResponse {
  return operationStatus(view, 'the savepoint was taken', () => ({ location: view.operation.location ? maskUrl(view.operation.location) : view.operation.location }));
}

export function rescaleStatus(view: OperationView): GetRescalingStatusResponse {
  return operationStatus(view, 'the rescaling was taken up', () => view.operation.result ?? {});
}
