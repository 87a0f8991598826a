/** The Mesos driver's worker-store writes: retried in order until a deadline, then logged with the key they lost. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkerStoreWrites } from '../../resourcemanager/mesos/worker-store-writes.js';
import { FlakyWorkerStore } from '../helpers/testing-worker-store.js';
import { captureLog } from '../helpers/testing-supervisor-log.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

const worker = (goal: 'New' | 'Launched' | 'Released') => ({ resourceId: 'taskmanager-00001', taskId: 't1', goal });

describe('WorkerStoreWrites', () => {
  it('retries a failed write until it lands', async () => {
    const store = new FlakyWorkerStore();
    const log = captureLog();
    store.failures = 2;
    const written = new WorkerStoreWrites(store, log.logger).put(worker('Launched'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(await written).toBe(true);
    expect(store.attempts).toEqual(['put t1 Launched', 'put t1 Launched', 'put t1 Launched']);
    expect(await store.workers()).toEqual([worker('Launched')]);
    expect(log.atLeast(40).map((e) => e.key)).toEqual(['p:mesos:j1:workers t1', 'p:mesos:j1:workers t1']);
    expect(log.atLeast(50)).toEqual([]);
  });

  it('keeps the writes of one task in order: a retried old write never lands after a newer one', async () => {
    const store = new FlakyWorkerStore();
    const writes = new WorkerStoreWrites(store, captureLog().logger);
    store.failures = 1;
    const first = writes.put(worker('New'));
    const second = writes.put(worker('Launched'));
    const third = writes.remove('t1');
    await vi.advanceTimersByTimeAsync(1000);
    expect(await Promise.all([first, second, third])).toEqual([true, true, true]);
    expect(store.applied).toEqual(['put t1 New', 'put t1 Launched', 'remove t1']);
    expect(await store.workers()).toEqual([]);
  });

  it('gives up at the deadline and logs, at error level, the key and field it lost', async () => {
    const store = new FlakyWorkerStore();
    const log = captureLog();
    store.failures = Infinity;
    const written = new WorkerStoreWrites(store, log.logger, 1000).put(worker('Released'));
    await vi.advanceTimersByTimeAsync(5000);
    expect(await written).toBe(false);
    const lost = log.atLeast(50);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ key: 'p:mesos:j1:workers t1', code: 'EBBFLOW_REGISTRY_UNAVAILABLE' });
    expect(lost[0]!.msg).toMatch(/^lost: could not record Mesos task t1 as Released \(p:mesos:j1:workers t1\)/);
  });

  it('clears after every write already made', async () => {
    const store = new FlakyWorkerStore();
    const writes = new WorkerStoreWrites(store, captureLog().logger);
    store.failures = 1;
    const put = writes.put(worker('Released'));
    const id = writes.setFrameworkId('fw-1');
    const cleared = writes.clear();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await Promise.all([put, id, cleared])).toEqual([true, true, true]);
    expect(store.applied.at(-1)).toBe('clear');
    expect(await store.workers()).toEqual([]);
    expect(await store.frameworkId()).toBeUndefined();
  });
});
