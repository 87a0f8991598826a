/**
 * Waiting on a condition with a deadline (never a fixed sleep): polls `check`
 * on every macrotask turn until it returns a value other than undefined/false.
 */

/** Resolves with `check()`'s first truthy value; rejects after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
