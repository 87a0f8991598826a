/**
 * Asynchronous operations (savepoint, stop, rescale) in Flink's AsynchronousOperationResult shape.
 * Failure causes and savepoint locations are masked like the job's own answers.
 */
import { maskText, maskUrl } from '../../config/index.js';
import { isTerminal } from '../../metadata/index.js';
import type { DisposalStatus, OperationView } from '../../dispatcher/index.js';
import type { GetJobAutoscalerChangeResponse, GetCheckpointTriggerStatusResponse, GetRescalingStatusResponse, GetSavepointDisposalStatusResponse, GetSavepointStatusResponse } from '../../rest/index.js';
import { jobSecrets } from './job-views.js';
import { flinkFailureCause } from './serialized-throwable.js';

/** Flink's client reads the cause only from `serialized-throwable` (a Java-serialized SerializedThrowable). */
export const failure = (cause: string) => ({ 'failure-cause': flinkFailureCause(cause) });

function maskedFailure(cause: string, secrets: readonly string[]) {
  return failure(maskText(cause, secrets));
}

/**
 * IN_PROGRESS with a null operation, or COMPLETED with `success` or a failure cause. `pending`
 * ends the sentence "the job ended before …".
 */
function operationStatus<T>({ job, operation: op }: OperationView, pending: string, success: () => T) {
  if (op.status === 'IN_PROGRESS') {
    // A job that ended before taking up the request will never answer it.
    if (isTerminal(job.state)) return { status: { id: 'COMPLETED' as const }, operation: failure(`JobEnded: the job ended (${job.state}) before ${pending}`) };
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

/** GET /jobs/:jobid/checkpoints/:triggerid: Flink's CheckpointInfo, whose cause field is `failureCause`. */
export function checkpointTriggerStatus(view: OperationView): GetCheckpointTriggerStatusResponse {
  const s = operationStatus(view, 'the checkpoint was taken', () => ({ checkpointId: Number(view.operation.result?.checkpointId) }));
  if (!s.operation || !('failure-cause' in s.operation)) return s as GetCheckpointTriggerStatusResponse;
  return { status: s.status, operation: { failureCause: s.operation['failure-cause'] } };
}

/** GET /jobs/:jobid/autoscaler/:triggerid: the settings in force after the change, or why it failed. */
export function autoscalerChangeStatus(view: OperationView): GetJobAutoscalerChangeResponse {
  const { status, operation } = operationStatus(view, 'the autoscaler change was taken up', () => {
    const r = view.operation.result as { options: Record<string, number | boolean | null>; overrides: Record<string, string | number | boolean> } | null;
    return { options: r?.options ?? {}, overrides: r?.overrides ?? {} };
  });
  return { status, operation };
}

/** GET /savepoint-disposal/:triggerid: Flink's AsynchronousOperationInfo (`{}` on success). */
export function disposalStatus(d: DisposalStatus): GetSavepointDisposalStatusResponse {
  if (d.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' }, operation: null };
  return { status: { id: 'COMPLETED' }, operation: d.failureCause ? failure(maskText(d.failureCause, [])) : {} };
}
