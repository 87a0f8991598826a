/**
 * Deadlines of checkpoint storage calls (runtime/checkpoint/storage-deadline.ts): a call that never
 * returns (here a real one: opening a FIFO, as on a hung NFS mount) rejects with
 * EBBFLOW_STORAGE_TIMEOUT naming the operation and path; the checkpoint coordinator then fails the
 * savepoint instead of keeping it in progress, and the next savepoint completes. Stuck calls are
 * counted and, past the threadpool's margin, new calls fail at once.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CheckpointCoordinator } from '../../jobmaster/checkpoint-coordinator.js';
import { storageFor } from '../../runtime/checkpoint/checkpoint-storage.js';
import { SubtaskState } from '../../runtime/checkpoint/snapshot-io.js';
import { hungStorageCalls, setStorageTimeout, storageTimeout, withDeadline } from '../../runtime/checkpoint/storage-deadline.js';
import { StorageHungError, StorageTimeoutError } from '../../runtime/errors.js';
import type { JobGraph } from '../../runtime/job-graph.js';
import { HungStorage } from '../helpers/hung-storage.js';
import { waitFor } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'ebbflow-deadline-'));
const hangs = new HungStorage(join(dir, 'keep'));
const defaultTimeout = storageTimeout();
afterEach(async () => { await hangs.release(); setStorageTimeout(defaultTimeout); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('storage deadlines', () => {
  it('rejects a call past its deadline, counts it until it returns, and hands a late value to onLate', async () => {
    let finish!: (v: string) => void;
    const late: string[] = [];
    const call = withDeadline(() => new Promise<string>((r) => { finish = r; }), 'open', '/mnt/x/file', (v) => late.push(v), 50);
    await expect(call).rejects.toThrow(StorageTimeoutError);
    await expect(call).rejects.toMatchObject({ code: 'EBBFLOW_STORAGE_TIMEOUT', message: expect.stringMatching(/did not answer within 50 ms: open \/mnt\/x\/file/) });
    expect(hungStorageCalls()).toEqual(['open /mnt/x/file']);
    finish('handle');
    await waitFor('the late call to be counted as returned', () => (hungStorageCalls().length === 0 ? true : undefined), 2000);
    expect(late).toEqual(['handle']);
    // Within its deadline, a value and an error pass through unchanged.
    expect(await withDeadline(async () => 7, 'stat', '/a', undefined, 50)).toBe(7);
    await expect(withDeadline(() => Promise.reject(new Error('ENOENT')), 'stat', '/a', undefined, 50)).rejects.toThrow('ENOENT');
  });

  it('fails new calls at once while so many are stuck that the threadpool would run dry', async () => {
    // The vitest worker has the default pool of 4 threads: 2 stuck calls are the most tolerated.
    expect(process.env.UV_THREADPOOL_SIZE ?? '4').toBe('4');
    const finishers: Array<() => void> = [];
    const stuck = () => withDeadline(() => new Promise<void>((r) => finishers.push(r)), 'mkdir', '/mnt/hung', undefined, 20);
    await expect(stuck()).rejects.toThrow(StorageTimeoutError);
    await expect(stuck()).rejects.toThrow(StorageTimeoutError);
    let started = false;
    const refused = withDeadline(async () => { started = true; }, 'mkdir', '/mnt/good', undefined, 20);
    await expect(refused).rejects.toThrow(StorageHungError);
    await expect(refused).rejects.toMatchObject({ code: 'EBBFLOW_STORAGE_HUNG', message: expect.stringMatching(/2 earlier checkpoint storage calls never returned \(the oldest: mkdir \/mnt\/hung/) });
    expect(started).toBe(false);
    for (const f of finishers) f();
    await waitFor('the stuck calls to return', () => (hungStorageCalls().length === 0 ? true : undefined), 2000);
    await withDeadline(async () => undefined, 'mkdir', '/mnt/good', undefined, 20);
  });

  it('gives every filesystem call through storageFor() the deadline: a FIFO where a file should be', async () => {
    setStorageTimeout(300);
    const target = join(dir, 'fifo-target');
    mkdirSync(target, { recursive: true });
    hangs.hangAt(join(target, 'v-0.state'));
    hangs.hangAt(join(target, '_metadata'));
    const t0 = Date.now();
    await expect(storageFor(target).create(join(target, 'v-0.state'))).rejects.toThrow(`did not answer within 300 ms: create ${join(target, 'v-0.state')}`);
    await expect(storageFor(target).readAll(join(target, '_metadata'))).rejects.toThrow(`did not answer within 300 ms: read ${join(target, '_metadata')}`);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(hungStorageCalls()).toHaveLength(2);
    await hangs.release();
    await waitFor('the hung calls to return once released', () => (hungStorageCalls().length === 0 ? true : undefined), 5000);
  });

  it('after a read passed its deadline, closing the file returns at once and the stuck read is counted once', async () => {
    setStorageTimeout(200);
    const fifo = join(dir, 'read-fifo');
    execFileSync('mkfifo', [fifo]);
    // A writer that never writes: the open succeeds, the read blocks (as on a hung mount).
    const writer = openSync(fifo, constants.O_RDWR);
    try {
      const file = await storageFor(fifo).openRead(fifo);
      // Position -1: the current position (a FIFO cannot seek).
      await expect(file.read(Buffer.alloc(16), -1)).rejects.toThrow(`did not answer within 200 ms: read ${fifo}`);
      const t0 = Date.now();
      await file.close();
      expect(Date.now() - t0).toBeLessThan(150);
      expect(hungStorageCalls()).toEqual([`read ${fifo}`]);
    } finally {
      writeSync(writer, Buffer.from('x'));
      closeSync(writer);
    }
    await waitFor('the read to return', () => (hungStorageCalls().length === 0 ? true : undefined), 5000);
  });

  it('a _metadata whose write passed its deadline never appears when the write returns later', async () => {
    setStorageTimeout(200);
    const target = join(dir, 'late-metadata');
    mkdirSync(target, { recursive: true });
    hangs.hangAt(join(target, '_metadata.tmp'));
    await expect(storageFor(target).writeAtomically(join(target, '_metadata'), Buffer.from('meta'))).rejects.toThrow(StorageTimeoutError);
    await hangs.release();
    await waitFor('the late write to return', () => (hungStorageCalls().length === 0 ? true : undefined), 5000);
    // Give the abandoned write its last step (rename or remove) before looking.
    await waitFor('the temporary file to be gone', () => (existsSync(join(target, '_metadata.tmp')) ? undefined : true), 5000);
    expect(existsSync(join(target, '_metadata'))).toBe(false);
  });
});

describe('checkpoint coordinator on a hung storage', () => {
  const graph = { name: 'g', maxParallelism: 128, vertices: [{ id: 'v', name: 'v', parallelism: 1 }] } as unknown as JobGraph;
  const target = { executionId: 'e0', vertexId: 'v' };

  function coordinator(timeoutMs: number): CheckpointCoordinator {
    const c: CheckpointCoordinator = new CheckpointCoordinator(
      { jobId: 'f'.repeat(32), graph, baseDir: join(dir, 'chk'), savepointDir: join(dir, 'sp'), intervalMs: 0, timeoutMs, retained: 1, tolerableFailures: 0, logger: pino({ level: 'silent' }) },
      {
        participants: () => ({ all: [target], sources: [target] }),
        // The subtask acknowledges at once: the savepoint then only needs its _metadata written.
        trigger: (_s, id) => queueMicrotask(() => c.acknowledge('e0', id, SubtaskState.encode({ subtaskIndex: 0 }).finish(), 0)),
        notifyComplete: () => {}, onFailureLimit: () => {}, statsChanged: () => {}, scaleFor: () => new Map(),
      },
    );
    return c;
  }

  it('fails a savepoint whose _metadata write hangs, within the storage deadline, and the next one completes', async () => {
    setStorageTimeout(300);
    const c = coordinator(60_000);
    const hung = join(dir, 'savepoint-hung');
    mkdirSync(hung, { recursive: true });
    hangs.hangAt(join(hung, '_metadata.tmp'));
    const t0 = Date.now();
    await expect(c.trigger(true, undefined, { reserved: { id: 1, dir: hung } })).rejects.toThrow(/writing .*_metadata failed: StorageTimeoutError: checkpoint storage did not answer within 300 ms: write .*savepoint-hung\/_metadata/);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(c.stats.toJSON().counts.failed).toBe(1);
    const good = await c.trigger(true, join(dir, 'sp-good'));
    expect(existsSync(join(good, '_metadata'))).toBe(true);
  });

  it('fails a checkpoint by the checkpoint timeout when that comes before the storage deadline', async () => {
    setStorageTimeout(5000);
    const c = coordinator(200);
    const hung = join(dir, 'chk-hung');
    mkdirSync(hung, { recursive: true });
    hangs.hangAt(join(hung, '_metadata.tmp'));
    const t0 = Date.now();
    await expect(c.trigger(false, undefined, { reserved: { id: 5, dir: hung } })).rejects.toThrow(/checkpoint 5 expired after 200 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
