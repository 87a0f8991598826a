/**
 * JobSupervisor with HA (fenced launches), without processes or Redis: every start is claimed
 * first; a refused claim starts nothing; a process whose launch was superseded (exit 75) is not
 * recorded as the job's end; a dispatcher that stopped leading neither starts, restarts nor cleans
 * up; on election it starts the queued jobs no process was recorded for.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LAUNCH_SUPERSEDED_EXIT } from '../../dispatcher/job-process-launcher.js';
import { supervisorHarness } from '../helpers/supervisor-harness.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

function haHarness(claims: Array<{ id: string; expectedPid: number }>, grant = true) {
  const h = supervisorHarness({ fencedLaunch: { fenceKey: 'test:ha:x:leader', epoch: () => '3' } });
  Object.assign(h.registry, {
    claimLaunch: async (id: string, _launchId: string, expectedPid: number) => { claims.push({ id, expectedPid }); return grant; },
  });
  return h;
}

describe('job process starts with HA', () => {
  it('claims every start (none recorded yet, or the dead process it replaces) before launching', async () => {
    const claims: Array<{ id: string; expectedPid: number }> = [];
    const h = haHarness(claims);
    const p = await h.startJob('j1', { state: 'INITIALIZING' });
    expect(claims).toEqual([{ id: 'j1', expectedPid: 0 }]);
    expect(p).toBeDefined();
    // The process records its own pid with HA; the supervisor does not.
    expect(h.registry.peek('j1')!.pid).toBe(0);
  });

  it('starts nothing when the claim is refused (another process recorded, or the job ended)', async () => {
    const h = haHarness([], false);
    h.registry.put({ id: 'j1', state: 'INITIALIZING' });
    await h.supervisor.start(h.registry.peek('j1')!);
    expect(h.launcher.launches).toHaveLength(0);
  });

  it('a process whose launch was superseded (exit 75) is not the job\'s end: no FAILED, no restart, no cleanup', async () => {
    const h = haHarness([]);
    const p = await h.startJob('j1', { state: 'RUNNING' });
    p!.exit(LAUNCH_SUPERSEDED_EXIT);
    await h.advance(10_000);
    expect(h.state('j1')).toBe('RUNNING');
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.cleaned).toEqual([]);
  });

  it('once it stopped leading, a child that dies is neither restarted nor cleaned up after, and nothing starts', async () => {
    const claims: Array<{ id: string; expectedPid: number }> = [];
    const h = haHarness(claims);
    const p = await h.startJob('j1', { state: 'RUNNING' });
    h.supervisor.relinquish();
    p!.exit(1);
    await h.advance(10_000);
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.cleaned).toEqual([]);
    await expect(h.supervisor.start(h.registry.put({ id: 'j2', state: 'INITIALIZING' }))).rejects.toThrow(/does not lead/);
    expect(claims.map((c) => c.id)).toEqual(['j1']);
  });

  it('on election, starts a queued job no process was recorded for, and leaves one never queued to the sweep', async () => {
    const claims: Array<{ id: string; expectedPid: number }> = [];
    const h = haHarness(claims);
    const queued = h.registry.put({ id: 'j1', state: 'INITIALIZING', queuedAt: 5 });
    const never = h.registry.put({ id: 'j2', state: 'INITIALIZING', queuedAt: 0 });
    await h.supervisor.adopt([queued, never]);
    expect(claims).toEqual([{ id: 'j1', expectedPid: 0 }]);
    expect(h.launcher.launches).toHaveLength(1);
  });
});
