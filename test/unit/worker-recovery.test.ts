/**
 * The ResourceManager across a job-process failover (issue 17): the TaskManagers the earlier job
 * process had registered are waited for (counted like requested ones, so nothing is requested for
 * them), taken over by the driver with their pids when they re-register, and only the missing ones
 * are requested once resourcemanager.previous-worker.recovery.timeout passes; what it keeps for the
 * next job process goes through the recovery file (0600, replaced atomically).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRecoverableWorkers, removeRecoverableWorkers, workerRecoveryFile, writeRecoverableWorkers } from '../../jobmaster/worker-recovery-file.js';
import { ResourceManager, type RecoverableWorkers, type ResourceManagerDriver } from '../../resourcemanager/index.js';
import { WorkerSecrets } from '../../rpc/index.js';
import { captureLog } from '../helpers/log-capture.js';
import { TestingResourceManagerDriver } from '../helpers/testing-resource-manager-driver.js';
import { waitFor } from '../helpers/wait-for.js';

const JOB = '3f2a9c01000000000000000000000000';
const id = (n: number) => `3f2a9c01-taskmanager-${String(n).padStart(5, '0')}`;
const stop: Array<() => unknown> = [];
afterEach(async () => { for (const s of stop.splice(0)) await s(); });

function resourceManager(driver: ResourceManagerDriver, previous: RecoverableWorkers | undefined, timeoutMs = 200) {
  const log = captureLog();
  const secrets = new WorkerSecrets();
  const saved: RecoverableWorkers[] = [];
  const rm = new ResourceManager(driver, {
    jobId: JOB, jobMasterAddress: 'jm:1', profile: { cpuCores: 1, memoryMb: 512, slots: 1 }, logger: log.logger, secrets,
    recovery: { previous, timeoutMs, save: (w) => { saved.push(w); } },
  });
  stop.push(() => rm.stopAll());
  return { rm, log, secrets, saved };
}

const previousOf = (n: number, lastIndex = n, pids = false): RecoverableWorkers => ({
  workers: Array.from({ length: n }, (_, i) => ({ resourceId: id(i + 1), secret: Buffer.alloc(32, i + 1), ...(pids ? { pid: 100 + i + 1 } : {}) })),
  lastIndex,
});

describe('ResourceManager: workers of the earlier job process', () => {
  it('requests nothing while they re-register, hands them to the driver with their pids and keeps them for the next one', async () => {
    const driver = new TestingResourceManagerDriver();
    const { rm, secrets, saved } = resourceManager(driver, previousOf(2, 5));
    await rm.start({ onWorkerTerminated: () => {}, onError: () => {} });
    // The endpoint knows their secrets again: their handshake passes.
    expect(secrets.get(id(1))).toEqual(Buffer.alloc(32, 1));
    expect(rm.keepsWorkersAcrossFailover).toBe(true);
    rm.ensureSlots(2);
    expect(driver.requested).toEqual([]);
    expect(rm.registered(id(1), 101)).toBe(true);
    expect(rm.registered(id(2), 102)).toBe(true);
    expect([...driver.adopted]).toEqual([[id(1), 101], [id(2), 102]]);
    expect(rm.recoveredWorkers).toBe(2);
    expect(rm.registeredWorkers).toBe(2);
    expect(driver.requested).toEqual([]);
    expect(saved.at(-1)).toEqual({ workers: [{ resourceId: id(1), secret: Buffer.alloc(32, 1), pid: 101 }, { resourceId: id(2), secret: Buffer.alloc(32, 2), pid: 102 }], lastIndex: 5 });
    // A further TaskManager continues after the indices used before.
    rm.ensureSlots(3);
    expect(driver.requested.map((w) => w.resourceId)).toEqual([id(6)]);
  });

  it('requests only the missing ones once the recovery timeout passes', async () => {
    const driver = new TestingResourceManagerDriver();
    const { rm, log, secrets } = resourceManager(driver, previousOf(3), 150);
    await rm.start({ onWorkerTerminated: () => {}, onError: () => {} });
    rm.ensureSlots(3);
    rm.registered(id(2), 202);
    expect(driver.requested).toEqual([]);
    await waitFor('a replacement to be requested', () => driver.requested.length > 0, 3000);
    expect(driver.requested.map((w) => w.resourceId)).toEqual([id(4), id(5)]);
    expect(log.matching('did not re-register in time')).toEqual([expect.objectContaining({ missing: [id(1), id(3)] })]);
    // The missing ones lost their secrets: one showing up late is refused at the handshake.
    expect(secrets.get(id(1))).toBeUndefined();
    expect(rm.registered(id(1), 101)).toBe(false);
    expect([...driver.adopted.keys()]).toEqual([id(2)]);
    // Whatever the provider still runs of them (a Mesos task) is stopped.
    expect(driver.released).toEqual([id(1), id(3)]);
  });

  it('stops those still expected, by the pids they had, when the job ends before they re-register or when the wait ends', async () => {
    const driver = new TestingResourceManagerDriver();
    const { rm } = resourceManager(driver, previousOf(3, 3, true), 60_000);
    await rm.start({ onWorkerTerminated: () => {}, onError: () => {} });
    rm.registered(id(2), 102);
    // The job ends (cancelled) while two have not re-registered: their processes are stopped with the rest.
    await rm.stopAll();
    expect(driver.terminated).toBe(true);
    expect([...driver.releasedPids]).toEqual([[id(1), 101], [id(3), 103]]);

    const later = new TestingResourceManagerDriver();
    const { rm: rm2 } = resourceManager(later, previousOf(2, 2, true), 100);
    await rm2.start({ onWorkerTerminated: () => {}, onError: () => {} });
    await waitFor('the wait to end', () => later.released.length === 2, 3000);
    expect([...later.releasedPids]).toEqual([[id(1), 101], [id(2), 102]]);
  });

  it('a driver that cannot adopt workers gets new ones at once', async () => {
    const driver = new TestingResourceManagerDriver();
    (driver as { adoptWorker?: unknown }).adoptWorker = undefined;
    const { rm, secrets } = resourceManager(driver, previousOf(2));
    await rm.start({ onWorkerTerminated: () => {}, onError: () => {} });
    expect(rm.keepsWorkersAcrossFailover).toBe(false);
    expect(secrets.get(id(1))).toBeUndefined();
    rm.ensureSlots(2);
    expect(driver.requested.map((w) => w.resourceId)).toEqual([id(3), id(4)]);
  });
});

describe('the worker recovery file', () => {
  it('round-trips, is private to the user and replaced atomically; a missing or garbled one reads as none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebbflow-recovery-'));
    stop.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = workerRecoveryFile(dir, JOB);
    expect(readRecoverableWorkers(file)).toBeUndefined();
    writeRecoverableWorkers(file, previousOf(2, 7));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readRecoverableWorkers(file)).toEqual(previousOf(2, 7));
    writeRecoverableWorkers(file, previousOf(1, 8));
    expect(readRecoverableWorkers(file)).toEqual(previousOf(1, 8));
    expect(readdirSync(join(dir, 'logs', JOB))).toEqual(['worker-secrets']);
    removeRecoverableWorkers(file);
    expect(readRecoverableWorkers(file)).toBeUndefined();
  });

  it('keeps the pids for a job process on the same host only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebbflow-recovery-'));
    stop.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = workerRecoveryFile(dir, JOB);
    writeRecoverableWorkers(file, previousOf(2, 2, true));
    expect(readRecoverableWorkers(file)).toEqual(previousOf(2, 2, true));
    const body = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...body, host: `not-${hostname()}` }));
    expect(readRecoverableWorkers(file)).toEqual(previousOf(2, 2, false));
  });
});
