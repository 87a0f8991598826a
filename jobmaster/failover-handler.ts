/**
 * Failover: a failed subtask or a lost TaskManager makes the job restart from
 * its latest completed checkpoint as the restart strategy allows (RESTARTING,
 * every execution cancelled, a new attempt), or fail once it allows no more.
 * A TaskManager loss that only touches a rescale that has not switched yet
 * fails that rescale instead. Keeps the exception history.
 */
import type { JobException } from '../metadata/index.js';
import type { ResourceManager } from '../resourcemanager/index.js';
import type { CheckpointCoordinator } from './checkpoint-coordinator.js';
import type { Execution } from './execution-graph.js';
import { restartDelay } from './job-config.js';
import type { JobRuntime, Outcome } from './job-runtime.js';
import { slotsNeeded } from './job-scale.js';
import type { JobStatusWriter } from './job-status-writer.js';
import type { RescaleCoordinator } from './rescale-coordinator.js';
import type { SlotScheduler } from './slot-scheduler.js';
import type { TaskManagerPool } from './task-manager-pool.js';

/**
 * How long a subtask's closed data connection waits for the TaskManager loss that explains it. The
 * loss itself restarts the job at once; this only delays a restart for a peer that did not die (its
 * own failure report usually came first anyway). A busy job process takes a few event-loop turns to
 * see a dead TaskManager's connection close: 300 ms proved too short on a loaded machine.
 */
const PEER_LOSS_GRACE_MS = 1000;
const ENDED = ['FINISHED', 'CANCELED', 'FAILED'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FailoverParts {
  runtime: JobRuntime;
  pool: TaskManagerPool;
  rm: ResourceManager;
  coordinator: CheckpointCoordinator;
  rescaler: RescaleCoordinator;
  slots: SlotScheduler;
  writer: JobStatusWriter;
  /** Fails a scale request that waits for slots; true if one was waiting. */
  abortScaleWait(cause: string): boolean;
  /** The job ends (no restart left). */
  end(outcome: Outcome): void;
}

export class FailoverHandler {
  private restarts = 0;
  /** Failures so far, newest last (restarts, rolled-back rescales, the final cause). */
  readonly exceptions: JobException[];

  constructor(private readonly o: FailoverParts, earlier: JobException[] = []) {
    this.exceptions = [...earlier];
  }

  /** A subtask reported FAILED with `error`. */
  executionFailed(e: Execution, error: string): void {
    const { runtime } = this.o;
    const name = runtime.plan.graph.vertices.find((v) => v.id === e.vertexId)?.name ?? e.vertexId;
    const fail = () => void this.handleFailure(`subtask ${e.subtaskIndex} of "${name}" failed: ${error || 'unknown error'}`, `${name} (${e.subtaskIndex + 1}/${runtime.graph.parallelismOf(e.vertexId)})`);
    // A data connection that closed under a subtask usually means the TaskManager at its other end
    // died, and its RPC connection's close may reach us a moment later: give that loss the chance to
    // be the recorded cause (the restart is the same either way).
    // The second, short timer is armed only when the first fired, so at least one poll phase runs
    // between them: a busy event loop fires an overdue timer before the I/O (that close) that
    // arrived while it was busy.
    if (/data connection to \S+ was closed/.test(error)) {
      setTimeout(() => setTimeout(() => { if (runtime.graph.executions.get(e.id) === e) fail(); }, 20), PEER_LOSS_GRACE_MS);
    }
    else fail();
  }

  /** A failure: restart from the latest checkpoint if the strategy allows, else fail the job. */
  async handleFailure(cause: string, taskName: string | null): Promise<void> {
    const { runtime, coordinator } = this.o;
    if (runtime.phase === 'ENDING' || runtime.phase === 'RESTARTING') return;
    this.exceptions.push({ timestamp: Date.now(), cause, taskName, location: null });
    // A scale request still waiting for slots fails now, with this cause (before the restart needs them).
    this.o.abortScaleWait(`the job is restarting: ${cause}`);
    this.o.rescaler.abort(`the job is restarting: ${cause}`);
    coordinator.stop();
    coordinator.abort(`the job is restarting: ${cause}`);
    const strategy = runtime.config.restartStrategy;
    const delay = restartDelay(strategy, this.restarts + 1);
    if (delay === undefined) {
      const why = strategy.type === 'none' ? 'restarts are disabled' : `restart strategy ${strategy.type} allows ${strategy.attempts} restart(s), all used`;
      this.o.end({ state: 'FAILED', cause: `${cause}\n(${why})` });
      return;
    }
    this.restarts++;
    runtime.phase = 'RESTARTING';
    runtime.log.warn({ cause, restart: this.restarts, delayMs: delay }, 'restarting the job');
    void this.o.writer.transition('RESTARTING', { exceptions: this.exceptions.slice(-20) });
    await this.cancelExecutions();
    await sleep(delay);
    if (runtime.phase !== 'RESTARTING') return;
    runtime.attempt++;
    this.o.slots.startAttempt();
  }

  /** Asks every running execution to cancel and waits (bounded) for them to stop. */
  async cancelExecutions(): Promise<void> {
    const { runtime, pool } = this.o;
    const graph = runtime.graph;
    for (const e of graph.all()) {
      if (ENDED.includes(e.state)) continue;
      const live = e.state === 'RUNNING' || e.state === 'DEPLOYING' || e.state === 'SCHEDULED';
      // On a TaskManager that is gone there is nothing left to cancel.
      if (live && pool.gateway(e.resourceId).cancel(e.id) === 'sent') graph.setState(e.id, 'CANCELING');
      else graph.setState(e.id, 'CANCELED');
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && graph.all().some((e) => e.state === 'CANCELING')) await sleep(20);
    for (const e of graph.all()) if (!ENDED.includes(e.state)) graph.setState(e.id, 'CANCELED');
    this.o.writer.scheduleVertexWrite();
  }

  /** The pool lost a TaskManager (connection closed, heartbeats missed). */
  taskManagerLost(resourceId: string, cause: string): void {
    const { runtime, rm, rescaler } = this.o;
    rm.workerLost(resourceId).catch((err: Error) => runtime.log.warn({ resourceId, err: err.message }, 'stopping a lost TaskManager failed'));
    this.o.writer.removeTaskManager(resourceId);
    const phase = runtime.phase;
    const lost = runtime.graph.all().filter((e) => e.resourceId === resourceId && !ENDED.includes(e.state));
    for (const e of lost) runtime.graph.setState(e.id, phase === 'ENDING' || phase === 'RESTARTING' ? 'CANCELED' : 'FAILED', cause);
    if (phase === 'ENDING') return;
    runtime.log.warn({ resourceId, cause }, 'TaskManager lost');
    if (lost.length && (phase === 'DEPLOYING' || phase === 'RUNNING')) {
      // Only subtasks a rescale was adding, before anything switched: that rescale fails, the job goes on.
      if (rescaler.canRollBack() && lost.every((e) => e.added)) {
        rescaler.abort(cause);
        this.recordRolledBackLoss(cause, resourceId);
      } else void this.handleFailure(cause, resourceId);
    } else if (phase === 'WAITING_FOR_SLOTS') rm.ensureSlots(slotsNeeded(runtime.desired()));
    else if (phase === 'RUNNING' && (this.o.abortScaleWait(cause) || rescaler.canRollBack())) {
      // A TaskManager without running subtasks (typically the one just started for the rescale), lost
      // while a rescale has not switched yet (waiting for slots, or in its pre-flight checkpoint): the
      // rescale may have counted on its slots, so it fails now, naming it, rather than later with
      // "no free slot" or after the resource wait timeout. Nothing ran there: no restart.
      rescaler.abort(cause);
      this.recordRolledBackLoss(cause, resourceId);
    }
  }

  /** The driver reports a worker stopped (crash, kill, lost agent). */
  workerTerminated(resourceId: string, cause: string): void {
    const { runtime, pool, rm } = this.o;
    if (pool.tms.has(resourceId)) pool.lose(resourceId, cause);
    // Its connection closed first and that loss was handled; the process exit is no second event.
    else if (pool.registeredOnce(resourceId)) return;
    else if (runtime.phase === 'WAITING_FOR_SLOTS') rm.ensureSlots(slotsNeeded(runtime.desired()));
    // A TaskManager requested for a rescale died before it registered: that request fails now, naming it.
    else if (runtime.phase === 'RUNNING' && this.o.abortScaleWait(cause)) this.recordRolledBackLoss(cause, resourceId);
  }

  /** A TaskManager loss that only failed the rescale in progress (rolled back, no restart) still belongs in the exception history. */
  private recordRolledBackLoss(cause: string, resourceId: string): void {
    this.exceptions.push({ timestamp: Date.now(), cause: `${cause}\n(a rescale in progress was rolled back; the job was not restarted)`, taskName: resourceId, location: null });
    void this.o.writer.exceptionsChanged(this.exceptions);
  }
}
