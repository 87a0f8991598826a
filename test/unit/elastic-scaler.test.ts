/**
 * The elastic scaler without processes: a parallelism request waits for every slot it needs (and
 * only for them: strict), fails after the resource wait timeout leaving the job as it was, a
 * requirements change takes what arrived within the stabilization timeout, and a job that restarted
 * below its requirements scales back up in place once slots return. Each of them lands in the
 * job's rescale history with its trigger, outcome, steps and TaskManagers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TestingCluster } from '../helpers/testing-cluster.js';
import { waitFor } from '../helpers/wait-for.js';

let cluster: TestingCluster | undefined;
afterEach(async () => { await cluster?.stop(); cluster = undefined; });

const WAITS = { 'jobmanager.adaptive-scheduler.resource-wait-timeout': '600 ms', 'jobmanager.adaptive-scheduler.resource-stabilization-timeout': '150 ms' };

describe('elastic scaler', () => {
  it('a parallelism request waits for all the slots it needs, past the stabilization timeout', async () => {
    cluster = await TestingCluster.start({ startLimit: 2, configuration: { ...WAITS, 'jobmanager.adaptive-scheduler.resource-wait-timeout': '5 s' } });
    const c = cluster;
    const op = c.ops.submit({ kind: 'rescale', parallelism: 3 });
    await waitFor('the request to wait for its slot', () => op.phases.includes('waiting for 3 slot(s) (2 registered)'));
    expect(c.driver.requested.map((w) => w.resourceId)).toEqual(['0cafe000-taskmanager-00001', '0cafe000-taskmanager-00002', '0cafe000-taskmanager-00003']);
    // Longer than the stabilization timeout: a strict request does not settle for what is there.
    const since = Date.now();
    await waitFor('twice the stabilization timeout', () => Date.now() - since > 300 && Date.now());
    expect(op.settled).toBeUndefined();
    expect(c.startPending()).toEqual(['0cafe000-taskmanager-00003']);
    await op.done;
    expect(c.parallelism()).toEqual([3, 3]);
  });

  it('a parallelism the provider cannot give fails after the resource wait timeout; pending requests are withdrawn and the job is unchanged', async () => {
    cluster = await TestingCluster.start({ startLimit: 3, configuration: WAITS });
    const c = cluster;
    const op = c.ops.submit({ kind: 'rescale', parallelism: 4 });
    await expect(op.done).rejects.toThrow('could not get 4 slot(s) within 600 ms (jobmanager.adaptive-scheduler.resource-wait-timeout) from the testing resource manager: 3 available, 1 TaskManager(s) requested and not started; the job keeps running at its current parallelism');
    expect(c.driver.released).toContain('0cafe000-taskmanager-00004');
    await waitFor('the idle TaskManager to be released', () => c.driver.released.includes('0cafe000-taskmanager-00003'));
    expect(c.parallelism()).toEqual([2, 2]);
    expect(c.tm('0cafe000-taskmanager-00001').gateway.sent('prepareRescale')).toEqual([]);
    expect(c.registry.count('RESTARTING')).toBe(0);
    const [failed] = c.registry.rescales;
    expect(c.registry.rescales).toHaveLength(1);
    expect(failed).toMatchObject({ trigger: 'user', triggerId: 'op-1', status: 'FAILED', statistics: null, slots: { desired: 4, before: 2, after: null } });
    expect(failed!.failureCause).toContain('could not get 4 slot(s) within 600 ms');
    expect(failed!.phases.map((p) => [p.phase, p.error !== null])).toEqual([['waiting for 4 slot(s) (2 registered)', true]]);
    expect(failed!.vertices.map((v) => [v.before, v.desired, v.after])).toEqual([[2, 4, null], [2, 4, null]]);
  });

  it('a requirements change takes the slots that arrived within the stabilization timeout', async () => {
    cluster = await TestingCluster.start({ startLimit: 3, configuration: WAITS });
    const c = cluster;
    const [src, win] = c.vertices;
    const requirements = { [src]: { parallelism: { lowerBound: 1, upperBound: 4 } }, [win]: { parallelism: { lowerBound: 1, upperBound: 4 } } };
    const op = c.ops.submit({ kind: 'rescale', requirements });
    const { result } = await op.done as { result: { requirements: unknown; parallelism: { after: Record<string, number> } } };
    expect(result.parallelism.after).toEqual({ [src]: 3, [win]: 3 });
    expect(result.requirements).toEqual(requirements);
    expect(c.registry.job.resourceRequirements).toEqual(requirements);
    expect(c.parallelism()).toEqual([3, 3]);
    const [done] = c.registry.rescales;
    expect(done).toMatchObject({ trigger: 'requirements', triggerId: 'op-1', status: 'COMPLETED', attempt: 1, taskManagers: { added: ['0cafe000-taskmanager-00003'], released: [] } });
    expect(done!.vertices.map((v) => [v.id, v.before, v.desired, v.sufficient, v.after])).toEqual([[src, 2, 4, 1, 3], [win, 2, 4, 1, 3]]);
    expect(done!.statistics).toMatchObject({ noop: false, parallelism: { after: { [src]: 3, [win]: 3 } }, subtasks: { added: 2 } });
    expect(done!.endTime! - done!.startTime).toBeGreaterThanOrEqual(0);
  });

  it('after a restart below its requirements, the job scales back up in place once slots return', async () => {
    cluster = await TestingCluster.start({ startLimit: 2, configuration: WAITS });
    const c = cluster;
    c.kill('0cafe000-taskmanager-00001');
    // The replacement is requested but does not start: after the stabilization timeout the job runs at 1.
    await c.waitForState('RUNNING', 2);
    expect(c.parallelism()).toEqual([1, 1]);
    expect(c.driver.requested.at(-1)!.resourceId).toBe('0cafe000-taskmanager-00003');
    const survivor = [...c.executions.values()].filter((e) => e.state === 'RUNNING');
    c.startPending();
    await waitFor('the job to scale back up in place', () => c.log.matching('rescaled in place').length === 1);
    expect(c.log.matching('slots returned: scaling back up')).toHaveLength(1);
    expect(c.parallelism()).toEqual([2, 2]);
    // In place: the running subtasks were kept (prepared, not redeployed), and the job did not restart again.
    expect(survivor.map((e) => [e.state, e.prepared !== undefined])).toEqual([["RUNNING", true], ["RUNNING", true]]);
    expect(c.registry.count('RESTARTING')).toBe(1);
    // Recorded without an operation: the job started it.
    await waitFor('the scale-up in the rescale history', () => c.registry.rescales[0]?.status === 'COMPLETED');
    expect(c.registry.rescales).toHaveLength(1);
    const [up] = c.registry.rescales;
    expect(up).toMatchObject({ trigger: 'adaptive', triggerId: null, slots: { before: 1, after: 2, desired: 2 }, taskManagers: { added: ['0cafe000-taskmanager-00003'], released: [] } });
    expect(up!.vertices.map((v) => [v.before, v.after])).toEqual([[1, 2], [1, 2]]);
    expect(up!.phases.length).toBeGreaterThan(0);
  });

  it('keeps the newest rescales up to web.adaptive-scheduler.rescale-history.size, and none at 0', async () => {
    cluster = await TestingCluster.start({ startLimit: 10, configuration: { ...WAITS, 'web.adaptive-scheduler.rescale-history.size': 2 } });
    const c = cluster;
    for (const p of [1, 2, 1]) await c.ops.submit({ kind: 'rescale', parallelism: p }).done;
    expect(c.registry.rescales.map((r) => [r.triggerId, r.status])).toEqual([['op-3', 'COMPLETED'], ['op-2', 'COMPLETED']]);
    // 2 → 1 leaves one TaskManager without subtasks: released.
    expect(c.registry.rescales[0]!.taskManagers!.released).toHaveLength(1);
    await c.ops.submit({ kind: 'rescale', parallelism: 1 }).done;
    expect(c.registry.rescales.map((r) => [r.triggerId, r.status, r.statistics?.noop])).toEqual([['op-4', 'IGNORED', true], ['op-3', 'COMPLETED', false]]);
    await cluster.stop();
    cluster = await TestingCluster.start({ startLimit: 2, configuration: { ...WAITS, 'web.adaptive-scheduler.rescale-history.size': 0 } });
    await cluster.ops.submit({ kind: 'rescale', parallelism: 1 }).done;
    expect(cluster.registry.rescales).toEqual([]);
  });
});
