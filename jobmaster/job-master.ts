/**
 * The JobMaster of one job, in the job's own process beside its
 * ResourceManager: plans the job from the bundle, gets slots, deploys one
 * subtask of every vertex into each slot (slot sharing), runs the checkpoint
 * coordinator, and on a failure restarts every subtask from the latest
 * completed checkpoint as the restart strategy allows (asking the
 * ResourceManager for replacement TaskManagers). Savepoints and stop requests
 * arrive through the job's operation queue in Redis. Every state change is
 * written to the job registry.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobException, JobRegistry, JobState, OperationRecord } from '../metadata/index.js';
import { EXECUTION_STATES } from '../metadata/index.js';
import type { ebbflow } from '../proto/generated/rpc.js';
import type { ResourceManager } from '../resourcemanager/index.js';
import { ExecutionState, toNumber } from '../rpc/index.js';
import { readMetadata } from '../runtime/checkpoint/snapshot-io.js';
import { describeError } from '../runtime/errors.js';
import { planJob, type JobPlan } from '../runtime/plan.js';
import { CheckpointCoordinator } from './checkpoint-coordinator.js';
import { assignSlots, deploymentDescriptors } from './deployment.js';
import { ExecutionGraph } from './execution-graph.js';
import { restartDelay } from './job-config.js';
import type { CompiledJobSpec } from './job-spec.js';
import { OperationRunner, type OperationOutcome } from './operation-runner.js';
import { TaskManagerPool, type RegisteredTaskManager } from './task-manager-pool.js';

type Outcome = { state: 'FINISHED' | 'CANCELED' } | { state: 'FAILED'; cause: string };
type Phase = 'PLANNING' | 'WAITING_FOR_SLOTS' | 'DEPLOYING' | 'RUNNING' | 'RESTARTING' | 'ENDING';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class JobMaster {
  private readonly jobMasterId = randomBytes(16).toString('hex');
  private plan!: JobPlan;
  private graph!: ExecutionGraph;
  private phase: Phase = 'PLANNING';
  private attempt = 0;
  private restarts = 0;
  private readonly exceptions: JobException[] = [];
  private pool!: TaskManagerPool;
  private rm!: ResourceManager;
  private coordinator!: CheckpointCoordinator;
  private ops: OperationRunner | undefined;
  private slotTimer: NodeJS.Timeout | undefined;
  private cancelRequested = false;
  private outcome!: (o: Outcome) => void;
  private readonly outcomePromise = new Promise<Outcome>((resolve) => { this.outcome = resolve; });
  private vertexWrite: NodeJS.Timeout | undefined;
  private statsWrite: NodeJS.Timeout | undefined;

  constructor(
    private readonly spec: CompiledJobSpec,
    private readonly registry: JobRegistry,
    private readonly rmFactory: (jobMasterAddress: string) => ResourceManager,
    private readonly opsRedis: Redis,
    private readonly log: Logger,
  ) {}

  private get config() { return this.spec.config; }

  /** Runs the job to a terminal state; resolves with the process exit code. */
  async run(): Promise<number> {
    const id = this.spec.jobId;
    let restore: { id: number; isSavepoint: boolean } | undefined;
    try {
      if (this.spec.savepointPath) {
        const meta = await readMetadata(this.spec.savepointPath);
        restore = { id: meta.checkpointId, isSavepoint: meta.isSavepoint };
        this.config.maxParallelism ??= meta.maxParallelism;
      }
      this.plan = await planJob({
        bundlePath: this.spec.bundlePath, entryClass: this.spec.entryClass, programArgs: this.spec.programArgs,
        parallelism: this.spec.parallelism, maxParallelism: this.config.maxParallelism, defaultName: this.spec.defaultName,
      });
    } catch (err) {
      this.log.error({ err }, 'the job could not be planned');
      await this.registry.transition(id, 'FAILED', { failureCause: describeError(err) });
      return 1;
    }
    this.graph = new ExecutionGraph(this.plan.graph);
    if (this.cancelRequested) {
      await this.registry.transition(id, 'CANCELED', { name: this.plan.graph.name });
      return 0;
    }
    await this.persist('record CREATED', () => this.registry.transition(id, 'CREATED', { name: this.plan.graph.name, maxParallelism: this.plan.graph.maxParallelism, vertices: this.graph.vertexInfo() }));
    this.log.info({ vertices: this.plan.graph.vertices.map((v) => v.name), restore: this.spec.savepointPath || undefined }, 'job planned');

    this.pool = new TaskManagerPool(
      { jobMasterId: this.jobMasterId, heartbeatIntervalMs: this.config.heartbeatIntervalMs, heartbeatTimeoutMs: this.config.heartbeatTimeoutMs, logger: this.log },
      {
        accept: (rid, jobId) => jobId === id && this.phase !== 'ENDING' && this.rm.registered(rid),
        registered: (tm) => { void this.registry.putTaskManager(this.tmRecord(tm)).catch(() => {}); this.tryDeploy(); },
        heartbeat: (tm) => { void this.registry.putTaskManager(this.tmRecord(tm)).catch(() => {}); },
        message: (tm, m) => this.onMessage(tm, m),
        lost: (rid, cause) => this.onTaskManagerLost(rid, cause),
      },
    );
    const address = await this.pool.listen();
    this.rm = this.rmFactory(address);
    this.coordinator = this.createCoordinator();
    if (restore) this.coordinator.restoredFrom(restore.id, this.spec.savepointPath, restore.isSavepoint);
    let outcome: Outcome;
    try {
      await this.rm.start({
        onWorkerTerminated: (rid, cause) => {
          if (this.pool.tms.has(rid)) this.pool.lose(rid, cause);
          else if (this.phase === 'WAITING_FOR_SLOTS') void this.rm.ensureSlots(this.spec.parallelism).catch((err: Error) => this.fail(err.message));
        },
        onError: (err) => this.fail(`resource manager error: ${err.message}`),
      });
      this.ops = new OperationRunner(this.opsRedis, this.registry, id, (op) => this.runOperation(op), this.log);
      this.ops.start();
      await this.startAttempt();
      outcome = await this.outcomePromise;
    } catch (err) {
      outcome = { state: 'FAILED', cause: describeError(err) };
    }
    return this.finish(outcome);
  }

  private createCoordinator(): CheckpointCoordinator {
    const cfg = this.config;
    const checkpointing = cfg.checkpointIntervalMs > 0;
    return new CheckpointCoordinator(
      {
        jobId: this.spec.jobId, graph: this.plan.graph, logger: this.log,
        baseDir: join(cfg.checkpointDir ?? join(this.spec.dataDir, 'checkpoints'), this.spec.jobId),
        savepointDir: cfg.savepointDir ?? join(this.spec.dataDir, 'savepoints'),
        intervalMs: checkpointing ? cfg.checkpointIntervalMs : 0, timeoutMs: cfg.checkpointTimeoutMs, retained: cfg.checkpointsRetained,
        tolerableFailures: cfg.tolerableCheckpointFailures,
      },
      {
        participants: () => {
          if (this.phase !== 'RUNNING' || !this.graph.allIn('RUNNING')) return undefined;
          const sources = new Set(this.plan.graph.vertices.filter((v) => v.isSource).map((v) => v.id));
          const all = this.graph.all().map((e) => ({ executionId: e.id, vertexId: e.vertexId }));
          return { all, sources: all.filter((t) => sources.has(t.vertexId)) };
        },
        trigger: (s, cid, dir, ts) => {
          const e = this.graph.executions.get(s.executionId);
          this.pool.tms.get(e?.resourceId ?? '')?.rpc.send({ triggerCheckpoint: { executionId: s.executionId, checkpointId: cid, timestamp: ts, directory: dir } });
        },
        notifyComplete: (cid) => this.pool.broadcast({ checkpointComplete: { checkpointId: cid } }),
        onFailureLimit: (cause) => this.fail(cause),
        statsChanged: () => this.scheduleStatsWrite(),
      },
    );
  }

  private async startAttempt(): Promise<void> {
    this.graph = new ExecutionGraph(this.plan.graph);
    this.phase = 'WAITING_FOR_SLOTS';
    this.scheduleVertexWrite();
    clearTimeout(this.slotTimer);
    this.slotTimer = setTimeout(() => {
      if (this.phase === 'WAITING_FOR_SLOTS') this.fail(`could not get ${this.spec.parallelism} slot(s) within ${this.spec.slotRequestTimeoutMs} ms from the ${this.rm.driverName} resource manager`);
    }, this.spec.slotRequestTimeoutMs);
    await this.rm.ensureSlots(this.spec.parallelism);
    this.tryDeploy();
  }

  /** Deploys once enough slots registered: slot i hosts subtask i of every vertex. */
  private tryDeploy(): void {
    if (this.phase !== 'WAITING_FOR_SLOTS') return;
    if (!assignSlots(this.graph, this.pool.slots(), this.spec.parallelism)) return;
    clearTimeout(this.slotTimer);
    this.phase = 'DEPLOYING';
    const restorePath = this.coordinator.latest() ?? '';
    if (restorePath) this.log.info({ restorePath, attempt: this.attempt }, 'restoring state');
    const descriptors = deploymentDescriptors(this.plan.graph, this.graph, this.pool.tms, {
      jobId: this.spec.jobId, bundlePath: this.spec.bundlePath, entryClass: this.spec.entryClass, programArgs: this.spec.programArgs,
      checkpointing: this.config.checkpointIntervalMs > 0, restorePath, attempt: this.attempt,
    });
    for (const { tm, deploy } of descriptors) tm.rpc.send({ deploy });
    this.scheduleVertexWrite();
  }

  private onMessage(tm: RegisteredTaskManager, m: ebbflow.rpc.Envelope): void {
    switch (m.msg) {
      case 'taskStatus': this.onTaskStatus(m.taskStatus!); return;
      case 'ackCheckpoint': {
        const a = m.ackCheckpoint!;
        this.coordinator.acknowledge(a.executionId!, toNumber(a.checkpointId), a.subtaskState!, a.alignmentMs ?? 0);
        return;
      }
      case 'declineCheckpoint': {
        const d = m.declineCheckpoint!;
        this.coordinator.decline(d.executionId!, toNumber(d.checkpointId), d.reason ?? `declined by ${tm.resourceId}`);
        return;
      }
      default:
    }
  }

  private onTaskStatus(s: ebbflow.rpc.TaskStatusUpdate.$Properties): void {
    const state = EXECUTION_STATES.find((n) => (ExecutionState as unknown as Record<string, number>)[n] === s.state) ?? 'FAILED';
    const e = this.graph.setState(s.executionId ?? '', state, s.error || undefined);
    if (!e) return; // an execution of an earlier attempt
    this.scheduleVertexWrite();
    if (this.phase === 'ENDING' || this.phase === 'RESTARTING') return;
    if (state === 'FAILED') {
      const name = this.plan.graph.vertices.find((v) => v.id === e.vertexId)?.name ?? e.vertexId;
      void this.handleFailure(`subtask ${e.subtaskIndex} of "${name}" failed: ${s.error || 'unknown error'}`, `${name} (${e.subtaskIndex + 1}/${this.spec.parallelism})`);
    } else if (state === 'RUNNING' && this.phase === 'DEPLOYING' && this.graph.allIn('RUNNING', 'FINISHED')) {
      this.phase = 'RUNNING';
      void this.transition('RUNNING');
      this.coordinator.start();
    } else if (state === 'FINISHED' && this.graph.allIn('FINISHED')) {
      this.outcome({ state: 'FINISHED' });
    }
  }

  /** A failure: restart from the latest checkpoint if the strategy allows, else fail the job. */
  private async handleFailure(cause: string, taskName: string | null): Promise<void> {
    if (this.phase === 'ENDING' || this.phase === 'RESTARTING') return;
    this.exceptions.push({ timestamp: Date.now(), cause, taskName, location: null });
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
    await this.startAttempt().catch((err: Error) => this.fail(err.message));
  }

  private fail(cause: string): void {
    if (this.phase !== 'ENDING') this.outcome({ state: 'FAILED', cause });
  }

  private async finish(outcome: Outcome): Promise<number> {
    this.phase = 'ENDING';
    clearTimeout(this.slotTimer);
    this.ops?.stop();
    const id = this.spec.jobId;
    this.coordinator?.stop();
    this.coordinator?.abort(`the job is ending (${outcome.state})`);
    if (outcome.state === 'CANCELED') await this.persist('record CANCELLING', () => this.registry.transition(id, 'CANCELLING'));
    if (outcome.state === 'FAILED') {
      this.log.error({ cause: outcome.cause }, 'job failed');
      this.exceptions.push({ timestamp: Date.now(), cause: outcome.cause, taskName: null, location: null });
    }
    if (outcome.state !== 'FINISHED' && this.graph) await this.cancelExecutions();
    this.pool?.broadcast({ shutdown: { reason: `job ${outcome.state}` } });
    await this.rm?.stopAll();
    this.pool?.close();
    await this.persist('clear the TaskManager records', () => this.registry.clearTaskManagers(id));
    clearTimeout(this.vertexWrite);
    clearTimeout(this.statsWrite);
    if (this.coordinator) await this.registry.putCheckpointStats(id, this.coordinator.stats.toJSON()).catch(() => {});
    const fields = { vertices: this.graph.vertexInfo(), exceptions: this.exceptions.slice(-20) };
    if (outcome.state === 'FAILED') await this.persist('record FAILED', () => this.registry.transition(id, 'FAILED', { ...fields, failureCause: outcome.cause }));
    else await this.persist(`record ${outcome.state}`, () => this.registry.transition(id, outcome.state, fields));
    this.log.info({ state: outcome.state }, 'job ended');
    return outcome.state === 'FAILED' ? 1 : 0;
  }

  /** Asks every running execution to cancel and waits (bounded) for them to stop. */
  private async cancelExecutions(): Promise<void> {
    const graph = this.graph;
    for (const e of graph.all()) {
      if (['FINISHED', 'CANCELED', 'FAILED'].includes(e.state)) continue;
      const tm = e.resourceId ? this.pool.tms.get(e.resourceId) : undefined;
      if (tm && (e.state === 'RUNNING' || e.state === 'DEPLOYING' || e.state === 'SCHEDULED')) {
        graph.setState(e.id, 'CANCELING');
        tm.rpc.send({ cancel: { executionId: e.id } });
      } else {
        graph.setState(e.id, 'CANCELED');
      }
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && graph.all().some((e) => e.state === 'CANCELING')) await sleep(20);
    for (const e of graph.all()) if (!['FINISHED', 'CANCELED', 'FAILED'].includes(e.state)) graph.setState(e.id, 'CANCELED');
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
    let hadWork = false;
    for (const e of this.graph.all()) {
      if (e.resourceId !== resourceId || ['FINISHED', 'CANCELED', 'FAILED'].includes(e.state)) continue;
      hadWork = true;
      this.graph.setState(e.id, this.phase === 'ENDING' || this.phase === 'RESTARTING' ? 'CANCELED' : 'FAILED', cause);
    }
    if (this.phase === 'ENDING') return;
    this.log.warn({ resourceId, cause }, 'TaskManager lost');
    if (hadWork && (this.phase === 'DEPLOYING' || this.phase === 'RUNNING')) void this.handleFailure(cause, resourceId);
    else if (this.phase === 'WAITING_FOR_SLOTS') void this.rm.ensureSlots(this.spec.parallelism).catch((err: Error) => this.fail(err.message));
  }

  private async runOperation(op: OperationRecord): Promise<OperationOutcome> {
    if (op.kind === 'rescale') {
      // TODO(rescale): stand-in until the runtime rescales: only a request for the current parallelism succeeds (in any phase).
      const at = new Map(this.plan.graph.vertices.map((v) => [v.id, v.parallelism]));
      const same = op.parallelism > 0 ? [...at.values()].every((p) => p === op.parallelism)
        : Object.entries(op.requirements).every(([id, r]) => at.get(id) === r.parallelism.upperBound);
      if (!same) throw new Error('rescaling a running job is not supported yet');
      return { result: { noop: true } };
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

  private async transition(state: JobState): Promise<void> {
    await this.persist(`record ${state}`, () => this.registry.transition(this.spec.jobId, state, { vertices: this.graph.vertexInfo() }));
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

  private tmRecord(tm: RegisteredTaskManager) {
    const live = this.graph.all().filter((e) => e.resourceId === tm.resourceId && !['FINISHED', 'CANCELED', 'FAILED', 'CREATED'].includes(e.state));
    const used = new Set(live.map((e) => e.slotIndex)).size;
    return {
      id: tm.resourceId, jobId: this.spec.jobId, pid: tm.pid, host: tm.dataHost, dataPort: tm.dataPort, slotsNumber: tm.slots,
      freeSlots: Math.max(0, tm.slots - used), lastHeartbeat: tm.lastHeartbeat, registeredAt: tm.registeredAt,
    };
  }

  private scheduleVertexWrite(): void {
    if (this.vertexWrite) return;
    this.vertexWrite = setTimeout(() => {
      this.vertexWrite = undefined;
      void this.registry.update(this.spec.jobId, { vertices: this.graph.vertexInfo() }).catch(() => {});
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
