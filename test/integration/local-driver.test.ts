/**
 * The local driver starts TaskManager processes in bounded batches (no start storm when a job asks
 * for many at once) and stops all of them on terminate. The TaskManagers here have no JobMaster to
 * join (they exit on their own); the test is about how many start when.
 */
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
      const order = [...started].sort((a, b) => a - b);
      expect(order[3]!).toBeLessThan(order[4]!);
      expect(order[4]!).toBeGreaterThanOrEqual(395);
      expect(order[8]!).toBeGreaterThanOrEqual(795);
    } finally {
      await driver.terminate();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
