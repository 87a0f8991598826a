/**
 * JobSupervisor without processes or Redis: adopting the jobs of an earlier dispatcher by pid,
 * the cleanup hook for a job gone for good, the registry write policy (retried, or logged with
 * the key it lost) and closing with or without cancelling the jobs.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { supervisorHarness } from '../helpers/supervisor-harness.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('adopting the jobs of an earlier dispatcher', () => {
  it('watches a running job process by pid and cancels it with SIGTERM; the job ends CANCELED', async () => {
    const h = supervisorHarness();
    const rec = h.registry.put({ id: 'j1', state: 'RUNNING', pid: 4242 });
    h.launcher.alivePids.add(4242);
    await h.supervisor.adopt([rec]);
    expect(h.supervisor.isRunning('j1')).toBe(true);
    expect(h.launcher.launches).toHaveLength(0);

    await h.registry.transition('j1', 'CANCELLING');
    expect(h.supervisor.cancel('j1')).toBe(true);
    expect(h.launcher.pidSignals).toEqual([{ pid: 4242, signal: 'SIGTERM' }]);
    await h.advance(1000); // the next liveness check finds it gone
    expect(h.registry.peek('j1')).toMatchObject({ state: 'CANCELED', failureCause: 'job process (pid 4242) exited while cancelling' });
    expect(h.supervisor.isRunning('j1')).toBe(false);
    expect(h.launcher.launches).toHaveLength(0);
    expect(h.cleaned).toEqual(['j1']);
  });

  it('restarts an adopted job whose process dies while the job runs', async () => {
    const h = supervisorHarness();
    const rec = h.registry.put({ id: 'j1', state: 'RUNNING', pid: 4242 });
    h.launcher.alivePids.add(4242);
    await h.supervisor.adopt([rec]);
    h.launcher.alivePids.delete(4242);
    await h.advance(1000);
    expect(h.registry.peek('j1')!.exceptions[0]!.cause).toMatch(/^job process \(pid 4242\) exited; starting a new job process in 1000 ms \(restart 1 of 3\)/);
    await h.advance(1000);
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.launcher.latest('j1').spec.recoveryAttempt).toBe(1);
  });

  it('on start, restarts a running job whose process is gone, fails a planning one, and leaves a queued one to the queue', async () => {
    const h = supervisorHarness();
    const jobs = [
      h.registry.put({ id: 'running', state: 'RUNNING', pid: 4242 }),
      h.registry.put({ id: 'planning', state: 'INITIALIZING', pid: 4343 }),
      h.registry.put({ id: 'queued', state: 'INITIALIZING', pid: 0 }),
    ];
    const adopting = h.supervisor.adopt(jobs);
    await h.advance(1000); // the running job's restart backoff
    await adopting;
    expect(h.registry.peek('running')!.exceptions[0]!.cause).toMatch(/^job process \(pid 4242\) is gone \(found on dispatcher start\); starting a new job process/);
    expect(h.launcher.launchesOf('running')).toHaveLength(1);
    expect(h.registry.peek('planning')).toMatchObject({ state: 'FAILED' });
    expect(h.registry.peek('planning')!.failureCause).toMatch(/^job process \(pid 4343\) is gone \(found on dispatcher start\) before the job ended/);
    expect(h.registry.peek('queued')).toMatchObject({ state: 'INITIALIZING', failureCause: '' });
    expect(h.launcher.launchesOf('queued')).toHaveLength(0);
    expect(h.cleaned).toEqual(['planning']);
  });
});

describe('adopting again, whenever Redis becomes reachable', () => {
  it('leaves alone a job whose process this dispatcher is restarting, and one it already watches', async () => {
    const h = supervisorHarness();
    const proc = await h.startJob('j1', { state: 'RUNNING' });
    const orphan = h.registry.put({ id: 'j2', state: 'RUNNING', pid: 4242 });
    h.launcher.alivePids.add(4242);
    await h.supervisor.adopt([orphan]);
    proc.exit(1);
    await h.settle(); // RESTARTING, the 1 s backoff runs
    // Redis came back: the records still name the dead process's pid and the orphan.
    const adopting = h.supervisor.adopt([h.registry.peek('j1')!, h.registry.peek('j2')!]);
    await h.advance(10_000);
    await adopting;
    expect(h.launcher.launchesOf('j1')).toHaveLength(2); // one restart, not a second one for the same exit
    expect(h.registry.peek('j1')!.exceptions).toHaveLength(1);
    expect(h.launcher.launchesOf('j2')).toHaveLength(0);
    expect(h.supervisor.isRunning('j2')).toBe(true);
  });
});

describe('the cleanup hook for a job gone for good', () => {
  it('is called once when the job ends, never for a restart; a failing one is logged', async () => {
    const h = supervisorHarness({ jobProcessRestarts: 1, cleanupJob: async () => { throw new Error('mesos master unreachable'); } });
    let proc = await h.startJob('j1', { state: 'RUNNING' });
    proc.exit(1);
    await h.advance(1000);
    expect(h.log.atLeast(50).some((e) => /could not clean up/.test(e.msg))).toBe(false);
    proc = h.launcher.latest('j1');
    await h.registry.transition('j1', 'RUNNING');
    proc.exit(1);
    await h.settle();
    expect(h.state('j1')).toBe('FAILED');
    const failures = h.log.atLeast(50).filter((e) => /could not clean up after the job/.test(e.msg));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ jobId: 'j1', err: { message: 'mesos master unreachable' } });
  });
});

describe('registry writes: retried, or logged with the key they lost', () => {
  it('retries the end of a job while the registry is down and records it once it is back', async () => {
    const h = supervisorHarness();
    const proc = await h.startJob('j1');
    h.registry.down = true;
    proc.exit(1);
    await h.advance(5000);
    expect(h.registry.failedCalls).toBeGreaterThan(3);
    expect(h.registry.peek('j1')!.state).toBe('INITIALIZING');
    expect(h.log.atLeast(40).some((e) => e.key === 'test:job:j1' && /retrying/.test(e.msg))).toBe(true);
    h.registry.down = false;
    await h.advance(2000);
    expect(h.registry.peek('j1')!.state).toBe('FAILED');
    expect(h.log.atLeast(50).filter((e) => /^lost:/.test(e.msg))).toEqual([]);
  });

  it('after the retry deadline logs what it lost, with the key and a code', async () => {
    const h = supervisorHarness({ registryRetryMs: 10_000 });
    const proc = await h.startJob('j1', { state: 'RUNNING' });
    h.registry.down = true;
    proc.exit(1);
    await h.advance(15_000);
    const lost = h.log.atLeast(50).filter((e) => /^lost:/.test(e.msg));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ key: 'test:job:j1', code: 'EBBFLOW_REGISTRY_UNAVAILABLE' });
    expect(lost[0]!.msg).toMatch(/could not read the job record after its process ended \(test:job:j1\) in Redis .*EBBFLOW_REDIS_URL/);
    h.registry.down = false;
    expect(h.registry.peek('j1')!.state).toBe('RUNNING');
  });

  it('restarts the job process even when the restart could not be recorded', async () => {
    const h = supervisorHarness({ registryRetryMs: 500 });
    const proc = await h.startJob('j1', { state: 'RUNNING' });
    h.registry.down = ['transition'];
    proc.exit(1);
    await h.advance(600); // the RESTARTING write is given up (after 300 ms), the 1 s backoff runs
    h.registry.down = false;
    await h.advance(1000);
    expect(h.registry.peek('j1')).toMatchObject({ state: 'RUNNING', exceptions: [] });
    expect(h.log.atLeast(50).some((e) => e.key === 'test:job:j1' && /record the restart/.test(e.msg))).toBe(true);
    expect(h.launcher.launches).toHaveLength(2);
    expect(h.launcher.latest('j1').spec.recoveryAttempt).toBe(1);
  });

  it('keeps the job process when its pid cannot be recorded, and says so', async () => {
    const h = supervisorHarness({ registryRetryMs: 1000 });
    h.registry.put({ id: 'j1' });
    h.registry.down = true;
    const starting = h.supervisor.start(h.registry.peek('j1')!);
    await h.advance(2000);
    await starting;
    expect(h.supervisor.isRunning('j1')).toBe(true);
    expect(h.log.atLeast(50).some((e) => e.key === 'test:job:j1' && /record the job process pid/.test(e.msg))).toBe(true);
  });
});

describe('closing', () => {
  it('without cancelling, detaches the job processes and leaves their end to the next dispatcher', async () => {
    const h = supervisorHarness();
    const proc = await h.startJob('j1', { state: 'RUNNING' });
    await h.supervisor.close(false);
    expect(proc.detached).toBe(true);
    expect(proc.messages).toEqual([]);
    proc.exit(1);
    await h.advance(10_000);
    expect(h.state('j1')).toBe('RUNNING');
    expect(h.launcher.launches).toHaveLength(1);
  });

  it('with cancelling, cancels every job process and kills one that does not exit in time', async () => {
    const h = supervisorHarness({ cancelGraceMs: 60_000 });
    const proc = await h.startJob('j1', { state: 'RUNNING' });
    let closed = false;
    const closing = h.supervisor.close(true, 3000).then(() => { closed = true; });
    expect(proc.messages).toEqual([{ type: 'cancel' }]);
    await h.advance(2999);
    expect(closed).toBe(false);
    await h.advance(1);
    await closing;
    expect(proc.signals).toEqual(['SIGKILL']);
    expect(h.launcher.launches).toHaveLength(1); // no restart while closing
  });
});
