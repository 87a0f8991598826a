/**
 * The JobMaster of one job, in the job's own process beside its
 * ResourceManager: plans the job from the bundle, gets slots, deploys one
 * subtask of every vertex into each slot (slot sharing), runs the checkpoint
 * coordinator, and on a failure restarts every subtask from the latest
 * completed checkpoint as the restart strategy allows. The job's scale (each
 * vertex's parallelism and key-group table, job-scale.ts) changes in place
 * through the ElasticScaler and RescaleCoordinator. Savepoints, stop and
 * rescale requests arrive through the job's operation queue in Redis. Every
 * state change is written to the job registry.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { JobException, JobState, OperationRecord } from '../metadata/index.js';
import { EXECUTION_STATES } from '../metadata/index.js';
import type { ebbflow } from '../proto/generated/rpc.js';
import type { ResourceManager } from '../resourcemanager/index.js';
import { ExecutionState, newJobMasterId, reportedExecution, toNumber, type SendResult, type TaskManagerMessage } from '../rpc/index.js';
import { latestCompletedCheckpoint, readMetadata, type MetadataPlain } from '../runtime/checkpoint/snapshot-io.js';
import { describeError } from '../runtime/errors.js';
import type { JobPlan } from '../runtime/plan.js';
import { CheckpointCoordinator } from './checkpoint-coordinator.js';
import { assignSlots, deploymentDescriptors, type Slot } from './deployment.js';
import { ElasticScaler, type ScaleRequest } from './elastic-scaler.js';
import { ExecutionGraph } from './execution-graph.js';
import { restartDelay } from './job-config.js';
import {
  defaultRequirements, fitRequirements, planScale, scaleOfCheckpoint, slotsNeeded, uniformParallelism, vertexLimits,
  type JobScale, type ResourceRequirements, type VertexLimits,
} from './job-scale.js';
import type { CompiledJobSpec } from './job-spec.js';
import type { JobMasterServices, JobStatusStore, OperationQueue } from './job-master-services.js';
import type { OperationOutcome } from './operation-runner.js';
import { RescaleCoordinator } from './rescale-coordinator.js';
import { TaskManagerPool, type RegisteredTaskManager } from './task-manager-pool.js';

type Outcome = { state: 'FINISHED' | 'CANCELED' } | { state: 'FAILED'; cause: string };
type Phase = 'PLANNING' | 'WAITING_FOR_SLOTS' | 'DEPLOYING' | 'RUNNING' | 'RESTARTING' | 'ENDING';
const ENDED = ['FINISHED', 'CANCELED', 'FAILED'];
/**
 * How long a subtask's closed data connection waits for the TaskManager loss that explains it. The
 * loss itself restarts the job at once; this only delays a restart for a peer that did not die (its
 * own failure report usually came first anyway). A busy job process takes a few event-loop turns to
 * see a dead TaskManager's connection close: 300 ms proved too short on a loaded machine.
 */
const PEER_LOSS_GRACE_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class JobMaster {
  private readonly jobMasterId = newJobMasterId();
  private plan!: JobPlan;
  private graph!: ExecutionGraph;
  private limits!: VertexLimits;
  /** The scale deployed now. */
  private scale!: JobScale;
  /** The scale of the latest completed checkpoint: what a restart resumes from. */
  private committed!: JobScale;
  private phase: Phase = 'PLANNING';
  private attempt = 0;
  private restarts = 0;
  private readonly exceptions: JobException[] = [];
  private pool!: TaskManagerPool;
  private rm!: ResourceManager;
  private coordinator!: CheckpointCoordinator;
  private rescaler!: RescaleCoordinator;
  private scaler!: ElasticScaler;
  private ops: OperationQueue | undefined;
  private slotTimer: NodeJS.Timeout | undefined;
  private stabilizeTimer: NodeJS.Timeout | undefined;
  private waitingSince = 0;
  private cancelRequested = false;
  private outcome!: (o: Outcome) => void;
  private readonly outcomePromise = new Promise<Outcome>((resolve) => { this.outcome = resolve; });
  private vertexWrite: NodeJS.Timeout | undefined;
  private statsWrite: NodeJS.Timeout | undefined;
  private readonly runningWaiters = new Set<() => void>();

  private readonly registry: JobStatusStore;

  constructor(private readonly spec: CompiledJobSpec, private readonly services: JobMasterServices, private readonly log: Logger) {
    this.registry = services.registry;
  }

  private get config() { return this.spec.config; }
  private checkpointBaseDir(): string { return join(this.config.checkpointDir ?? join(this.spec.dataDir, 'checkpoints'), this.spec.jobId); }
  private get resourceWaitMs(): number { return this.config.resourceWaitTimeoutMs ?? this.spec.slotRequestTimeoutMs; }

  /** Runs the job to a terminal state; resolves with the process exit code. */
  async run(): Promise<number> {
    const id = this.spec.jobId;
    let restore: MetadataPlain | undefined;
    let restorePath = this.spec.savepointPath;
    if (this.spec.recoveryAttempt > 0) {
      // A new job process for a job whose process died: carry on from the newest completed checkpoint
      // on disk (a checkpoint is complete once its _metadata exists), else from where the job started.
      const prior = await this.registry.get(id).catch(() => undefined);
      if (prior?.exceptions?.length) this.exceptions.push(...prior.exceptions);
      restorePath = (await latestCompletedCheckpoint(this.checkpointBaseDir())) ?? restorePath;
      this.log.info({ attempt: this.spec.recoveryAttempt, restorePath }, 'recovering the job in a new job process');
    }
    try {
      if (restorePath) {
        restore = await readMetadata(restorePath);
        this.config.maxParallelism ??= restore.maxParallelism;
      }
      this.plan = await this.services.planJob({
        bundlePath: this.spec.bundlePath, entryClass: this.spec.entryClass, programArgs: this.spec.programArgs,
        parallelism: this.spec.parallelism, maxParallelism: this.config.maxParallelism, defaultName: this.spec.defaultName,
      });
    } catch (err) {
      this.log.error({ err }, 'the job could not be planned');
      await this.registry.transition(id, 'FAILED', { failureCause: describeError(err) });
      return 1;
    }
    const graph = this.plan.graph;
    this.limits = vertexLimits(this.plan);
    const initial = uniformParallelism(graph, this.limits, this.spec.parallelism);
    this.committed = restore ? scaleOfCheckpoint(restore, graph, this.limits) : planScale(graph, this.limits, initial);
    // A savepoint taken at another parallelism is redistributed by the same planner as a rescale.
    this.scale = planScale(graph, this.limits, initial, this.committed);
    this.graph = new ExecutionGraph(graph, this.scale, this.limits.caps);
    if (this.cancelRequested) {
      await this.registry.transition(id, 'CANCELED', { name: graph.name });
      return 0;
    }
    const requirements = defaultRequirements(this.scale);
    await this.persist('record CREATED', () => this.registry.transition(id, 'CREATED', {
      name: graph.name, maxParallelism: graph.maxParallelism, vertices: this.graph.vertexInfo(), resourceRequirements: requirements,
    }));
    this.log.info({ vertices: graph.vertices.map((v) => v.name), restore: this.spec.savepointPath || undefined }, 'job planned');

    this.pool = new TaskManagerPool(
      { jobMasterId: this.jobMasterId, heartbeatIntervalMs: this.config.heartbeatIntervalMs, heartbeatTimeoutMs: this.config.heartbeatTimeoutMs, logger: this.log },
      {
        accept: (rid, jobId) => jobId === id && this.phase !== 'ENDING' && this.rm.registered(rid),
        registered: (tm) => { void this.registry.putTaskManager(this.tmRecord(tm)).catch(() => {}); this.tryDeploy(); this.scaler.slotsChanged(); },
        heartbeat: (tm) => { void this.registry.putTaskManager(this.tmRecord(tm)).catch(() => {}); },
        message: (tm, m) => this.onMessage(tm, m),
        lost: (rid, cause) => this.onTaskManagerLost(rid, cause),
      },
    );
    const address = await this.services.taskManagers.listen(this.pool);
    this.pool.start();
    this.rm = this.services.resourceManager(address, this.config.workerRetryIntervalMs);
    this.coordinator = this.createCoordinator();
    if (restore) this.coordinator.restoredFrom(restore.checkpointId, restorePath, restore.isSavepoint);
    this.rescaler = this.createRescaler();
    this.scaler = this.createScaler(requirements);
    let outcome: Outcome;
    try {
      await this.rm.start({
        onWorkerTerminated: (rid, cause) => {
          if (this.pool.tms.has(rid)) this.pool.lose(rid, cause);
          // Its connection closed first and that loss was handled; the process exit is no second event.
          else if (this.pool.registeredOnce(rid)) return;
          else if (this.phase === 'WAITING_FOR_SLOTS') this.rm.ensureSlots(slotsNeeded(this.scaler.desired()));
          // A TaskManager requested for a rescale died before it registered: that request fails now, naming it.
          else if (this.phase === 'RUNNING' && this.scaler.abortWait(cause)) this.recordRolledBackLoss(cause, rid);
        },
        onError: (err) => this.fail(`resource manager error: ${err.message}`),
      });
      this.ops = this.services.operations((op, progress) => this.runOperation(op, progress));
      if (this.spec.recoveryAttempt > 0) {
        await this.ops.failAbandoned(`JobProcessLost: the job process running this operation died; a new job process restored the job from ${restorePath || 'its start'}. Request it again if it is still wanted.`).catch(() => 0);
      }
      this.ops.start();
      this.startAttempt();
      outcome = await this.outcomePromise;
    } catch (err) {
      outcome = { state: 'FAILED', cause: describeError(err) };
    }
    return this.finish(outcome);
  }

  private createCoordinator(): CheckpointCoordinator {
    const cfg = this.config;
    return new CheckpointCoordinator(
      {
        jobId: this.spec.jobId, graph: this.plan.graph, logger: this.log,
        baseDir: this.checkpointBaseDir(),
        savepointDir: cfg.savepointDir ?? join(this.spec.dataDir, 'savepoints'),
        intervalMs: cfg.checkpointIntervalMs > 0 ? cfg.checkpointIntervalMs : 0, timeoutMs: cfg.checkpointTimeoutMs, retained: cfg.checkpointsRetained,
        tolerableFailures: cfg.tolerableCheckpointFailures,
      },
      {
        participants: () => {
          const members = this.graph.participants();
          if (this.phase !== 'RUNNING' || !members.every((e) => e.state === 'RUNNING')) return undefined;
          const sources = new Set(this.plan.graph.vertices.filter((v) => v.isSource).map((v) => v.id));
          const all = members.map((e) => ({ executionId: e.id, vertexId: e.vertexId }));
          return { all, sources: all.filter((t) => sources.has(t.vertexId)) };
        },
        trigger: (s, cid, dir, ts) => {
          const rid = this.graph.executions.get(s.executionId)?.resourceId;
          // Never acknowledged: the checkpoint fails by its timeout, or is aborted by that TaskManager's loss.
          this.undelivered(this.pool.gateway(rid).triggerCheckpoint({ executionId: s.executionId, checkpointId: cid, timestamp: ts, directory: dir }), rid, `trigger checkpoint ${cid}`);
        },
        notifyComplete: (cid) => {
          this.committed = this.scaleFor(cid);
          for (const rid of this.pool.broadcast((gw) => gw.notifyCheckpointComplete(cid))) this.undelivered('gone', rid, `notify checkpoint ${cid} complete`);
        },
        onFailureLimit: (cause) => this.fail(cause),
        statsChanged: () => this.scheduleStatsWrite(),
        scaleFor: (cid) => this.scaleFor(cid),
      },
    );
  }

  private scaleFor(checkpointId: number): JobScale {
    return this.rescaler.scaleFor(checkpointId) ?? this.scale;
  }

  private createRescaler(): RescaleCoordinator {
    return new RescaleCoordinator({
      plan: this.plan.graph, limits: this.limits, log: this.log, pool: this.pool, coordinator: this.coordinator,
      graph: () => this.graph, scale: () => this.scale,
      adopt: (s) => { this.scale = s; },
      deployContext: () => this.deployContext(),
      freeSlots: () => this.freeSlots(),
      changed: () => { this.scheduleVertexWrite(); this.refreshTaskManagerRecords(); },
      resumeCheckpoints: (now) => { if (this.phase === 'RUNNING') this.coordinator.start(now); },
      stepTimeoutMs: this.config.checkpointTimeoutMs,
    });
  }

  private createScaler(requirements: ResourceRequirements): ElasticScaler {
    return new ElasticScaler({
      plan: this.plan.graph, limits: this.limits, log: this.log,
      rm: () => this.rm, rescaler: () => this.rescaler, scale: () => this.scale, committed: () => this.committed,
      slots: () => this.pool.slots().length,
      running: () => this.phase === 'RUNNING',
      whenRunning: (ms) => this.whenRunning(ms),
      restart: (cause) => void this.handleFailure(cause, null),
      requirementsChanged: (req) => void this.persist('record the resource requirements', () => this.registry.update(this.spec.jobId, { resourceRequirements: req })),
      releaseIdle: () => this.releaseIdle(),
      persistNow: () => this.persistNow(),
      resourceWaitMs: this.resourceWaitMs,
      stabilizationMs: this.config.resourceStabilizationTimeoutMs,
    }, requirements);
  }

  private deployContext() {
    return {
      jobId: this.spec.jobId, bundlePath: this.spec.bundlePath, entryClass: this.spec.entryClass, programArgs: this.spec.programArgs,
      planParallelism: this.spec.parallelism, checkpointing: this.config.checkpointIntervalMs > 0, restorePath: this.coordinator.latest() ?? '', attempt: this.attempt,
    };
  }

  private startAttempt(): void {
    this.phase = 'WAITING_FOR_SLOTS';
    this.waitingSince = Date.now();
    this.scheduleVertexWrite();
    const desired = this.scaler.desired();
    this.rm.ensureSlots(slotsNeeded(desired));
    clearTimeout(this.slotTimer);
    clearTimeout(this.stabilizeTimer);
    this.slotTimer = setTimeout(() => {
      // Out of time: run with what meets the lower bounds, if anything does, else give up.
      this.tryDeploy(true);
      if (this.phase === 'WAITING_FOR_SLOTS') this.fail(`could not get ${slotsNeeded(desired)} slot(s) within ${this.resourceWaitMs} ms from the ${this.rm.driverName} resource manager (${this.pool.slots().length} available, not enough for the lower bounds of the requirements; workers: ${this.rm.describe()})`);
    }, this.resourceWaitMs);
    this.stabilizeTimer = setTimeout(() => this.tryDeploy(true), this.config.resourceStabilizationTimeoutMs);
    this.tryDeploy();
  }

  /**
   * Deploys once the slots the requirements ask for registered — or, after the stabilization timeout,
   * with the slots there are if they meet the lower bounds. Slot i hosts subtask i of every vertex.
   */
  private tryDeploy(stabilized = false): void {
    if (this.phase !== 'WAITING_FOR_SLOTS') return;
    const slots = this.pool.slots();
    const desired = this.scaler.desired();
    let target: Map<string, number> | undefined = slots.length >= slotsNeeded(desired) ? desired : undefined;
    // `stabilized` comes from the stabilization timer, which may fire a millisecond before Date.now() shows the timeout passed.
    if (!target && (stabilized || Date.now() - this.waitingSince >= this.config.resourceStabilizationTimeoutMs)) {
      target = fitRequirements(this.plan.graph, this.limits, this.scaler.requirements, slots.length, this.committed);
    }
    if (!target) return;
    clearTimeout(this.slotTimer);
    clearTimeout(this.stabilizeTimer);
    this.scale = planScale(this.plan.graph, this.limits, target, this.committed, this.coordinator.stateSizes().perKeyGroup);
    this.graph = new ExecutionGraph(this.plan.graph, this.scale, this.limits.caps);
    assignSlots(this.graph, slots, slotsNeeded(this.scale));
    this.phase = 'DEPLOYING';
    const ctx = this.deployContext();
    if (ctx.restorePath) {
      this.log.info({ restorePath: ctx.restorePath, attempt: this.attempt }, 'restoring state');
      if (this.attempt > 0) this.coordinator.restoredOnFailover();
    }
    for (const { tm, deploy } of deploymentDescriptors(this.plan.graph, this.graph, this.pool.tms, this.scale, ctx)) {
      // Its loss fails the attempt (a lost TaskManager) as soon as the pool reports it.
      this.undelivered(tm.gateway.deploy(deploy), tm.resourceId, `deploy ${deploy.executionId}`);
    }
    this.scheduleVertexWrite();
  }

  private onMessage(tm: RegisteredTaskManager, m: TaskManagerMessage): void {
    // Fencing: only executions of the current attempt (a restart builds a new graph, a rescale's
    // rollback removes what it added), hosted on the TaskManager that reports them.
    const executionId = reportedExecution(m);
    const e = this.graph.executions.get(executionId);
    if (!e || e.resourceId !== tm.resourceId) {
      this.log.debug({ resourceId: tm.resourceId, executionId, msg: m.msg, hostedOn: e?.resourceId }, 'ignored a report of an execution that is not current or not hosted on that TaskManager');
      return;
    }
    switch (m.msg) {
      case 'taskStatus': this.onTaskStatus(m.taskStatus); return;
      case 'ackCheckpoint': {
        const a = m.ackCheckpoint;
        this.rescaler.onAck(a.executionId!, toNumber(a.checkpointId), a.subtaskState!);
        this.coordinator.acknowledge(a.executionId!, toNumber(a.checkpointId), a.subtaskState!, a.alignmentMs ?? 0);
        return;
      }
      case 'declineCheckpoint': {
        const d = m.declineCheckpoint;
        this.coordinator.decline(d.executionId!, toNumber(d.checkpointId), d.reason ?? `declined by ${tm.resourceId}`);
        return;
      }
      case 'rescalePrepared': this.rescaler.onPrepared(m.rescalePrepared.executionId ?? '', m.rescalePrepared.error ?? ''); return;
      case 'rescaleLoaded': this.rescaler.onLoaded(m.rescaleLoaded); return;
      case 'movedStateWritten': {
        const w = m.movedStateWritten;
        this.rescaler.onAck(w.executionId!, toNumber(w.checkpointId), w.subtaskState!);
        return;
      }
      default:
    }
  }

  private onTaskStatus(s: ebbflow.rpc.TaskStatusUpdate.$Properties): void {
    const state = EXECUTION_STATES.find((n) => (ExecutionState as unknown as Record<string, number>)[n] === s.state) ?? 'FAILED';
    const e = this.graph.setState(s.executionId ?? '', state, s.error || undefined);
    if (!e) return; // an execution of an earlier attempt, or one a rescale removed
    this.scheduleVertexWrite();
    this.rescaler.onExecutionState();
    if (this.phase === 'ENDING' || this.phase === 'RESTARTING') return;
    if (state === 'FAILED') {
      const name = this.plan.graph.vertices.find((v) => v.id === e.vertexId)?.name ?? e.vertexId;
      const fail = () => void this.handleFailure(`subtask ${e.subtaskIndex} of "${name}" failed: ${s.error || 'unknown error'}`, `${name} (${e.subtaskIndex + 1}/${this.graph.parallelismOf(e.vertexId)})`);
      // A data connection that closed under a subtask usually means the TaskManager at its other end
      // died, and its RPC connection's close may reach us a moment later: give that loss the chance to
      // be the recorded cause (the restart is the same either way).
      // The second, short timer is armed only when the first fired, so at least one poll phase runs
      // between them: a busy event loop fires an overdue timer before the I/O (that close) that
      // arrived while it was busy.
      if (/data connection to \S+ was closed/.test(s.error ?? '')) {
        setTimeout(() => setTimeout(() => { if (this.graph.executions.get(e.id) === e) fail(); }, 20), PEER_LOSS_GRACE_MS);
      }
      else fail();
    } else if (state === 'RUNNING' && this.phase === 'DEPLOYING' && this.graph.allIn('RUNNING', 'FINISHED')) {
      this.phase = 'RUNNING';
      void this.transition('RUNNING');
      this.coordinator.start();
      for (const w of this.runningWaiters) w();
      this.releaseIdle();
      this.scaler.slotsChanged();
    } else if (state === 'FINISHED' && !e.retiring && this.graph.all().every((x) => x.retiring || x.state === 'FINISHED')) {
      this.outcome({ state: 'FINISHED' });
    }
  }

  /** A failure: restart from the latest checkpoint if the strategy allows, else fail the job. */
  private async handleFailure(cause: string, taskName: string | null): Promise<void> {
    if (this.phase === 'ENDING' || this.phase === 'RESTARTING') return;
    this.exceptions.push({ timestamp: Date.now(), cause, taskName, location: null });
    // A scale request still waiting for slots fails now, with this cause (before the restart needs them).
    this.scaler.abortWait(`the job is restarting: ${cause}`);
    this.rescaler.abort(`the job is restarting: ${cause}`);
    this.coordinator.stop();
    this.coordinator.abort(`the job is restarting: ${cause}`);
    const delay = restartDelay(this.config.restartStrategy, this.restarts + 1);
    if (delay === undefined) {
      const s = this.config.restartStrategy;
      const why = s.type === 'none' ? 'restarts are disabled' : `restart strategy ${s.type} allows ${s.attempts} restart(s), all used`;
      this.outcome({ state: 'FAILED', cause: `${cause}\n(${why})` });
      return;
    }
    this.restarts++;
    this.phase = 'RESTARTING';
    this.log.warn({ cause, restart: this.restarts, delayMs: delay }, 'restarting the job');
    void this.persist('record RESTARTING', () => this.registry.transition(this.spec.jobId, 'RESTARTING', { exceptions: this.exceptions.slice(-20) }));
    await this.cancelExecutions();
    await sleep(delay);
    if (this.phase !== 'RESTARTING') return;
    this.attempt++;
    this.startAttempt();
  }

  private fail(cause: string): void {
    if (this.phase !== 'ENDING') this.outcome({ state: 'FAILED', cause });
  }

  private async finish(outcome: Outcome): Promise<number> {
    this.phase = 'ENDING';
    clearTimeout(this.slotTimer);
    clearTimeout(this.stabilizeTimer);
    this.ops?.stop();
    const id = this.spec.jobId;
    this.rescaler?.abort(`the job is ending (${outcome.state})`);
    // A request waiting for slots says why it failed (not just "the job stopped running").
    this.scaler?.abortWait(`the job is ending (${outcome.state})`);
    this.scaler?.stop();
    this.coordinator?.stop();
    this.coordinator?.abort(`the job is ending (${outcome.state})`);
    if (outcome.state === 'CANCELED') await this.persist('record CANCELLING', () => this.registry.transition(id, 'CANCELLING'));
    if (outcome.state === 'FAILED') {
      this.log.error({ cause: outcome.cause }, 'job failed');
      this.exceptions.push({ timestamp: Date.now(), cause: outcome.cause, taskName: null, location: null });
    }
    if (outcome.state !== 'FINISHED' && this.graph) await this.cancelExecutions();
    // A TaskManager gone by now needs no telling: the driver stops every worker next.
    this.pool?.broadcast((gw) => gw.release(`job ${outcome.state}`));
    await this.rm?.stopAll();
    this.pool?.close();
    this.services.taskManagers.close();
    await this.persist('clear the TaskManager records', () => this.registry.clearTaskManagers(id));
    clearTimeout(this.vertexWrite);
    clearTimeout(this.statsWrite);
    if (this.coordinator) await this.registry.putCheckpointStats(id, this.coordinator.stats.toJSON()).catch(() => {});
    const fields = { vertices: this.graph.vertexInfo(), subtasks: this.graph.subtaskInfo(this.attempt), exceptions: this.exceptions.slice(-20) };
    if (outcome.state === 'FAILED') await this.persist('record FAILED', () => this.registry.transition(id, 'FAILED', { ...fields, failureCause: outcome.cause }));
    else await this.persist(`record ${outcome.state}`, () => this.registry.transition(id, outcome.state, fields));
    this.log.info({ state: outcome.state }, 'job ended');
    return outcome.state === 'FAILED' ? 1 : 0;
  }

  /** Asks every running execution to cancel and waits (bounded) for them to stop. */
  private async cancelExecutions(): Promise<void> {
    const graph = this.graph;
    for (const e of graph.all()) {
      if (ENDED.includes(e.state)) continue;
      const live = e.state === 'RUNNING' || e.state === 'DEPLOYING' || e.state === 'SCHEDULED';
      // On a TaskManager that is gone there is nothing left to cancel.
      if (live && this.pool.gateway(e.resourceId).cancel(e.id) === 'sent') {
        graph.setState(e.id, 'CANCELING');
      } else {
        graph.setState(e.id, 'CANCELED');
      }
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && graph.all().some((e) => e.state === 'CANCELING')) await sleep(20);
    for (const e of graph.all()) if (!ENDED.includes(e.state)) graph.setState(e.id, 'CANCELED');
    this.scheduleVertexWrite();
  }

  /** Cancellation requested by the dispatcher (IPC) or a signal. */
  cancel(): void {
    this.cancelRequested = true;
    this.outcome({ state: 'CANCELED' });
  }

  private onTaskManagerLost(resourceId: string, cause: string): void {
    void this.rm.workerLost(resourceId).catch(() => {});
    void this.registry.removeTaskManager(this.spec.jobId, resourceId).catch(() => {});
    const lost = this.graph.all().filter((e) => e.resourceId === resourceId && !ENDED.includes(e.state));
    for (const e of lost) this.graph.setState(e.id, this.phase === 'ENDING' || this.phase === 'RESTARTING' ? 'CANCELED' : 'FAILED', cause);
    if (this.phase === 'ENDING') return;
    this.log.warn({ resourceId, cause }, 'TaskManager lost');
    if (lost.length && (this.phase === 'DEPLOYING' || this.phase === 'RUNNING')) {
      // Only subtasks a rescale was adding, before anything switched: that rescale fails, the job goes on.
      if (this.rescaler.canRollBack() && lost.every((e) => e.added)) {
        this.rescaler.abort(cause);
        this.recordRolledBackLoss(cause, resourceId);
      } else void this.handleFailure(cause, resourceId);
    } else if (this.phase === 'WAITING_FOR_SLOTS') this.rm.ensureSlots(slotsNeeded(this.scaler.desired()));
    else if (this.phase === 'RUNNING' && (this.scaler.abortWait(cause) || this.rescaler.canRollBack())) {
      // A TaskManager without running subtasks (typically the one just started for the rescale), lost
      // while a rescale has not switched yet (waiting for slots, or in its pre-flight checkpoint): the
      // rescale may have counted on its slots, so it fails now, naming it, rather than later with
      // "no free slot" or after the resource wait timeout. Nothing ran there: no restart.
      this.rescaler.abort(cause);
      this.recordRolledBackLoss(cause, resourceId);
    }
  }

  /** A TaskManager loss that only failed the rescale in progress (rolled back, no restart) still belongs in the exception history. */
  private recordRolledBackLoss(cause: string, resourceId: string): void {
    this.exceptions.push({ timestamp: Date.now(), cause: `${cause}\n(a rescale in progress was rolled back; the job was not restarted)`, taskName: resourceId, location: null });
    void this.persist('record the exception history', () => this.registry.update(this.spec.jobId, { exceptions: this.exceptions.slice(-20) }));
  }

  private async runOperation(op: OperationRecord, progress: (phase: string) => void): Promise<OperationOutcome> {
    if (op.kind === 'rescale') {
      const req: ScaleRequest = op.parallelism > 0 ? { parallelism: op.parallelism } : { requirements: op.requirements };
      return { result: await this.scaler.apply(req, progress) as unknown as Record<string, unknown> };
    }
    if (this.phase !== 'RUNNING') throw new Error(`the job is not running (it is ${this.phase.toLowerCase().replace('_', ' ')}); try again when it runs`);
    // Stopping: no checkpoint may complete after the savepoint, or its output would be published twice.
    if (op.kind === 'stop' || op.cancelJob) this.coordinator.stop();
    let location: string;
    try {
      location = await this.coordinator.trigger(true, op.targetDirectory || undefined);
    } catch (err) {
      if (this.phase === 'RUNNING') this.coordinator.start();
      throw err;
    }
    this.log.info({ location, kind: op.kind }, 'savepoint completed');
    if (op.kind === 'stop') this.outcome({ state: 'FINISHED' });
    else if (op.cancelJob) this.cancel();
    return { location };
  }

  private whenRunning(ms: number): Promise<void> {
    if (this.phase === 'RUNNING') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.runningWaiters.delete(done); reject(new Error(`the job did not reach RUNNING within ${ms} ms (it is ${this.phase.toLowerCase().replace(/_/g, ' ')})`)); }, ms);
      const done = () => { clearTimeout(timer); this.runningWaiters.delete(done); resolve(); };
      this.runningWaiters.add(done);
    });
  }

  /** Slots that host no subtask, in a stable order. */
  private freeSlots(): Slot[] {
    const used = new Set(this.graph.all().filter((e) => e.resourceId).map((e) => `${e.resourceId}/${e.slotIndex ?? 0}`));
    return this.pool.slots().map(({ tm, slot }) => ({ resourceId: tm.resourceId, slot })).filter((s) => !used.has(`${s.resourceId}/${s.slot}`));
  }

  /** Stops TaskManagers that host no subtask, beyond the slots the requirements ask for. Not a failure. */
  private releaseIdle(): void {
    if (this.phase !== 'RUNNING' || this.rescaler.inProgress) return;
    const busy = new Set(this.graph.all().map((e) => e.resourceId));
    let slots = this.pool.slots().length;
    const keep = slotsNeeded(this.scaler.desired());
    for (const tm of [...this.pool.tms.values()].sort((a, b) => b.resourceId.localeCompare(a.resourceId))) {
      if (busy.has(tm.resourceId) || slots - tm.slots < keep) continue;
      slots -= tm.slots;
      this.log.info({ resourceId: tm.resourceId }, 'releasing an idle TaskManager');
      // Gone already: the driver's release below stops it all the same.
      if (this.pool.release(tm.resourceId, 'released: the job no longer needs it') === 'gone') this.log.info({ resourceId: tm.resourceId }, 'the idle TaskManager was already gone');
      void this.rm.release(tm.resourceId).catch(() => {});
      void this.registry.removeTaskManager(this.spec.jobId, tm.resourceId).catch(() => {});
    }
  }

  private refreshTaskManagerRecords(): void {
    for (const tm of this.pool.tms.values()) void this.registry.putTaskManager(this.tmRecord(tm)).catch(() => {});
  }

  private async transition(state: JobState): Promise<void> {
    // Subtasks with the vertices: a restart at another parallelism must not show the new vertices beside the old attempt's subtasks.
    await this.persist(`record ${state}`, () => this.registry.transition(this.spec.jobId, state, {
      vertices: this.graph.vertexInfo(), subtasks: this.graph.subtaskInfo(this.attempt), parallelism: slotsNeeded(this.scale),
    }));
  }

  /** Retries a registry write while Redis is away (up to a minute), so no state change is lost. */
  private async persist<T>(what: string, write: () => Promise<T>): Promise<T | undefined> {
    const deadline = Date.now() + 60_000;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        return await write();
      } catch (err) {
        if (Date.now() > deadline) { this.log.error({ err: (err as Error).message }, `could not ${what} in Redis; giving up`); return undefined; }
        this.log.warn({ err: (err as Error).message }, `could not ${what} in Redis; retrying`);
        await sleep(delay);
      }
    }
  }

  /** A command that did not reach its TaskManager: it is gone, and the pool reports (or reported) it lost. */
  private undelivered(result: SendResult, resourceId: string | undefined, what: string): void {
    if (result === 'gone') this.log.warn({ resourceId, what }, 'TaskManager gone: command not delivered (handled as a lost TaskManager)');
  }

  private tmRecord(tm: RegisteredTaskManager) {
    const live = this.graph.all().filter((e) => e.resourceId === tm.resourceId && !['FINISHED', 'CANCELED', 'FAILED', 'CREATED'].includes(e.state));
    const used = new Set(live.map((e) => e.slotIndex)).size;
    return {
      id: tm.resourceId, jobId: this.spec.jobId, pid: tm.pid, host: tm.dataHost, dataPort: tm.dataPort, slotsNumber: tm.slots,
      freeSlots: Math.max(0, tm.slots - used), lastHeartbeat: tm.lastHeartbeat, registeredAt: tm.registeredAt,
    };
  }

  private async persistNow(): Promise<void> {
    clearTimeout(this.vertexWrite);
    this.vertexWrite = undefined;
    await this.persist('record the vertices', () => this.registry.update(this.spec.jobId, {
      vertices: this.graph.vertexInfo(), subtasks: this.graph.subtaskInfo(this.attempt), parallelism: slotsNeeded(this.scale), resourceRequirements: this.scaler.requirements,
    }));
  }

  private scheduleVertexWrite(): void {
    if (this.vertexWrite) return;
    this.vertexWrite = setTimeout(() => {
      this.vertexWrite = undefined;
      void this.registry.update(this.spec.jobId, { vertices: this.graph.vertexInfo(), subtasks: this.graph.subtaskInfo(this.attempt), parallelism: slotsNeeded(this.scale) }).catch(() => {});
    }, 100);
  }

  private scheduleStatsWrite(): void {
    if (this.statsWrite) return;
    this.statsWrite = setTimeout(() => {
      this.statsWrite = undefined;
      void this.registry.putCheckpointStats(this.spec.jobId, this.coordinator.stats.toJSON()).catch(() => {});
    }, 200);
  }
}
