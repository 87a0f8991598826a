/**
 * The JobMaster of one job, in the job's own process beside its
 * ResourceManager: plans the job from the bundle, builds its parts once
 * (runtime state, status writer, TaskManager pool, ResourceManager, checkpoint
 * coordinator, slot scheduler, rescale coordinator, failover, elastic scaler,
 * metrics collector, autoscaler),
 * routes TaskManager reports to them, runs the job's operations (savepoint,
 * stop, rescale) and ends the job. Collaborators come in as one services
 * object (job-master-services.ts). It claims the job's leadership once its
 * parts exist (job-leadership.ts): the TaskManagers of an earlier job process
 * find it then, and it stops at once if a newer JobMaster claims the job.
 * What the job starts from is read in job-start.ts, its parts are built in
 * job-parts.ts, and its operations are carried out in job-operations.ts.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { EXECUTION_STATES } from '../metadata/index.js';
import type { ebbflow } from '../proto/generated/rpc.js';
import { ExecutionState, newJobMasterId, reportedExecution, toNumber, type TaskManagerMessage } from '../rpc/index.js';
import { storagePath } from '../runtime/checkpoint/checkpoint-storage.js';
import { describeError } from '../runtime/errors.js';
import { EXIT_FENCED, LeadershipWatch } from './job-leadership.js';
import type { LeaderInfo } from '../rpc/leader.js';
import type { JobMasterServices, OperationQueue } from './job-master-services.js';
import { runJobOperation } from './job-operations.js';
import { assembleJobParts, type JobParts } from './job-parts.js';
import type { Outcome } from './job-runtime.js';
import type { CompiledJobSpec } from './job-spec.js';
import { prepareJobStart, startRuntime, type JobStart } from './job-start.js';
import { JobStatusWriter } from './job-status-writer.js';
import type { RegisteredTaskManager } from './task-manager-pool.js';

/** How long the start waits for the claim of the job's leadership (it completes in the background after that). */
const CLAIM_WAIT_MS = 1000;

export class JobMaster {
  private readonly jobMasterId = newJobMasterId();
  private readonly writer: JobStatusWriter;
  private parts: JobParts | undefined;
  private ops: OperationQueue | undefined;
  private cancelRequested = false;
  private watch: LeadershipWatch | undefined;
  private failoverReported = false;
  /** A newer JobMaster leads the job: this one steps aside without a write. */
  private fencedBy: LeaderInfo | undefined;
  private resolveOutcome: (o: Outcome) => void = () => {};
  private readonly outcome = new Promise<Outcome>((resolve) => { this.resolveOutcome = resolve; });

  constructor(private readonly spec: CompiledJobSpec, private readonly services: JobMasterServices, private readonly log: Logger) {
    this.writer = new JobStatusWriter(services.registry, spec.jobId, log, () => this.parts?.runtime);
  }

  private get config() { return this.spec.config; }
  private checkpointBaseDir(): string { return storagePath(this.config.checkpointDir ?? join(this.spec.dataDir, 'checkpoints'), this.spec.jobId); }

  /** Runs the job to a terminal state; resolves with the process exit code. */
  async run(): Promise<number> {
    const { spec, log } = this;
    let start: JobStart;
    try {
      start = await prepareJobStart(spec, this.services, this.checkpointBaseDir(), log);
    } catch (err) {
      log.error({ err }, 'the job could not be planned');
      await this.writer.transition('FAILED', { failureCause: describeError(err) });
      return 1;
    }
    const { plan, restore, restorePath, earlier } = start;
    const graph = plan.graph;
    if (this.cancelRequested) {
      await this.writer.transition('CANCELED', { name: graph.name });
      return 0;
    }
    const runtime = startRuntime(spec, start, log);
    await this.writer.transition('CREATED', {
      name: graph.name, maxParallelism: graph.maxParallelism, vertices: runtime.graph.vertexInfo(), resourceRequirements: runtime.requirements, userBounds: runtime.userBounds,
    });
    log.info({ vertices: graph.vertices.map((v) => v.name), restore: spec.savepointPath || undefined }, 'job planned');

    // The earlier job process's TaskManager records: those that come back write theirs again.
    if (spec.recoveryAttempt > 0) await this.writer.persist('clear the TaskManager records of the earlier job process', (r) => r.clearTaskManagers(spec.jobId));
    const parts = (this.parts = await assembleJobParts({
      spec, services: this.services, log, writer: this.writer, jobMasterId: this.jobMasterId, checkpointBaseDir: this.checkpointBaseDir(),
      parts: () => this.parts,
      fenced: () => !!this.fencedBy,
      // Before the watch runs (no claim yet, or none possible) nothing can fence this JobMaster.
      stillLeading: async () => (this.fencedBy ? false : (this.watch?.confirm() ?? true)),
      registered: (tm) => this.onRegistered(tm),
      message: (tm, m) => this.onMessage(tm, m),
      fail: (cause) => this.fail(cause),
      end: (o) => this.resolveOutcome(o),
    }, runtime, earlier));
    if (restore) parts.coordinator.restoredFrom(restore.checkpointId, restorePath, restore.isSavepoint);
    let outcome: Outcome;
    try {
      await parts.rm.start({
        onWorkerTerminated: (rid, cause) => parts.failover.workerTerminated(rid, cause),
        onError: (err) => this.fail(`resource manager error: ${err.message}`),
      });
      // As early as registrations can be taken: the earlier job process's TaskManagers come back while the rest starts.
      await this.claimLeadership(parts);
      this.ops = this.services.operations((op, progress) => runJobOperation(parts, op, progress, {
        log, finished: () => this.resolveOutcome({ state: 'FINISHED' }), cancel: () => this.cancel(),
      }));
      if (spec.recoveryAttempt > 0) {
        await this.ops.failAbandoned(`JobProcessLost: the job process running this operation died; a new job process restored the job from ${restorePath || 'its start'}. Request it again if it is still wanted.`)
          .catch((err: Error) => log.warn({ err: err.message }, 'could not fail the operations of the earlier job process; their requesters see them IN_PROGRESS'));
        await parts.history.failAbandoned(`JobProcessLost: the job process running this rescale died; a new job process restored the job from ${restorePath || 'its start'}`)
          .catch((err: Error) => log.warn({ err: err.message }, 'could not end the rescales of the earlier job process in the rescale history; they read IN_PROGRESS'));
      }
      this.ops.start();
      parts.slots.startAttempt();
      outcome = await this.outcome;
    } catch (err) {
      outcome = { state: 'FAILED', cause: describeError(err) };
    }
    this.watch?.stop();
    if (this.fencedBy) return this.stepAside(parts);
    return this.finish(parts, outcome);
  }

  /**
   * Claims the job's leadership under a new epoch and publishes this JobMaster's address: the
   * TaskManagers of an earlier job process, waiting for it, re-register from now on. Waits for the
   * claim at most `CLAIM_WAIT_MS` (a slow Redis goes on in the background: TaskManagers registering
   * before it completes exit with this job process). Without Redis, or without a leadership service,
   * the job runs as before.
   */
  private async claimLeadership(parts: JobParts): Promise<void> {
    const leadership = this.services.leadership;
    if (!leadership) return;
    const claimed = leadership.claim(parts.address, this.jobMasterId).then(
      (epoch) => {
        if (parts.runtime.phase === 'ENDING') return;
        parts.pool.failover = {
          epoch, redisUrl: leadership.location.redisUrl, key: leadership.location.key,
          registrationTimeoutMs: parts.rm.keepsWorkersAcrossFailover ? this.config.taskManagerRegistrationTimeoutMs : 0,
        };
        this.watch = new LeadershipWatch(leadership, epoch, (newer) => this.fenced(newer), this.log);
        this.watch.start();
        this.log.info({ epoch, address: parts.address }, 'leading the job');
      },
      (err: Error) => this.log.warn({ err: err.message }, 'could not claim the job\'s leadership in Redis: its TaskManagers will not outlive this job process'),
    );
    await Promise.race([claimed, new Promise((r) => setTimeout(r, CLAIM_WAIT_MS).unref())]);
  }

  /** A newer JobMaster claimed the job: stop at once (its TaskManagers are the newer one's now). */
  private fenced(newer: LeaderInfo): void {
    this.log.error({ epoch: this.watch?.epoch, newerEpoch: newer.epoch, newerAddress: newer.address }, 'a newer JobMaster leads this job; this one stops at once');
    this.fencedBy = newer;
    this.resolveOutcome({ state: 'CANCELED' });
  }

  /**
   * The end of a stale JobMaster: its timers stop and its TaskManager connections drop, with no
   * registry write, no command and no worker stopped (the newer JobMaster owns the job and them).
   */
  private stepAside(parts: JobParts): number {
    const { runtime, pool, coordinator, slots, rescaler, scaler, metrics } = parts;
    runtime.phase = 'ENDING';
    // First: whatever the parts below would still send goes nowhere.
    pool.abandon();
    this.services.taskManagers.close();
    metrics?.stop();
    slots.stop();
    this.ops?.stop();
    scaler.stop();
    coordinator.stop();
    rescaler.abort('a newer JobMaster leads the job');
    this.writer.stop();
    return EXIT_FENCED;
  }

  private onRegistered(tm: RegisteredTaskManager): void {
    this.writer.putTaskManager(tm);
    this.parts?.slots.tryDeploy();
    this.parts?.scaler.slotsChanged();
  }

  /** Routes a TaskManager's report to the part it is for. */
  private onMessage(tm: RegisteredTaskManager, m: TaskManagerMessage): void {
    const parts = this.parts;
    if (!parts) return;
    const { runtime, rescaler, coordinator } = parts;
    // Fencing: only executions of the current attempt (a restart builds a new graph, a rescale's
    // rollback removes what it added), hosted on the TaskManager that reports them.
    const executionId = reportedExecution(m);
    const e = runtime.graph.executions.get(executionId);
    if (!e) {
      // Late reports of an earlier attempt's executions are normal after a restart or a rollback.
      this.log.debug({ resourceId: tm.resourceId, executionId, msg: m.msg }, 'ignored a report of an execution that is not current');
      return;
    }
    if (e.resourceId !== tm.resourceId) {
      // A TaskManager never reports another's execution: a confused or forged peer, never acted on.
      this.log.warn({ resourceId: tm.resourceId, executionId, msg: m.msg, hostedOn: e.resourceId }, 'ignored a report of an execution not hosted on the reporting TaskManager');
      return;
    }
    switch (m.msg) {
      case 'taskStatus': this.onTaskStatus(parts, m.taskStatus); return;
      case 'ackCheckpoint': {
        const a = m.ackCheckpoint;
        rescaler.onAck(a.executionId!, toNumber(a.checkpointId), a.subtaskState!);
        coordinator.acknowledge(a.executionId!, toNumber(a.checkpointId), a.subtaskState!, a.alignmentMs ?? 0);
        return;
      }
      case 'declineCheckpoint': {
        const d = m.declineCheckpoint;
        coordinator.decline(d.executionId!, toNumber(d.checkpointId), d.reason ?? `declined by ${tm.resourceId}`);
        return;
      }
      case 'rescalePrepared': rescaler.onPrepared(m.rescalePrepared.executionId ?? '', m.rescalePrepared.error ?? ''); return;
      case 'rescaleLoaded': rescaler.onLoaded(m.rescaleLoaded); return;
      case 'reportWatermark': {
        const w = m.reportWatermark;
        parts.aligner.report({ executionId, group: w.group ?? '', watermark: w.watermark ?? -Infinity, maxDriftMs: w.maxDriftMs ?? 0 });
        return;
      }
      case 'sourceCaughtUp': coordinator.sourceCaughtUp(executionId, m.sourceCaughtUp.caughtUp === true); return;
      case 'outputWaiting': coordinator.outputWaiting(toNumber(m.outputWaiting.lastCheckpointId ?? 0)); return;
      case 'movedStateWritten': {
        const w = m.movedStateWritten;
        rescaler.onAck(w.executionId!, toNumber(w.checkpointId), w.subtaskState!);
        return;
      }
      default:
    }
  }

  private onTaskStatus(parts: JobParts, s: ebbflow.rpc.TaskStatusUpdate.$Properties): void {
    const { runtime } = parts;
    const state = EXECUTION_STATES.find((n) => (ExecutionState as unknown as Record<string, number>)[n] === s.state) ?? 'FAILED';
    // A subtask that ended FINISHED while the job ends (stopped with a savepoint) stays so when its TaskManager reports the release.
    if (runtime.phase === 'ENDING' && runtime.graph.executions.get(s.executionId ?? '')?.state === 'FINISHED') return;
    const e = runtime.graph.setState(s.executionId ?? '', state, s.error || undefined);
    if (!e) return; // an execution of an earlier attempt, or one a rescale removed
    this.writer.scheduleVertexWrite();
    parts.rescaler.onExecutionState();
    if (runtime.phase === 'ENDING' || runtime.phase === 'RESTARTING') return;
    if (state === 'FAILED') parts.failover.executionFailed(e, s.error ?? '');
    else if (state === 'RUNNING' && runtime.phase === 'DEPLOYING' && runtime.graph.allIn('RUNNING', 'FINISHED')) {
      runtime.enterRunning();
      void this.writer.transitionWithExecutions('RUNNING');
      if (this.spec.recoveryAttempt > 0 && !this.failoverReported) {
        // The failover's counters: TaskManagers taken over from the earlier job process, and those started anew.
        this.failoverReported = true;
        this.log.info({ recoveredTaskManagers: parts.rm.recoveredWorkers, requestedTaskManagers: parts.rm.requestedWorkers, sinceStartMs: Math.round(process.uptime() * 1000) },
          'running again after the job-process failover');
      }
      parts.coordinator.start();
      parts.slots.releaseIdle();
      parts.scaler.slotsChanged();
    } else if (state === 'FINISHED' && !e.retiring && runtime.graph.all().every((x) => x.retiring || x.state === 'FINISHED')) {
      this.resolveOutcome({ state: 'FINISHED' });
    }
  }

  private fail(cause: string): void {
    if (this.parts?.runtime.phase !== 'ENDING') this.resolveOutcome({ state: 'FAILED', cause });
  }

  private async finish(parts: JobParts, outcome: Outcome): Promise<number> {
    const { runtime, pool, rm, coordinator, rescaler, scaler, failover, slots, metrics, autoscaler } = parts;
    metrics?.stop();
    runtime.phase = 'ENDING';
    slots.stop();
    this.ops?.stop();
    rescaler.abort(`the job is ending (${outcome.state})`);
    // A request waiting for slots says why it failed (not just "the job stopped running").
    scaler.abortWait(`the job is ending (${outcome.state})`);
    scaler.stop();
    coordinator.stop();
    coordinator.abort(`the job is ending (${outcome.state})`);
    if (outcome.state === 'CANCELED') await this.writer.transition('CANCELLING');
    if (outcome.state === 'FAILED') {
      this.log.error({ cause: outcome.cause }, 'job failed');
      failover.exceptions.push({ timestamp: Date.now(), cause: outcome.cause, taskName: null, location: null });
    }
    if (outcome.state !== 'FINISHED') await failover.cancelExecutions();
    // Stopped with a savepoint: the subtasks end here, FINISHED like Flink's (their release must not read as a cancellation).
    else for (const e of runtime.graph.all()) if (!['FINISHED', 'CANCELED', 'FAILED'].includes(e.state)) runtime.graph.setState(e.id, 'FINISHED');
    // A TaskManager gone by now needs no telling: the driver stops every worker next.
    pool.broadcast((gw) => gw.release(`job ${outcome.state}`));
    await rm.stopAll();
    pool.close();
    this.services.taskManagers.close();
    await this.writer.persist('clear the TaskManager records', (r) => r.clearTaskManagers(this.spec.jobId));
    this.writer.stop();
    await this.writer.writeStats(coordinator.stats.toJSON());
    // The last counters the TaskManagers sent, with the final checkpoint counts.
    await metrics?.publish();
    await autoscaler.close();
    const fields = { vertices: runtime.graph.vertexInfo(), subtasks: runtime.graph.subtaskInfo(runtime.attempt), exceptions: failover.exceptions.slice(-20) };
    if (outcome.state === 'FAILED') await this.writer.transition('FAILED', { ...fields, failureCause: outcome.cause });
    else await this.writer.transition(outcome.state, fields);
    this.log.info({ state: outcome.state }, 'job ended');
    return outcome.state === 'FAILED' ? 1 : 0;
  }

  /** Cancellation requested by the dispatcher (IPC) or a signal. */
  cancel(): void {
    this.cancelRequested = true;
    this.resolveOutcome({ state: 'CANCELED' });
  }
}
