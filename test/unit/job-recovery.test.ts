/**
 * The recovery a dispatcher runs whenever Redis becomes reachable (adoption, then the sweep of
 * submissions never queued), with fakes: runs never overlap, a trigger during a run runs it once
 * more, and a run that keeps failing is given up (logged) and tried again later by itself.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobRecovery } from '../../dispatcher/job-recovery.js';
import type { JobRecord } from '../../metadata/index.js';
import { captureLog } from '../helpers/testing-supervisor-log.js';
import { jobRecord } from '../helpers/testing-supervisor-registry.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

function setup(jobs: JobRecord[]) {
  const log = captureLog();
  const calls: string[] = [];
  let down = false;
  let release: (() => void) | undefined;
  const deps = {
    registry: {
      indexKey: 'test:jobs',
      list: async () => {
        calls.push('list');
        if (down) throw new Error('Connection is closed.');
        return jobs;
      },
    },
    supervisor: {
      adopt: async (js: JobRecord[]) => {
        calls.push(`adopt ${js.map((j) => j.id).join(',')}`);
        if (release === undefined) return;
        await new Promise<void>((r) => { release = r; });
      },
    },
    submissions: { requeueStranded: async (js: JobRecord[]) => { calls.push(`sweep ${js.map((j) => j.id).join(',')}`); return []; } },
    log: log.logger, deadlineMs: 1000, retryAfterMs: 5000,
  };
  return {
    recovery: new JobRecovery(deps), calls, log,
    setDown: (v: boolean) => { down = v; },
    /** Makes the next adoption wait until `finish()`. */
    hold: () => { release = () => {}; },
    finish: () => { const r = release; release = undefined; r?.(); },
  };
}

describe('JobRecovery', () => {
  it('adopts and sweeps the jobs not ended; a trigger during a run runs it once more afterwards, never alongside', async () => {
    const h = setup([jobRecord({ id: 'a', state: 'RUNNING', pid: 1 }), jobRecord({ id: 'b', state: 'CANCELED' }), jobRecord({ id: 'c' })]);
    h.hold();
    const first = h.recovery.run();
    await vi.advanceTimersByTimeAsync(0);
    const second = h.recovery.run();
    const third = h.recovery.run();
    expect(h.calls).toEqual(['list', 'adopt a,c']);
    h.finish();
    await Promise.all([first, second, third]);
    expect(h.calls).toEqual(['list', 'adopt a,c', 'sweep a,c', 'list', 'adopt a,c', 'sweep a,c']);
  });

  it('gives a failing run up after its deadline, says so, and runs again by itself', async () => {
    const h = setup([jobRecord({ id: 'a' })]);
    h.setDown(true);
    const run = h.recovery.run();
    await vi.advanceTimersByTimeAsync(2000);
    await run;
    expect(h.log.atLeast(50).some((e) => /^lost: could not adopt the running jobs/.test(e.msg) && e.key === 'test:jobs')).toBe(true);
    expect(h.calls.filter((c) => c.startsWith('adopt'))).toEqual([]);
    h.setDown(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.calls.slice(-2)).toEqual(['adopt a', 'sweep a']);
  });

  it('does nothing more once closed', async () => {
    const h = setup([jobRecord({ id: 'a' })]);
    h.setDown(true);
    const run = h.recovery.run();
    await vi.advanceTimersByTimeAsync(150);
    h.recovery.close();
    await vi.advanceTimersByTimeAsync(10_000);
    await run;
    const listed = h.calls.length;
    h.setDown(false);
    await h.recovery.run();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.calls).toHaveLength(listed);
  });
});
