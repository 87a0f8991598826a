/**
 * JobMaster failover without processes (testing TaskManagers, driver and registry): the restart
 * strategy (a failed subtask restarts every subtask from the latest checkpoint, until the attempts
 * are used up), a lost TaskManager (replaced, the job restarts), the exception history, and the
 * JobMaster's side of fencing (reports of earlier attempts or from the wrong TaskManager are ignored).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TestingCluster } from '../helpers/testing-cluster.js';
import { waitFor } from '../helpers/wait-for.js';

let cluster: TestingCluster | undefined;
afterEach(async () => { await cluster?.stop(); cluster = undefined; });

const running = (c: TestingCluster) => [...c.executions.values()].filter((e) => e.state === 'RUNNING');

describe('JobMaster failover', () => {
  it('runs the job: every subtask deployed into its slot, checkpoints complete', async () => {
    cluster = await TestingCluster.start();
    expect(cluster.parallelism()).toEqual([2, 2]);
    expect(cluster.driver.requested.map((w) => w.resourceId)).toEqual(['0cafe000-taskmanager-00001', '0cafe000-taskmanager-00002']);
    await waitFor('a completed checkpoint', () => (cluster!.registry.checkpointStats as { counts?: { completed: number } })?.counts?.completed);
  });
});

describe('JobMaster failover: restarts', () => {
  it('restarts every subtask from the latest checkpoint after a subtask fails, and fails the job once the restart strategy is used up', async () => {
    cluster = await TestingCluster.start({ configuration: { 'restart-strategy.fixed-delay.attempts': 1 } });
    const c = cluster;
    await waitFor('a completed checkpoint', () => (c.registry.checkpointStats as { counts?: { completed: number } })?.counts?.completed);
    const first = running(c);
    c.failExecution(first[0]!, 'Error: boom\n    at userCode (job.mjs:1:1)');
    await c.waitForState('RUNNING', 2);
    expect(c.registry.states).toEqual(['CREATED', 'RUNNING', 'RESTARTING', 'RUNNING']);
    // Every subtask of the first attempt was cancelled or failed; the second attempt restores from a checkpoint.
    expect(first.every((e) => e.state === 'CANCELED' || e.state === 'FAILED')).toBe(true);
    const second = running(c);
    expect(second).toHaveLength(4);
    expect(second.every((e) => e.attempt === 1 && /chk-\d+$/.test(e.restorePath))).toBe(true);

    c.failExecution(second[1]!, 'Error: boom again');
    expect(await c.ended()).toBe(1);
    cluster = undefined;
    expect(c.registry.job.state).toBe('FAILED');
    expect(c.registry.job.failureCause).toMatch(/failed: Error: boom again\n\(restart strategy fixed-delay allows 1 restart\(s\), all used\)$/);
    // The exception history: the first failure (with its task), the second, and the final cause.
    const history = c.registry.job.exceptions!;
    expect(history.map((x) => x.cause.split('\n')[0])).toEqual([
      expect.stringMatching(/^subtask \d of ".*" failed: Error: boom$/),
      expect.stringMatching(/^subtask \d of ".*" failed: Error: boom again$/),
      expect.stringMatching(/^subtask \d of ".*" failed: Error: boom again$/),
    ]);
    expect(history[0]!.taskName).toMatch(/\(\d\/2\)$/);
    expect(c.driver.terminated).toBe(true);
  });

  it('replaces a lost TaskManager and restarts the job on the slots there are then', async () => {
    cluster = await TestingCluster.start();
    const c = cluster;
    const onLost = running(c).filter((e) => e.resourceId === '0cafe000-taskmanager-00001');
    expect(onLost).toHaveLength(2);
    c.kill('0cafe000-taskmanager-00001');
    await c.waitForState('RUNNING', 2);
    expect(c.driver.requested.map((w) => w.resourceId)).toEqual(['0cafe000-taskmanager-00001', '0cafe000-taskmanager-00002', '0cafe000-taskmanager-00003']);
    expect(new Set(running(c).map((e) => e.resourceId))).toEqual(new Set(['0cafe000-taskmanager-00002', '0cafe000-taskmanager-00003']));
    expect(c.parallelism()).toEqual([2, 2]);
    const lost = c.registry.job.exceptions!.at(-1)!;
    expect(lost).toMatchObject({ cause: 'lost the connection to TaskManager 0cafe000-taskmanager-00001 (pid 4242)', taskName: '0cafe000-taskmanager-00001' });
    await waitFor('the lost TaskManager\'s record to go', () => !c.registry.taskManagers.has('0cafe000-taskmanager-00001') && c.registry.taskManagers.size === 2);
  });

  it('ignores reports of an earlier attempt\'s executions and of executions hosted on another TaskManager', async () => {
    cluster = await TestingCluster.start();
    const c = cluster;
    const old = running(c)[0]!;
    c.failExecution(old, 'Error: first failure');
    await c.waitForState('RUNNING', 2);
    // The failed execution's TaskManager reports it FAILED again (a late duplicate of the earlier attempt),
    // and another TaskManager reports a current execution it does not host.
    const current = running(c).find((e) => e.resourceId === '0cafe000-taskmanager-00001')!;
    const before = c.log.matching('ignored a report').length;
    c.tm(old.resourceId).jobMaster.updateTaskExecutionState({ executionId: old.id, state: 7, error: 'late report of attempt 0' });
    c.tm('0cafe000-taskmanager-00002').jobMaster.updateTaskExecutionState({ executionId: current.id, state: 7, error: 'not mine' });
    await waitFor('both reports to be ignored', () => c.log.matching('ignored a report').length >= before + 2);
    expect(c.registry.count('RESTARTING')).toBe(1);
    expect(c.registry.job.state).toBe('RUNNING');
    expect(c.registry.job.exceptions!.map((x) => x.cause)).not.toContainEqual(expect.stringContaining('not mine'));
  });
});
