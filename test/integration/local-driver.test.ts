/**
 * The local driver starts TaskManager processes in bounded batches (no start storm when a job asks
 * for many at once) and stops all of them on terminate. The TaskManagers here have no JobMaster to
 * join (they exit on their own); the test is about how many start when. After a job-process failover
 * it takes over TaskManagers it did not start (by pid): watched, stopped and counted like its own, and
 * never a process whose command line shows it is not the job's TaskManager.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalProcessDriver } from '../../resourcemanager/local/index.js';
import { waitFor } from '../helpers/dispatcher.js';

describe('local driver', () => {
  it('starts TaskManagers in batches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebbflow-local-driver-'));
    const driver = new LocalProcessDriver({ logDir: dir, batchSize: 4, batchIntervalMs: 400 });
    const started: number[] = [];
    const t0 = Date.now();
    await driver.initialize({ onWorkerStarted: () => started.push(Date.now() - t0), onWorkerTerminated: () => {}, onError: () => {} });
    try {
      for (let i = 1; i <= 10; i++) {
        driver.requestWorker({ resourceId: `taskmanager-${i}`, index: i, jobId: 'j'.repeat(32), jobMasterAddress: '127.0.0.1:1', profile: { cpuCores: 1, memoryMb: 64, slots: 1 }, secret: 'ab'.repeat(32) });
      }
      await waitFor('all ten started', () => (started.length === 10 ? true : undefined), 15_000);
      // 4 at once, 4 more one interval (400 ms) later, the last 2 after two. A loaded machine only
      // delays starts, so the checks are lower bounds: the 5th start cannot come before the second
      // window opens, nor the 9th before the third (a start storm would put all ten near 0 ms).
      // (On a starved machine the first batch's start events may arrive in the same millisecond as the
      // fifth's, so only the lower bounds are asserted.)
      const order = [...started].sort((a, b) => a - b);
      expect(order[4]!).toBeGreaterThanOrEqual(395);
      expect(order[8]!).toBeGreaterThanOrEqual(795);
    } finally {
      await driver.terminate();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A stand-in for a TaskManager another job process started: a process titled like one. */
function fakeTaskManager(title: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `process.title = ${JSON.stringify(title)}; process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000); console.log('up')`], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => { child.stdout!.once('data', () => resolve(child)); child.once('error', reject); });
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

describe('local driver: TaskManagers of an earlier job process', () => {
  it('adopts them by pid: reports one that dies, stops one released and the rest on terminate; leaves a process that is not the job\'s TaskManager alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebbflow-local-driver-'));
    const jobPrefix = '3f2a9c01';
    const driver = new LocalProcessDriver({ logDir: dir, stopTimeoutMs: 2000 });
    const terminated: string[] = [];
    await driver.initialize({ onWorkerTerminated: (id, cause) => terminated.push(`${id}: ${cause}`), onError: () => {} });
    const procs = await Promise.all([1, 2, 3].map((i) => fakeTaskManager(`ebbflow-taskmanager ${jobPrefix}0000000000000000000000000000 ${i}`)));
    const stranger = await fakeTaskManager('some-other-process');
    try {
      const rid = (i: number) => `${jobPrefix}-taskmanager-0000${i}`;
      procs.forEach((p, i) => driver.adoptWorker(rid(i + 1), p.pid!));
      driver.adoptWorker(`${jobPrefix}-taskmanager-00009`, stranger.pid!);
      expect(driver.pids().sort()).toEqual([...procs.map((p) => p.pid!), stranger.pid!].sort());
      // One dies on its own: reported like a child's exit.
      procs[0]!.kill('SIGKILL');
      await waitFor('the dead one reported', () => (terminated.some((t) => t.startsWith(rid(1))) ? true : undefined), 5000);
      // The stranger's command line is not a TaskManager of the job: counted as gone, never signalled.
      await waitFor('the stranger dropped', () => (terminated.some((t) => t.startsWith(`${jobPrefix}-taskmanager-00009`)) ? true : undefined), 5000);
      // One released: stopped by signal.
      await driver.releaseWorker(rid(2));
      await waitFor('the released one to exit', () => (exited(procs[1]!) ? true : undefined), 5000);
      expect(terminated.some((t) => t.startsWith(rid(2)))).toBe(false);
      // The rest on terminate.
      await driver.terminate();
      await waitFor('the last one to exit', () => (exited(procs[2]!) ? true : undefined), 5000);
      expect(exited(stranger)).toBe(false);
      expect(terminated).toHaveLength(2);
    } finally {
      for (const p of [...procs, stranger]) if (!exited(p)) p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops, by the pid it had, one that never re-registered (released with its pid), and leaves a stranger under that pid alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebbflow-local-driver-'));
    const jobPrefix = '3f2a9c02';
    const driver = new LocalProcessDriver({ logDir: dir, stopTimeoutMs: 2000 });
    await driver.initialize({ onWorkerTerminated: () => {}, onError: () => {} });
    const orphan = await fakeTaskManager(`ebbflow-taskmanager ${jobPrefix}0000000000000000000000000000 3`);
    const stranger = await fakeTaskManager('some-other-process');
    try {
      await driver.releaseWorker(`${jobPrefix}-taskmanager-00003`, orphan.pid!);
      await waitFor('the orphan to exit', () => (exited(orphan) ? true : undefined), 5000);
      // Without the pid nothing is known of it; a pid that now names another process is not signalled.
      await driver.releaseWorker(`${jobPrefix}-taskmanager-00004`, stranger.pid!);
      expect(exited(stranger)).toBe(false);
    } finally {
      await driver.terminate();
      for (const p of [orphan, stranger]) if (!exited(p)) p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
