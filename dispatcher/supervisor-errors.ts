/**
 * Errors of the job supervisor, each with a stable code. Their messages are what a job's
 * `failure-cause` shows, so each names the setting that changes the outcome.
 */
import { DISPATCHER_OPTIONS } from '../config/index.js';
import { EbbflowError } from '../runtime/errors.js';

/** The job function did not return within the planning timeout (it loops or waits). */
export class PlanningTimeoutError extends EbbflowError {
  override readonly code = 'EBBFLOW_PLANNING_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`planning the job did not finish within ${timeoutMs} ms (${DISPATCHER_OPTIONS.planningTimeoutMs.env}): the job function must build the dataflow and return, not loop or wait`);
  }
}

/** The OS could not start a job process (fork failed). */
export class JobProcessStartError extends EbbflowError {
  override readonly code = 'EBBFLOW_JOB_PROCESS_START';
  constructor(readonly jobId: string, cause: unknown) {
    super(`${cause instanceof Error ? cause.message : String(cause)} (the dispatcher must be able to start \`node dist/jobmaster/main.js\`: run \`npm run build\` and check the process limits)`, { cause });
  }
}

/**
 * A job process ended before its job did and is not started again: `how` says how it ended
 * ("job process (pid 12) was killed by SIGKILL"); with `restartsExhausted` it died while the job
 * ran and every restart `EBBFLOW_JOB_PROCESS_RESTARTS` allows was used.
 */
export class JobProcessLostError extends EbbflowError {
  override readonly code = 'EBBFLOW_JOB_PROCESS_LOST';
  constructor(readonly how: string, logTail: string, restartsExhausted?: { max: number }) {
    const restarts = restartsExhausted
      ? ` (no restart left: ${DISPATCHER_OPTIONS.jobProcessRestarts.env} allows ${restartsExhausted.max})`
      : '';
    super(`${how} before the job ended${restarts}. Last log lines:\n${logTail}`);
  }
}

/** A job process died and its replacement could not be started. */
export class JobProcessRestartError extends EbbflowError {
  override readonly code = 'EBBFLOW_JOB_PROCESS_RESTART';
  constructor(readonly how: string, cause: unknown) {
    super(`${how}; a new job process could not be started: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
