/**
 * The local driver's account of waiting requests (what a resource-wait failure shows): requests
 * over the capacity wait, and the account names EBBFLOW_LOCAL_MAX_TASKMANAGERS. A capacity of 0
 * starts nothing, so no process is spawned here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalProcessDriver } from '../../resourcemanager/local/index.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const spec = (index: number) => ({
  resourceId: `taskmanager-0000${index}`, index, jobId: 'j1', jobMasterAddress: '127.0.0.1:1', profile: { cpuCores: 1, memoryMb: 64, slots: 1 }, secret: 'ab'.repeat(32),
});

describe('LocalProcessDriver.describe', () => {
  it('says how many requests wait for capacity and which setting sets it', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'ebbflow-local-driver-'));
    dirs.push(logDir);
    const driver = new LocalProcessDriver({ logDir, maxWorkers: 0 });
    await driver.initialize({ onWorkerTerminated: () => {}, onError: () => {} });
    expect(driver.describe()).toBe('local: 0 TaskManager process(es) running');
    driver.requestWorker(spec(1));
    driver.requestWorker(spec(2));
    expect(driver.describe()).toBe('local: 2 TaskManager request(s) waiting for capacity: 0 of EBBFLOW_LOCAL_MAX_TASKMANAGERS=0 running');
    await driver.releaseWorker('taskmanager-00001');
    expect(driver.describe()).toMatch(/^local: 1 TaskManager request\(s\) waiting/);
    await driver.terminate();
    expect(driver.pids()).toEqual([]);
  });
});

describe('a local TaskManager\'s node arguments', () => {
  it('cap its heap at the profile\'s memory and set the semi-space size only when configured', async () => {
    const { taskManagerArgs } = await import('../../resourcemanager/local/index.js');
    const plain = taskManagerArgs(spec(1), {});
    expect(plain[0]).toBe('--max-old-space-size=64');
    expect(plain.some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
    const tuned = taskManagerArgs(spec(1), { semiSpaceMb: 32 });
    expect(tuned.slice(0, 2)).toEqual(['--max-old-space-size=64', '--max-semi-space-size=32']);
    // Node flags go before the entry: after it they would be the TaskManager's own (unknown) options.
    expect(tuned.indexOf('--max-semi-space-size=32')).toBeLessThan(tuned.findIndex((a) => a.includes('taskmanager/main')));
    expect(tuned).toEqual(expect.arrayContaining(['--job-id', 'j1', '--resource-id', 'taskmanager-00001']));
  });
});
