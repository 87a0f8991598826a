/** The registry write policy: retried with backoff until a deadline, then logged with the key it lost. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RegistryUnavailableError, retryRegistryCall } from '../../metadata/index.js';
import { captureLog } from '../helpers/testing-supervisor-log.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

/** A call that fails `failures` times, recording when it was made. */
function flaky(failures: number) {
  const calls: number[] = [];
  const call = async () => {
    calls.push(Date.now());
    if (calls.length <= failures) throw new Error('Connection is closed.');
    return 'written';
  };
  return { calls, call };
}

describe('retryRegistryCall', () => {
  it('retries after 100, 200, 400 … ms, at most 2 s apart, until the call succeeds', async () => {
    const log = captureLog();
    const { calls, call } = flaky(7);
    const t0 = Date.now();
    const outcome = retryRegistryCall(call, { what: 'mark the job FAILED', key: 'p:job:j1', logger: log.logger });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(await outcome).toEqual({ ok: true, value: 'written' });
    expect(calls.map((t, i) => t - (calls[i - 1] ?? t0))).toEqual([0, 100, 200, 400, 800, 1600, 2000, 2000]);
    expect(log.atLeast(40).filter((e) => e.key === 'p:job:j1')).toHaveLength(7);
    expect(log.atLeast(50)).toEqual([]);
  });

  it('gives up at the deadline and logs what was lost with its key and code', async () => {
    const log = captureLog();
    const { calls, call } = flaky(Infinity);
    const outcome = retryRegistryCall(call, { what: 'mark the job FAILED', key: 'p:job:j1', logger: log.logger, deadlineMs: 5000 });
    await vi.advanceTimersByTimeAsync(10_000);
    const result = await outcome;
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(RegistryUnavailableError);
      expect(result.error.code).toBe('EBBFLOW_REGISTRY_UNAVAILABLE');
      expect(result.error.key).toBe('p:job:j1');
    }
    expect(calls.at(-1)! - calls[0]!).toBeLessThanOrEqual(5000);
    expect(calls.at(-1)! - calls[0]!).toBeGreaterThan(3000);
    const lost = log.atLeast(50);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ key: 'p:job:j1', code: 'EBBFLOW_REGISTRY_UNAVAILABLE' });
    expect(lost[0]!.msg).toMatch(/^lost: could not mark the job FAILED \(p:job:j1\) in Redis for \d+ ms: Connection is closed\. Start Redis \(or fix EBBFLOW_REDIS_URL\)/);
  });

  it('stops at once when abandoned (the caller is closing)', async () => {
    const log = captureLog();
    const { calls, call } = flaky(Infinity);
    const outcome = await retryRegistryCall(call, { what: 'read the job record', key: 'p:job:j1', logger: log.logger, abandon: () => true });
    expect(outcome.ok).toBe(false);
    expect(calls).toHaveLength(1);
    expect(log.atLeast(50)).toHaveLength(1);
  });
});
