/**
 * The Mesos driver on its own against the test master: requests never block, a launch whose offer
 * was withdrawn (TASK_DROPPED) is relaunched, and a driver that takes over from a dead one (a
 * restarted job process) re-subscribes with the stored framework id, reconciles the tasks the old
 * one launched, kills them, and ends up with exactly the TaskManagers it asked for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverEventHandler, WorkerSpec } from '../../resourcemanager/driver.js';
import { PROTOBUF_TYPE, JSON_TYPE } from '../../resourcemanager/mesos/codec.js';
import { MesosDriver } from '../../resourcemanager/mesos/mesos-driver.js';
import { MemoryWorkerStore, type StoredWorker, type WorkerStore } from '../../resourcemanager/mesos/worker-store.js';
import { TestMesosMaster } from '../mesos-master/master.js';
import { waitFor } from '../helpers/dispatcher.js';

const log = pino({ level: 'silent' });
let dir: string;
let master: TestMesosMaster;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ebbflow-mesos-driver-'));
  master = new TestMesosMaster({ sandboxRoot: dir, allocationIntervalMs: 50, heartbeatIntervalSeconds: 1, updateRetryMs: 500, agents: [{}, {}] });
  await master.start();
});
afterEach(async () => {
  await master.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A driver whose "TaskManager" is `sleep`: the test is about tasks, not about a job. */
function driver(store: WorkerStore, contentType = PROTOBUF_TYPE): MesosDriver {
  return new MesosDriver({
    jobId: 'j1', masters: [master.url], contentType, framework: { user: '', name: 'ebbflow j1', failover_timeout: 60, checkpoint: true, roles: ['*'], capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }, { type: 'TASK_KILLING_STATE' }] },
    need: { cpus: 0.5, memMb: 64, diskMb: 0 }, constraints: [], fitness: 'binpack', declineRefuseSeconds: 0.2, store, logger: log,
    backoffInitialMs: 50, backoffMaxMs: 200, killRetryMs: 300, stagingTimeoutMs: 500,
    launch: {
      taskManagerCmd: 'sleep 60 ;#', extraUris: [], dataBindHost: '0.0.0.0', killGraceMs: 500, bundleInSandbox: 'b.mjs',
      runtime: { name: 'rt.mjs', extract: false, uri: `${master.url}/master/state` }, bundle: { name: 'b.mjs', extract: false, uri: `${master.url}/master/state` },
    },
  });
}

const spec = (n: number): WorkerSpec => ({ resourceId: `taskmanager-0000${n}`, index: n, jobId: 'j1', jobMasterAddress: '127.0.0.1:1', profile: { cpuCores: 1, memoryMb: 64, slots: 1 }, secret: 'ab'.repeat(32) });

function handler() {
  const started = new Set<string>();
  const terminated: string[] = [];
  const h: DriverEventHandler = { onWorkerStarted: (id) => started.add(id), onWorkerTerminated: (id, cause) => terminated.push(`${id}: ${cause}`), onError: (err) => terminated.push(`error: ${err.message}`) };
  return { h, started, terminated };
}

describe('Mesos driver', () => {
  it.each([PROTOBUF_TYPE, JSON_TYPE])('relaunches a task dropped because its offer was withdrawn (%s)', async (ct) => {
    let withdraw = 1;
    master.afterOffers = (fid) => { if (withdraw-- > 0) master.invalidateOffers(fid); };
    const d = driver(new MemoryWorkerStore(), ct);
    const { h, started, terminated } = handler();
    await d.initialize(h);
    d.requestWorker(spec(1));
    d.requestWorker(spec(2));
    await waitFor('two running tasks', () => (started.size === 2 ? true : undefined), 15_000);
    expect(terminated).toEqual([]);
    expect(d.stats.relaunched).toBeGreaterThanOrEqual(1);
    expect(master.races.some((r) => r.includes('ACCEPT of withdrawn offer'))).toBe(true);
    expect(master.liveTasks()).toHaveLength(2);
    await d.releaseWorker('taskmanager-00001');
    expect(master.liveTasks()).toHaveLength(1);
    await d.terminate();
    expect(master.liveTasks()).toHaveLength(0);
    expect(master.framework()).toBeUndefined();
    expect(master.violations).toEqual([]);
  });

  it('a driver taking over from a dead one reconciles, kills the old tasks and never doubles TaskManagers', async () => {
    const store = new MemoryWorkerStore();
    const a = driver(store);
    const ha = handler();
    await a.initialize(ha.h);
    a.requestWorker(spec(1));
    a.requestWorker(spec(2));
    await waitFor('two running tasks', () => (ha.started.size === 2 ? true : undefined), 15_000);
    const oldTasks = master.liveTasks().map((t) => t.info.task_id.value).sort();
    const fid = a.frameworkId;
    a.abandon(); // the job process dies; its tasks keep running

    const b = driver(store);
    const hb = handler();
    await b.initialize(hb.h);
    b.requestWorker(spec(1));
    b.requestWorker(spec(2));
    await waitFor('the new driver to run two tasks and the old ones to be gone', () => {
      const live = master.liveTasks().map((t) => t.info.task_id.value);
      return hb.started.size === 2 && live.length === 2 && !live.some((t) => oldTasks.includes(t)) ? true : undefined;
    }, 20_000);
    expect(b.frameworkId).toBe(fid);
    expect(b.reconcileCalls).toBeGreaterThan(0);
    expect(master.counters.subscribes).toBe(2);
    expect(hb.terminated).toEqual([]);
    await b.terminate();
    expect(master.taskPids()).toEqual([]);
    expect(await store.frameworkId()).toBeUndefined();
    expect(master.violations).toEqual([]);
  });

  it('a driver taking over from a dead one keeps its launched tasks: adopted ones run on, one given up is killed, the rest at the end', async () => {
    const store = new MemoryWorkerStore();
    const a = driver(store);
    const ha = handler();
    await a.initialize(ha.h);
    for (const n of [1, 2, 3]) a.requestWorker(spec(n));
    await waitFor('three running tasks', () => (ha.started.size === 3 ? true : undefined), 15_000);
    const oldTasks = master.liveTasks().map((t) => t.info.task_id.value).sort();
    const launches = master.counters.launches;
    a.abandon(); // the job process dies; its tasks keep running (their TaskManagers wait for the next JobMaster)

    const b = driver(store);
    const hb = handler();
    await b.initialize(hb.h);
    await waitFor('the new driver to subscribe and reconcile', () => (b.frameworkId && b.reconcileCalls > 0 ? true : undefined), 15_000);
    b.adoptWorker('taskmanager-00001', 0);
    b.adoptWorker('taskmanager-00002', 0);
    // The third never re-registered: the ResourceManager releases it.
    await b.releaseWorker('taskmanager-00003');
    const live = master.liveTasks().map((t) => t.info.task_id.value).sort();
    expect(live).toEqual(oldTasks.filter((t) => !t.startsWith('taskmanager-00003')));
    expect(master.counters.launches).toBe(launches);
    expect(hb.terminated).toEqual([]);
    await b.terminate();
    expect(master.taskPids()).toEqual([]);
    expect(master.violations).toEqual([]);
  });

  it('a request made while offers are being declined for want of requests still gets offers (REVIVE lifts the refuse filter)', async () => {
    // Three agents with room for one TaskManager each.
    await master.stop();
    const agent = (port: number) => ({ resources: { scalars: { cpus: 0.5, mem: 64 }, ranges: { ports: [[port, port + 4]] as [number, number][] } } });
    master = new TestMesosMaster({ sandboxRoot: dir, allocationIntervalMs: 50, heartbeatIntervalSeconds: 1, updateRetryMs: 500, agents: [agent(31000), agent(31010), agent(31020)] });
    await master.start();
    // The third request is recorded (and so queued) only when a DECLINE has reached the master, before
    // the driver hears its answer.
    let open!: () => void;
    const recorded = new Promise<void>((resolve) => { open = resolve; });
    class SlowThirdRequest extends MemoryWorkerStore {
      override async put(w: StoredWorker): Promise<void> {
        if (w.resourceId === 'taskmanager-00003' && w.goal === 'New') await recorded;
        return super.put(w);
      }
    }
    const d = driver(new SlowThirdRequest());
    const { h, started, terminated } = handler();
    await d.initialize(h);
    d.requestWorker(spec(1));
    await waitFor('one TaskManager running and the framework suppressed', () => (started.size === 1 && master.framework()?.suppressed ? true : undefined), 10_000);
    // Two more: the REVIVE brings offers of the two free agents; the second request takes one, and the
    // other is declined with nothing waiting (a long refuse filter) just before the third request waits.
    master.afterCall = (_fid, call) => { if (call.type === 'DECLINE') open(); };
    d.requestWorker(spec(2));
    d.requestWorker(spec(3));
    await waitFor('three TaskManagers running, one on each agent', () => (started.size === 3 ? true : undefined), 10_000);
    expect(new Set(master.liveTasks().map((t) => t.agentId)).size).toBe(3);
    expect(terminated).toEqual([]);
    await d.terminate();
    expect(master.taskPids()).toEqual([]);
    expect(master.violations).toEqual([]);
  });

  it('kills the tasks Mesos still runs for the framework that the driver does not know (implicit reconciliation)', async () => {
    const a = driver(new MemoryWorkerStore());
    const ha = handler();
    await a.initialize(ha.h);
    a.requestWorker(spec(1));
    a.requestWorker(spec(2));
    await waitFor('two running tasks', () => (ha.started.size === 2 ? true : undefined), 15_000);
    const fid = a.frameworkId!;
    a.abandon();
    // The worker records are lost; only the framework id is left.
    const lost = new MemoryWorkerStore();
    await lost.setFrameworkId(fid);
    const b = driver(lost);
    await b.initialize(handler().h);
    await waitFor('the unknown tasks to be killed', () => (master.liveTasks().length === 0 && master.taskPids().length === 0 ? true : undefined), 15_000);
    expect(b.frameworkId).toBe(fid);
    expect(master.counters.kills).toBeGreaterThanOrEqual(2);
    await b.terminate();
    expect(master.violations).toEqual([]);
  });

  it('reconciles a launched task that stays silent (its launch was lost) and reports the TaskManager lost', async () => {
    master.loseLaunches(1);
    const d = driver(new MemoryWorkerStore());
    const { h, started, terminated } = handler();
    await d.initialize(h);
    d.requestWorker(spec(1));
    await waitFor('the lost launch to be reported', () => (terminated.length === 1 ? true : undefined), 10_000);
    expect(terminated[0]).toMatch(/taskmanager-00001: .* is TASK_GONE \(REASON_RECONCILIATION\)/);
    // The JobMaster asks again; this launch goes through.
    d.requestWorker(spec(2));
    await waitFor('a running task', () => (started.has('taskmanager-00002') ? true : undefined), 15_000);
    await d.terminate();
    expect(master.violations).toEqual([]);
  });
});
