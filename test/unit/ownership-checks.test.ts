/**
 * Checks that apply after a peer is connected (a valid-but-confused or forged TaskManager must not
 * do damage), on the JobMaster with in-memory TaskManagers (TestingCluster):
 * - a second registration of a registered, connected resource id is refused and logged; the
 *   registered TaskManager keeps its slots and commands; a TaskManager whose connection closed may
 *   register again as far as the pool is concerned;
 * - status updates, checkpoint acknowledgements and declines for an execution hosted on another
 *   TaskManager are ignored and logged (a forged FAILED restarts nothing, forged acks complete no
 *   checkpoint, a forged decline fails none).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TaskManagerPool } from '../../jobmaster/task-manager-pool.js';
import { ExecutionState, newJobMasterId } from '../../rpc/index.js';
import { SubtaskState } from '../../runtime/checkpoint/snapshot-io.js';
import { captureLog } from '../helpers/log-capture.js';
import { TestingCluster, type FakeExecution } from '../helpers/testing-cluster.js';
import { TestingTaskExecutorGateway } from '../helpers/testing-task-executor-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

let cluster: TestingCluster | undefined;
afterEach(async () => { await cluster?.stop(); cluster = undefined; });

const running = (c: TestingCluster) => [...c.executions.values()].filter((e) => e.state === 'RUNNING');
type Counts = { completed: number; failed: number; in_progress: number };
const counts = (c: TestingCluster): Counts => ((c.registry.checkpointStats as { counts?: Counts } | undefined)?.counts ?? { completed: 0, failed: 0, in_progress: 0 });

describe('registration fencing', () => {
  it('refuses a second registration of a registered, connected TaskManager; the registered one stays', async () => {
    cluster = await TestingCluster.start();
    const c = cluster;
    const real = c.tm('0cafe000-taskmanager-00001');
    const impostor = c.endpoint.register('0cafe000-taskmanager-00001', { jobId: c.spec.jobId, pid: 6666, slots: 4 });
    expect(impostor.registered).toBeUndefined();
    expect(impostor.answer).toEqual({ accepted: false, reason: 'TaskManager 0cafe000-taskmanager-00001 is already registered with this JobMaster' });
    expect(c.log.matching('refused a second registration')).toEqual([
      expect.objectContaining({ resourceId: '0cafe000-taskmanager-00001', pid: 6666, registeredPid: 4242, level: 40 }),
    ]);
    // Still the real one: its record, its gateway, its slot count.
    expect(c.tm('0cafe000-taskmanager-00001')).toBe(real);
    expect(real.pool.tms.get('0cafe000-taskmanager-00001')).toBe(real.registered);
    expect(real.pool.slots().filter((s) => s.tm.resourceId === '0cafe000-taskmanager-00001')).toHaveLength(1);

    // A restart redeploys on the real TaskManager: the impostor receives no command (no deployment descriptor).
    c.failExecution(running(c)[0]!, 'Error: boom');
    await c.waitForState('RUNNING', 2);
    expect(impostor.gateway.calls).toEqual([]);
    expect(real.gateway.sent('deploy').filter((d) => d.attempt === 1)).toHaveLength(2);
    expect(c.registry.job.state).toBe('RUNNING');
  });

  it('lets a TaskManager whose connection closed register again (the pool forgot it)', () => {
    const log = captureLog();
    const lost: string[] = [];
    const pool = new TaskManagerPool(
      { jobMasterId: newJobMasterId(), heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 60_000, logger: log.logger },
      { accept: () => true, registered: () => {}, heartbeat: () => {}, message: () => {}, lost: (rid) => { lost.push(rid); } },
    );
    const registration = { resourceId: 'tm-1', jobId: 'job', slots: 1, pid: 1, dataHost: '127.0.0.1', dataPort: 1 };
    const first = pool.register(registration, new TestingTaskExecutorGateway('tm-1'), () => {});
    expect(first).toBeDefined();
    expect(pool.register({ ...registration, pid: 2 }, new TestingTaskExecutorGateway('tm-1'), () => {})).toBeUndefined();
    pool.disconnected(first!);
    expect(lost).toEqual(['tm-1']);
    const again = pool.register({ ...registration, pid: 3 }, new TestingTaskExecutorGateway('tm-1'), () => {});
    expect(again?.pid).toBe(3);
    expect(pool.isCurrent(again!)).toBe(true);
    pool.close();
  });
});

describe('reports of executions hosted elsewhere', () => {
  it('ignores and logs a FAILED status for an execution running on another TaskManager (no restart)', async () => {
    cluster = await TestingCluster.start();
    const c = cluster;
    const victim = running(c).find((e) => e.resourceId === '0cafe000-taskmanager-00001')!;
    c.tm('0cafe000-taskmanager-00002').jobMaster.updateTaskExecutionState({ executionId: victim.id, state: ExecutionState.FAILED, error: 'forged failure' });
    const ignored = await waitFor('the forged report to be ignored', () => c.log.matching('not hosted on the reporting TaskManager')[0]);
    expect(ignored).toMatchObject({ resourceId: '0cafe000-taskmanager-00002', executionId: victim.id, msg: 'ignored a report of an execution not hosted on the reporting TaskManager', hostedOn: '0cafe000-taskmanager-00001', level: 40 });
    // The job goes on: another checkpoint completes after it, and nothing restarted.
    const done = counts(c).completed;
    await waitFor('a later checkpoint', () => counts(c).completed > done);
    expect(c.registry.count('RESTARTING')).toBe(0);
    expect(c.registry.job.exceptions ?? []).toEqual([]);
  });

  it('ignores acknowledgements and declines of another TaskManager\'s executions', async () => {
    cluster = await TestingCluster.start();
    const c = cluster;
    await waitFor('a completed checkpoint', () => counts(c).completed > 0);
    // From now on the fake TaskManagers acknowledge nothing by themselves: the next checkpoint stays pending.
    c.answers.ack = () => false;
    const before = counts(c);
    const triggers = () => [...c.endpoint.taskManagers.values()].flatMap((tm) => tm.gateway.sent('triggerCheckpoint'));
    const seen = triggers().length;
    await waitFor('a new checkpoint to be triggered', () => triggers().length > seen);
    const id = Number(triggers().at(-1)!.checkpointId);
    const all = running(c);
    const elsewhere = all.filter((e: FakeExecution) => e.resourceId === '0cafe000-taskmanager-00001');
    const own = all.filter((e: FakeExecution) => e.resourceId === '0cafe000-taskmanager-00002');
    const forger = c.tm('0cafe000-taskmanager-00002').jobMaster;
    const subtaskState = (e: FakeExecution) => SubtaskState.encode({ subtaskIndex: e.subtaskIndex }).finish();
    const warned = () => c.log.matching('not hosted on the reporting TaskManager').length;

    // 0cafe000-taskmanager-00002 acknowledges every execution, its own and 0cafe000-taskmanager-00001's: only its own count.
    for (const e of all) forger.acknowledgeCheckpoint({ executionId: e.id, checkpointId: id, subtaskState: subtaskState(e), alignmentMs: 0 });
    forger.declineCheckpoint({ executionId: elsewhere[0]!.id, checkpointId: id, reason: 'forged decline' });
    await waitFor('the forged acknowledgements and the decline to be ignored', () => warned() >= elsewhere.length + 1);
    expect(counts(c)).toMatchObject({ completed: before.completed, failed: before.failed });

    // The real owner's acknowledgements complete it (its own were taken from 0cafe000-taskmanager-00002).
    expect(own.length).toBeGreaterThan(0);
    for (const e of elsewhere) c.tm('0cafe000-taskmanager-00001').jobMaster.acknowledgeCheckpoint({ executionId: e.id, checkpointId: id, subtaskState: subtaskState(e), alignmentMs: 0 });
    await waitFor(`checkpoint ${id} to complete`, () => counts(c).completed > before.completed);
    expect(counts(c).failed).toBe(before.failed);
  });
});
