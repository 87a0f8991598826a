/**
 * The fraud-detection job on Mesos, end to end: a real dispatcher whose job process runs the Mesos
 * driver against the protocol-faithful test master (protobuf encoding), whose simulated agents fetch
 * the TaskManager runtime and the bundle from the job's artifact server and run real TaskManager
 * processes. The subscription is dropped once (the job keeps running, no task is lost), a TaskManager
 * task dies (it is replaced on Mesos and the job restores from its checkpoint), the job is rescaled
 * in place 2 → 3 → 1 (a task launched, then two killed), the alerts equal the
 * independent computation, and cancel kills every task and tears the framework down — with one
 * launch per TaskManager plus one replacement and no protocol violation.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { deleteKeys, processesMatching, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { cancelJob, expectReferenceAlerts, explain, scenario, startFraudJob } from '../helpers/faults.js';
import { uploadFraud, waitForCheckpoints } from '../helpers/fraud.js';
import { rescale } from '../helpers/rescale.js';
import { startMesosTestCluster, type MesosTestCluster } from '../helpers/mesos-cluster.js';
import type { TestMesosMaster } from '../mesos-master/master.js';

let d: TestDispatcher;
let master: TestMesosMaster;
let jar: string;
let cluster: MesosTestCluster;
const tag = `ebbtest-mesos-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  cluster = await startMesosTestCluster([
    { hostname: '127.0.0.1', resources: { scalars: { cpus: 2, mem: 2048, disk: 4096 }, ranges: { ports: [[31000, 31009]] } }, attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }] },
    { hostname: '127.0.0.1', resources: { scalars: { cpus: 2, mem: 2048, disk: 4096 }, ranges: { ports: [[31010, 31019]] } }, attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r2' } }] },
  ]);
  ({ master, d } = cluster);
  jar = await uploadFraud(d);
});

afterAll(async () => {
  if (d) await deleteKeys(d.redis, `${tag}*`);
  await cluster?.close();
});

describe('fraud detection on the Mesos test master', () => {
  it('launches TaskManagers as tasks, survives a dropped subscription and a lost task, emits the reference alerts, and cleans up on cancel', async () => {
    const s = scenario(tag, 23, 12_000);
    const feed = Math.floor(s.txns.length / 2);
    await writeTransactions(d.redis, s.txns.slice(0, feed));
    const id = await startFraudJob(d, jar, s, 2, {
      'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms',
      'mesos.failover-timeout': 60, 'mesos.resourcemanager.tasks.cpus': 0.5, 'mesos.resourcemanager.tasks.mem': 640,
    }, 2);
    const framework = master.framework()!;
    expect(framework.info.name).toBe(`ebbflow ${id}`);
    expect(master.counters.launches).toBe(2);
    const tasks = master.liveTasks().map((t) => t.info.task_id.value).sort();
    expect(tasks).toHaveLength(2);
    expect((await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort()).toEqual(master.taskPids().sort());

    // The subscription drops: the driver re-subscribes with the same framework id; nothing is lost.
    const subscribes = master.counters.subscribes;
    expect(master.dropSubscription(framework.id)).toBe(true);
    await waitFor('re-subscription', () => (master.counters.subscribes > subscribes && master.framework(framework.id)?.stream ? true : undefined), 15_000);
    const completedBefore = ((await (await fetch(`${d.url}/jobs/${id}/checkpoints`)).json()) as any).counts.completed;
    await explain(d, id, waitForCheckpoints(d, id, completedBefore + 3));
    expect(master.liveTasks().map((t) => t.info.task_id.value).sort()).toEqual(tasks);
    expect(master.counters.launches).toBe(2);
    expect(master.counters.reconciles).toBeGreaterThan(0);

    // A TaskManager task dies: Mesos reports TASK_FAILED, the driver launches a replacement, the job restores.
    expect(master.crashTask(tasks[0]!)).toBe(true);
    await explain(d, id, waitFor('a replacement TaskManager task', () => (master.counters.launches === 3 && master.liveTasks().length === 2 ? true : undefined), 30_000));

    // Rescaling in place launches and kills Mesos tasks: 2 → 3 (one launch), then 3 → 1 (two kills).
    await rescale(d, id, 3);
    expect(master.counters.launches).toBe(4);
    expect(master.liveTasks()).toHaveLength(3);
    await writeTransactions(d.redis, s.txns.slice(feed, feed + 2000));
    const killsBefore = master.counters.kills;
    await rescale(d, id, 1);
    await waitFor('two released TaskManager tasks gone', () => (master.liveTasks().length === 1 && master.taskPids().length === 1 ? true : undefined), 15_000);
    expect(master.counters.kills - killsBefore).toBe(2);
    await writeTransactions(d.redis, s.txns.slice(feed + 2000));
    await expectReferenceAlerts(d, id, s);
    // The job process notices the closed connection or the task's TASK_FAILED first, whichever comes first.
    const exceptions = (await (await fetch(`${d.url}/jobs/${id}/exceptions`)).json()) as any;
    expect(exceptions.exceptionHistory.entries[0].stacktrace).toMatch(/TaskManager [0-9a-f]{8}-taskmanager-0000[12]/);

    // Cancel: every task killed, the framework torn down, no process left.
    const kills = master.counters.kills;
    await cancelJob(d, id);
    await waitFor('no live Mesos task', () => (master.liveTasks().length === 0 && master.taskPids().length === 0 ? true : undefined), 15_000);
    expect(master.counters.kills - kills).toBeGreaterThanOrEqual(1);
    expect(master.counters.teardowns).toBe(1);
    expect(master.framework(framework.id)).toBeUndefined();
    expect(master.counters.launches).toBe(4);
    expect(master.violations).toEqual([]);
    expect(await d.redis.keys(`${d.keyPrefix}mesos:${id}:*`)).toEqual([]);
  });
});
