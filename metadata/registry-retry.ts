/**
 * The control plane's one write policy for the job registry: a call that fails (Redis away,
 * a command timing out) is retried with backoff until a deadline; if it still fails, what was
 * lost is logged with its Redis key and the caller is told, so it can decide explicitly —
 * nothing is swallowed silently.
 */
import type { Logger } from 'pino';
import { isFencedWrite, RegistryUnavailableError } from './errors.js';

/** Outcome of a retried registry call: its value, or `ok: false` when it was given up (and logged). */
export type RetryOutcome<T> = { ok: true; value: T } | { ok: false; error: RegistryUnavailableError };

export interface RetryOptions {
  /** What the call does, for the log: "mark the job FAILED", "read the job record". */
  what: string;
  /** The Redis key the call reads or writes. */
  key: string;
  logger: Pick<Logger, 'warn' | 'error'>;
  /** Give up after this long. @default 60000 (as the job process does) */
  deadlineMs?: number;
  /** Stop retrying at once when this turns true (the caller is closing). */
  abandon?: () => boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Runs `call`, retrying after 100 ms, 200 ms, … (at most 2 s apart) until it succeeds or the
 * deadline passes; then logs at error level with the key it lost and resolves `{ ok: false }`.
 */
export async function retryRegistryCall<T>(call: () => Promise<T>, o: RetryOptions): Promise<RetryOutcome<T>> {
  const started = Date.now();
  const deadline = started + (o.deadlineMs ?? 60_000);
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return { ok: true, value: await call() };
    } catch (err) {
      // A fenced write (a deposed leader's) fails for good: logged, never retried.
      if (isFencedWrite(err)) {
        const error = new RegistryUnavailableError(o.what, o.key, Date.now() - started, err);
        o.logger.error({ err: (err as Error).message, code: 'EBBFLOW_FENCED', key: o.key }, `fenced write refused: could not ${o.what}: ${(err as Error).message}`);
        return { ok: false, error };
      }
      if (Date.now() + delay > deadline || o.abandon?.()) {
        const error = new RegistryUnavailableError(o.what, o.key, Date.now() - started, err);
        o.logger.error({ err: error, code: error.code, key: o.key }, `lost: ${error.message}`);
        return { ok: false, error };
      }
      o.logger.warn({ err: (err as Error).message, key: o.key }, `could not ${o.what} in Redis; retrying in ${delay} ms`);
      await sleep(delay);
    }
  }
}
