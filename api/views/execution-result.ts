/** GET /jobs/:jobid/execution-result in Flink's JobExecutionResultResponseBody shape (what `flink run` without -d polls). */
import { maskText } from '../../config/index.js';
import { isTerminal, type JobRecord } from '../../metadata/index.js';
import type { GetJobExecutionResultResponse } from '../../rest/index.js';
import { jobSecrets } from './job-views.js';
import { flinkFailureCause } from './serialized-throwable.js';

const APPLICATION_STATUS = { FINISHED: 'SUCCEEDED', FAILED: 'FAILED', CANCELED: 'CANCELED' } as const;

export function executionResult(rec: JobRecord): GetJobExecutionResultResponse {
  if (!isTerminal(rec.state)) return { status: { id: 'IN_PROGRESS' } };
  const status = APPLICATION_STATUS[rec.state as keyof typeof APPLICATION_STATUS] ?? 'UNKNOWN';
  // Flink's JobResult needs a non-negative net runtime.
  const netRuntime = rec.startTime > 0 && rec.endTime >= rec.startTime ? rec.endTime - rec.startTime : 0;
  return {
    status: { id: 'COMPLETED' },
    'job-execution-result': {
      id: rec.id, 'application-status': status, 'accumulator-results': {}, 'net-runtime': netRuntime,
      ...(status === 'FAILED' ? { 'failure-cause': flinkFailureCause(maskText(rec.failureCause || 'the job failed', jobSecrets(rec)), 'JobExecutionException') } : {}),
    },
  };
}
