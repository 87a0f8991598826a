/**
 * Best-effort cleanup in the runtime: closing what a finished or failed step leaves open (the
 * state file of a failed checkpoint, a channel a rescale dropped, an operator when its subtask
 * ends). Such a failure must not replace the outcome being reported, so it is not thrown; it is
 * logged, naming what was not cleaned up, so it never vanishes silently.
 */

/** Where a cleanup failure is reported: a subtask's `log` service (the TaskManager's log). */
export type CleanupLog = (msg: string, fields: Record<string, unknown>) => void;

/** Without a log, a process warning (stderr, which is the process's log file). */
const warnOnStderr: CleanupLog = (msg, fields) => process.emitWarning(`${msg} ${JSON.stringify(fields)}`, { code: 'EBBFLOW_CLEANUP_FAILED' });

/**
 * A rejection handler for a best-effort cleanup step: logs that `what` failed (e.g. "closing the
 * state file of checkpoint 7") with the error and `fields`, and resolves.
 */
export function cleanupFailed(what: string, log: CleanupLog | undefined, fields: Record<string, unknown> = {}): (err: unknown) => void {
  return (err) => (log ?? warnOnStderr)(`best-effort cleanup failed, ignored: ${what}`, { ...fields, err: err instanceof Error ? err.message : String(err) });
}
