/**
 * The test Mesos master: the protocol core (master-core.ts) plus the hooks
 * tests use to make things go wrong (drop or silence a subscription, withdraw
 * or rescind offers, remove an agent, crash a task) and views of its state.
 */
import { TERMINAL_STATES, type TaskState, type TaskStatus } from '../../resourcemanager/mesos/types.js';
import { masterStatus, partitionAware, type FrameworkRecord, type TaskRecord } from './framework.js';
import { MasterCore } from './master-core.js';

export type { AfterCall, AfterOffers, TestMasterOptions } from './master-core.js';

export class TestMesosMaster extends MasterCore {
  framework(id?: string): FrameworkRecord | undefined {
    return id ? this.fw.get(id) : [...this.fw.values()][0];
  }

  /** Breaks a framework's subscription stream, as a network failure would. */
  dropSubscription(frameworkId?: string): boolean {
    const f = this.framework(frameworkId);
    if (!f?.stream) return false;
    f.stream.destroy();
    return true;
  }

  /** Stops sending heartbeats (and everything else) on a framework's stream while keeping it open: a silent partition. */
  silence(frameworkId?: string): boolean {
    const f = this.framework(frameworkId);
    if (!f?.stream) return false;
    clearInterval(f.heartbeat);
    const stream = f.stream;
    f.stream = undefined; // events are dropped; calls get 403 until the framework subscribes again
    f.streamId = undefined;
    stream.on('close', () => { if (!f.stream) this.detach(f, true); });
    return true;
  }

  /** Withdraws a framework's outstanding offers without telling it (an ACCEPT of them then fails). */
  invalidateOffers(frameworkId?: string): number {
    const f = this.framework(frameworkId);
    if (!f) return 0;
    const n = f.offers.size;
    this.offers.drop(f);
    return n;
  }

  rescindOffers(frameworkId?: string): number {
    const f = this.framework(frameworkId);
    return f ? this.offers.rescind(f) : 0;
  }

  /** An agent disappears: its tasks die, frameworks get LOST (or UNREACHABLE), RESCIND and FAILURE. */
  removeAgent(agentId: string): void {
    const agent = this.agents.find((a) => a.id === agentId);
    if (!agent?.active) return;
    agent.shutdown();
    for (const f of this.fw.values()) {
      this.offers.rescind(f, agentId);
      for (const t of f.tasks.values()) {
        if (t.agentId !== agentId || t.terminal || TERMINAL_STATES.has(t.state)) continue;
        clearTimeout(t.retryTimer);
        t.inflight = undefined;
        t.queue.length = 0;
        const state: TaskState = partitionAware(f) ? 'TASK_UNREACHABLE' : 'TASK_LOST';
        t.state = state;
        t.statusUpdateState = state;
        if (state === 'TASK_LOST') t.terminal = true;
        const st: TaskStatus = { ...masterStatus(t.info.task_id.value, state, 'REASON_AGENT_REMOVED', 'Agent removed', agentId), ...(state === 'TASK_UNREACHABLE' ? { unreachable_time: { nanoseconds: Date.now() * 1e6 } } : {}) };
        this.send(f, { type: 'UPDATE', update: { status: st } });
      }
      this.send(f, { type: 'FAILURE', failure: { agent_id: { value: agentId } } });
    }
  }

  /** Loses the next `n` launches: the ACCEPT is taken, the task never exists (a launch message lost on the way). */
  loseLaunches(n: number): void {
    this.launchesToLose = n;
  }

  /** The process of a task dies on its own. */
  crashTask(taskId: string): boolean {
    for (const f of this.fw.values()) {
      const t = f.tasks.get(taskId);
      if (t) return this.agents.find((a) => a.id === t.agentId)?.crash(taskId) ?? false;
    }
    return false;
  }

  /** Tasks not in a terminal state, across frameworks (including removed ones whose processes still run). */
  liveTasks(): TaskRecord[] {
    return [...this.fw.values()].flatMap((f) => [...f.tasks.values()].filter((t) => !t.terminal && !TERMINAL_STATES.has(t.state)));
  }

  /** Every task ever launched, of live and removed frameworks. */
  allTasks(): TaskRecord[] {
    return [...this.fw.values(), ...this.removedFrameworks].flatMap((f) => [...f.tasks.values()]);
  }

  /** pids of task processes still running on any agent. */
  taskPids(): number[] {
    return this.agents.flatMap((a) => a.pids());
  }
}
