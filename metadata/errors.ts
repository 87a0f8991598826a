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
