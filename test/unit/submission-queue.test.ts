/**
 * Taking a submission (the BullMQ worker's body) and failing one, against the JobSupervisor with
 * its in-memory fakes: no BullMQ, no Redis, no process.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failSubmission, takeSubmission, type SubmissionDeps } from '../../dispatcher/submission-queue.js';
import { supervisorHarness } from '../helpers/supervisor-harness.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

function setup() {
  const h = supervisorHarness();
  const deps: SubmissionDeps = { registry: h.registry, supervisor: h.supervisor, log: h.log.logger };
  return { ...h, deps };
}

describe('takeSubmission', () => {
  it('starts the job process of a job waiting in INITIALIZING and records its pid', async () => {
    const h = setup();
    h.registry.put({ id: 'j1' });
    await takeSubmission('j1', h.deps);
    expect(h.launcher.launchesOf('j1')).toHaveLength(1);
    expect(h.registry.peek('j1')!.pid).toBe(h.launcher.latest('j1').pid);
  });

  it('starts a job once, however often the submission is delivered', async () => {
    const h = setup();
    h.registry.put({ id: 'j1' });
    await takeSubmission('j1', h.deps);
    await takeSubmission('j1', h.deps);
    expect(h.launcher.launches).toHaveLength(1);
    // Delivered again to a later dispatcher: the recorded pid says it was handed over already.
    const later = setup();
    later.registry.put({ id: 'j1', pid: 4242 });
    await takeSubmission('j1', later.deps);
    expect(later.launcher.launches).toHaveLength(0);
  });

  it('ends a job cancelled while queued without starting it', async () => {
    const h = setup();
    h.registry.put({ id: 'j1', state: 'CANCELLING' });
    await takeSubmission('j1', h.deps);
    expect(h.state('j1')).toBe('CANCELED');
    expect(h.launcher.launches).toHaveLength(0);
  });

  it('drops a submission for an unknown job, with a warning', async () => {
    const h = setup();
    await takeSubmission('ghost', h.deps);
    expect(h.launcher.launches).toHaveLength(0);
    expect(h.log.atLeast(40).some((e) => e.jobId === 'ghost' && /unknown job/.test(e.msg))).toBe(true);
  });

  it('throws when the registry is unreachable, so BullMQ tries again', async () => {
    const h = setup();
    h.registry.put({ id: 'j1' });
    h.registry.down = true;
    await expect(takeSubmission('j1', h.deps)).rejects.toThrow(/Connection is closed/);
    expect(h.launcher.launches).toHaveLength(0);
  });
});

describe('failSubmission', () => {
  it('marks the job FAILED with the reason, retrying while the registry is down', async () => {
    const h = setup();
    h.registry.put({ id: 'j1' });
    h.registry.down = true;
    const failing = failSubmission('j1', new Error('spawn EAGAIN'), h.deps);
    await h.advance(1000);
    h.registry.down = false;
    await h.advance(2000);
    await failing;
    expect(h.registry.peek('j1')).toMatchObject({ state: 'FAILED', failureCause: 'could not start the job process: spawn EAGAIN' });
  });
});
