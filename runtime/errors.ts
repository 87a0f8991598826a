/** Errors of the runtime, each with a stable code. */
export class EbbflowError extends Error {
  readonly code: string = 'EBBFLOW_ERROR';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** The job function built an invalid dataflow (no source, no sink, bad arguments). */
export class InvalidJobError extends EbbflowError {
  override readonly code = 'EBBFLOW_INVALID_JOB';
}

/** The bundle could not be loaded: missing entry, no such export, or it threw on import. */
export class BundleLoadError extends EbbflowError {
  override readonly code = 'EBBFLOW_BUNDLE_LOAD';
}

/** Formats an unknown thrown value as "Name: message\nstack". */
export function describeError(err: unknown): string {
  // Our own errors explain themselves; their stack is about ebbflow internals, not the user's code.
  if (err instanceof EbbflowError) return `${err.name}: ${err.message}`;
  if (err instanceof Error) return err.stack && err.stack.includes(err.message) ? err.stack : `${err.name}: ${err.message}\n${err.stack ?? ''}`;
  return `non-Error thrown: ${String(err)}`;
}
