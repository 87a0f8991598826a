/**
 * JobSupervisor without processes or Redis (fake launcher, in-memory registry, fake timers):
 * the planning timeout, cancel escalation, and restarts of a job process that died while its job ran.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT_FENCED } from '../../jobmaster/job-leadership.js';
import { supervisorHarness } from '../helpers/supervisor-harness.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('planning timeout', () => {
  it('fails a job still INITIALIZING after the planning timeout and kills its process', async () => {
    const h = supervisorHarness({ planningTimeoutMs: 2000 });
    const proc = await h.startJob('j1');
    expect(h.registry.peek('j1')?.pid).toBe(proc.pid);
    expect(proc.spec).toMatchObject({ jobId: 'j1', recoveryAttempt: 0, redisUrl: 'redis://127.0.0.1:1' });

    await h.advance(1999);
    expect(h.state('j1')).toBe('INITIALIZING');
    expect(proc.signals).toEqual([]);

    await h.advance(1);
    expect(proc.signals).toEqual(['SIGKILL']);
    const rec = h.registry.peek('j1')!;
    expect(rec.state).toBe('FAILED');
    expect(rec.failureCause).toMatch(/^planning the job did not finish within 2000 ms \(EBBFLOW_PLANNING_TIMEOUT_MS\)/);
    // The exit of the killed process neither restarts it nor replaces the cause.
    expect(proc.exited).toBe(true);
    await h.advance(10_000);
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.registry.peek('j1')!.failureCause).toBe(rec.failureCause);
  });

  it('leaves a job alone that planned in time', async () => {
    const h = supervisorHarness({ planningTimeoutMs: 2000 });
    const proc = await h.startJob('j1');
    await h.advance(1500);
    await h.registry.transition('j1', 'CREATED');
    await h.advance(10_000);
    expect(proc.signals).toEqual([]);
    expect(h.state('j1')).toBe('CREATED');
  });
});

describe('cancel escalation', () => {
  it('sends cancel over IPC, then SIGTERM after the grace, then SIGKILL; the job still ends CANCELED', async () => {
    const h = supervisorHarness({ cancelGraceMs: 500, planningTimeoutMs: 60_000 });
    const proc = await h.startJob('j1');
    proc.ignoring.add('SIGTERM'); // user code blocking the event loop never runs the SIGTERM handler
    await h.registry.transition('j1', 'CANCELLING');

    expect(h.supervisor.cancel('j1')).toBe(true);
    expect(proc.messages).toEqual([{ type: 'cancel' }]);
    await h.advance(499);
    expect(proc.signals).toEqual([]);
    await h.advance(1);
    expect(proc.signals).toEqual(['SIGTERM']);
    await h.advance(4999);
    expect(proc.signals).toEqual(['SIGTERM']);
    await h.advance(1);
    expect(proc.signals).toEqual(['SIGTERM', 'SIGKILL']);

    const rec = h.registry.peek('j1')!;
    expect(rec.state).toBe('CANCELED');
    expect(rec.failureCause).toBe(`job process (pid ${proc.pid}) was killed by SIGKILL while cancelling`);
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.cleaned).toEqual(['j1']);
  });

  it('sends no signal to a process that stops within the grace', async () => {
    const h = supervisorHarness({ cancelGraceMs: 500 });
    const proc = await h.startJob('j1', { state: 'RUNNING' });
    // The JobMaster cancels its job within 200 ms and exits.
    proc.answer = (m, p) => { if (m.type === 'cancel') setTimeout(() => void h.registry.transition('j1', 'CANCELED').then(() => p.exit(0)), 200); };
    await h.registry.transition('j1', 'CANCELLING');
    h.supervisor.cancel('j1');
    await h.advance(200);
    expect(proc.exitedWith).toEqual({ code: 0, signal: null });
    await h.advance(10_000);
    expect(proc.signals).toEqual([]);
    expect(h.registry.peek('j1')).toMatchObject({ state: 'CANCELED', failureCause: '' });
  });

  it('signals SIGTERM at once when the IPC channel is closed', async () => {
    const h = supervisorHarness({ cancelGraceMs: 500 });
    const proc = await h.startJob('j1', { state: 'RUNNING' });
    proc.connected = false;
    await h.registry.transition('j1', 'CANCELLING');
    expect(h.supervisor.cancel('j1')).toBe(true);
    expect(proc.messages).toEqual([]);
    expect(proc.signals).toEqual(['SIGTERM']);
    await h.settle();
    expect(h.state('j1')).toBe('CANCELED');
  });

  it('answers false for a job without a known process', () => {
    const h = supervisorHarness();
    expect(h.supervisor.cancel('nope')).toBe(false);
  });
});

describe('restarts of a job process that died while its job ran', () => {
  it('starts it again after 1 s, 2 s, 4 s, records each restart, then fails the job with the exit status and log tail', async () => {
    const h = supervisorHarness({ jobProcessRestarts: 3 });
    h.launcher.logs.set('j1', Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n'));
    let proc = await h.startJob('j1', { state: 'RUNNING' });
    const pids = [proc.pid];

    for (const [attempt, delay] of [[1, 1000], [2, 2000], [3, 4000]] as const) {
      proc.exit(attempt === 2 ? null : 1, attempt === 2 ? 'SIGKILL' : null);
      await h.settle();
      const rec = h.registry.peek('j1')!;
      expect(rec.state).toBe('RESTARTING');
      expect(rec.exceptions).toHaveLength(attempt);
      const how = attempt === 2 ? 'was killed by SIGKILL' : 'exited with code 1';
      expect(rec.exceptions.at(-1)!.cause).toBe(
        `job process (pid ${proc.pid}) ${how}; starting a new job process in ${delay} ms (restart ${attempt} of 3), restoring from the latest completed checkpoint`);

      await h.advance(delay - 1);
      expect(h.launcher.launches).toHaveLength(attempt);
      await h.advance(1);
      expect(h.launcher.launches).toHaveLength(attempt + 1);
      proc = h.launcher.latest('j1');
      expect(proc.spec.recoveryAttempt).toBe(attempt);
      expect(h.registry.peek('j1')!.pid).toBe(proc.pid);
      pids.push(proc.pid);
      await h.registry.transition('j1', 'RUNNING'); // the new JobMaster restored the job
    }
    expect(new Set(pids).size).toBe(4);
    expect(h.cleaned).toEqual([]);

    proc.exit(1);
    await h.settle();
    const rec = h.registry.peek('j1')!;
    expect(rec.state).toBe('FAILED');
    expect(rec.failureCause).toBe(`job process (pid ${proc.pid}) exited with code 1 before the job ended `
      + `(no restart left: EBBFLOW_JOB_PROCESS_RESTARTS allows 3). Last log lines:\n${Array.from({ length: 8 }, (_, i) => `line ${i + 13}`).join('\n')}`);
    expect(rec.exceptions).toHaveLength(3);
    await h.advance(60_000);
    expect(h.launcher.launches).toHaveLength(4);
    expect(h.cleaned).toEqual(['j1']);
  });

  it('does not restart a process that died while planning: the job fails at once', async () => {
    const h = supervisorHarness();
    h.launcher.logs.set('j1', 'SyntaxError: bad bundle');
    const proc = await h.startJob('j1');
    proc.exit(1);
    await h.settle();
    const rec = h.registry.peek('j1')!;
    expect(rec.state).toBe('FAILED');
    expect(rec.failureCause).toBe(`job process (pid ${proc.pid}) exited with code 1 before the job ended. Last log lines:\nSyntaxError: bad bundle`);
    await h.advance(10_000);
    expect(h.launcher.launches).toHaveLength(1);
  });

  it('leaves the job alone when its process stepped aside for a newer one (exit code EXIT_FENCED): no restart, no record, no cleanup', async () => {
    const h = supervisorHarness({ jobProcessRestarts: 3 });
    const proc = await h.startJob('j1', { state: 'RUNNING' });
    proc.exit(EXIT_FENCED);
    await h.settle();
    await h.advance(10_000);
    const rec = h.registry.peek('j1')!;
    expect(rec.state).toBe('RUNNING');
    expect(rec.exceptions ?? []).toEqual([]);
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.cleaned).toEqual([]);
  });

  it('with no restart allowed, fails the job when its process dies and names the setting', async () => {
    const h = supervisorHarness({ jobProcessRestarts: 0 });
    const proc = await h.startJob('j1', { state: 'RUNNING' });
    proc.exit(null, 'SIGKILL');
    await h.settle();
    expect(h.registry.peek('j1')!.failureCause).toMatch(/^job process \(pid \d+\) was killed by SIGKILL before the job ended \(no restart left: EBBFLOW_JOB_PROCESS_RESTARTS allows 0\)/);
    expect(h.launcher.launches).toHaveLength(1);
  });

  it('a job cancelled during the backoff ends CANCELED without a new process', async () => {
    const h = supervisorHarness();
    const proc = await h.startJob('j1', { state: 'RUNNING' });
    proc.exit(1);
    await h.settle();
    await h.registry.transition('j1', 'CANCELLING');
    expect(h.supervisor.cancel('j1')).toBe(false); // no process right now: the restart sees the cancel
    await h.advance(1000);
    expect(h.state('j1')).toBe('CANCELED');
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.cleaned).toEqual(['j1']);
  });

  it('fails the job when the new process cannot be started', async () => {
    const h = supervisorHarness();
    const proc = await h.startJob('j1', { state: 'RUNNING' });
    h.launcher.failNextLaunch = new Error('spawn EAGAIN');
    proc.exit(1);
    await h.advance(1000);
    expect(h.registry.peek('j1')).toMatchObject({
      state: 'FAILED', failureCause: `job process (pid ${proc.pid}) exited with code 1; a new job process could not be started: spawn EAGAIN`,
    });
  });
});
