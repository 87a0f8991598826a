/** Errors of the metadata layer (the job registry in Redis), each with a stable code. */
import { EbbflowError } from '../runtime/errors.js';

/**
 * A registry call still failed when its retry deadline passed: what it would have read or written
 * is lost. Carries the Redis key, so the log says which record was not updated.
 */
export class RegistryUnavailableError extends EbbflowError {
  override readonly code = 'EBBFLOW_REGISTRY_UNAVAILABLE';
  constructor(readonly what: string, readonly key: string, retriedMs: number, cause: unknown) {
    const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/\.$/, '');
    super(`could not ${what} (${key}) in Redis for ${retriedMs} ms: ${reason}. `
      + 'Start Redis (or fix EBBFLOW_REDIS_URL); the record keeps its previous value', { cause });
  }
}

/**
 * A write of a dispatcher that no longer leads (HA): the fencing epoch it wrote with no longer holds
 * the leader lease, so Redis refused it in the same atomic step and nothing was changed.
 */
export class FencedWriteError extends EbbflowError {
  override readonly code = 'EBBFLOW_FENCED';
  constructor(readonly what: string, readonly key: string, readonly epoch: string, cause?: unknown) {
    super(`refused to ${what} (${key}): this dispatcher wrote as leader epoch ${epoch || 'none'}, which no longer holds the leader lease (another dispatcher leads)`, { cause });
  }
}

/** Whether `err` is a fenced write (the error, or the script's `EBBFLOW_FENCED` reply). */
export function isFencedWrite(err: unknown): boolean {
  return err instanceof FencedWriteError || (err instanceof Error && err.message.includes('EBBFLOW_FENCED'));
}
