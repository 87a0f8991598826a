/**
 * The subtasks deployed into a TaskManager's slots: plans the job once per bundle and arguments,
 * builds each deployment's Subtask, runs it and reports its states to the JobMaster. Separate from
 * the TaskExecutor because none of this depends on which JobMaster is current: reports go out
 * through `send`, which reaches whichever JobMaster the TaskExecutor is registered with (none while
 * it waits for the next one).
 */
import type { Logger } from 'pino';
import type { ebbflow } from '../proto/generated/rpc.js';
import { ExecutionState, toNumber, type HeartbeatMetrics, type RpcJobMasterGateway, type SendResult } from '../rpc/index.js';
import { secretsOf } from '../config/secrets.js';
import { describeError } from '../runtime/errors.js';
import type { ChannelRegistry } from '../runtime/network/channel-registry.js';
import { planJob, type JobPlan } from '../runtime/plan.js';
import { Subtask, type SubtaskSpec } from '../runtime/subtask.js';
import { decodeInputs, decodeKeyGroups, decodeOutputs } from './descriptors.js';

export interface SubtaskHost {
  jobId: string;
  resourceId: string;
  /** Where the job bundle is on this host, when not at the path the JobMaster sends (a Mesos sandbox). */
  bundlePath?: string;
  logger: Logger;
  learnSecrets?: (secrets: string[]) => void;
  registry: ChannelRegistry;
  /** Sends through the current JobMaster's gateway; a report it cannot deliver is logged there. */
  send(what: string, send: (g: RpcJobMasterGateway) => SendResult): void;
  /** Metrics on: subtasks measure their counters at most this often. */
  metricsIntervalMs(): number | undefined;
  stopping(): boolean;
}

export class DeployedSubtasks {
  private readonly tasks = new Map<string, Subtask>();
  /** Settles when the subtask's run() has returned (its sinks flushed and closed). */
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly plans = new Map<string, Promise<JobPlan>>();
  /** Grows when the JobMaster is lost: a deployment still being planned then does not start. */
  private generation = 0;

  constructor(private readonly host: SubtaskHost) {}

  get size(): number { return this.tasks.size; }
  get(executionId: string): Subtask | undefined { return this.tasks.get(executionId); }
  values(): IterableIterator<Subtask> { return this.tasks.values(); }
  ids(): string[] { return [...this.tasks.keys()]; }

  /** Their JobMaster is gone: deployments still being planned never start. */
  abandon(): void { this.generation++; }

  cancelAll(): void { for (const t of this.tasks.values()) t.cancel(); }

  /** Whether every running subtask's run() returned within `ms`. */
  endedWithin(ms: number): Promise<boolean> {
    return Promise.race([Promise.all(this.running.values()).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
  }

  /** The running subtasks' counters and this process's resource use, for a heartbeat. */
  metrics(): HeartbeatMetrics {
    const subtasks: ebbflow.rpc.ISubtaskMetrics[] = [];
    for (const [executionId, task] of this.tasks) {
      const m = task.metrics();
      if (!m) continue;
      subtasks.push({
        executionId, recordsIn: m.recordsIn, recordsOut: m.recordsOut, bytesIn: m.bytesIn, bytesOut: m.bytesOut,
        idleMs: m.idleMs, backPressuredMs: m.backPressuredMs, busyMs: m.busyMs, inputWatermark: m.inputWatermark, outputWatermark: m.outputWatermark,
        splits: m.splits, stateSize: m.stateSize, heldRecords: m.heldRecords, lastCheckpointDuration: m.lastCheckpointDuration, isSource: m.isSource,
      });
    }
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    return { subtasks, process: { heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, rss: mem.rss, cpuMicros: cpu.user + cpu.system } };
  }

  private report(executionId: string, state: number, error = ''): void {
    this.host.send('report an execution state', (g) => g.updateTaskExecutionState({ executionId, state, error }));
  }

  private plan(d: ebbflow.rpc.DeployTask.$Properties): Promise<JobPlan> {
    // Planned with the job's submitted parallelism (what env.parallelism shows), whatever this vertex runs at.
    const parallelism = d.planParallelism || d.parallelism!;
    const bundlePath = this.host.bundlePath ?? d.bundlePath!;
    const key = JSON.stringify([bundlePath, d.entryClass, d.programArgs, parallelism, d.maxParallelism]);
    let p = this.plans.get(key);
    if (!p) {
      p = planJob({ bundlePath, entryClass: d.entryClass || undefined, programArgs: d.programArgs ?? [], parallelism, maxParallelism: d.maxParallelism! });
      // Data connections naming an edge the job does not have are refused from now on.
      p.then((plan) => this.host.registry.knowEdges(plan.graph.edges.map((e) => e.id)), () => {});
      this.plans.set(key, p);
    }
    return p;
  }

  async deploy(d: ebbflow.rpc.DeployTask.$Properties): Promise<void> {
    const id = d.executionId!;
    const generation = this.generation;
    const { host } = this;
    // Data connections of earlier attempts are refused from now on.
    host.registry.noteAttempt(d.attempt ?? 0);
    host.learnSecrets?.(secretsOf({}, d.programArgs ?? []));
    this.report(id, ExecutionState.DEPLOYING);
    let task: Subtask;
    try {
      const plan = await this.plan(d);
      const spec: SubtaskSpec = {
        jobId: d.jobId ?? host.jobId,
        attempt: d.attempt ?? 0,
        checkpointing: d.checkpointing ?? false,
        restorePath: d.restorePath ?? '',
        executionId: id,
        vertexId: d.vertexId!,
        subtaskIndex: d.subtaskIndex ?? 0,
        parallelism: d.parallelism!,
        maxParallelism: d.maxParallelism!,
        outputs: decodeOutputs(d.outputs),
        inputs: decodeInputs(d.inputs),
        keyGroups: decodeKeyGroups(d.keyGroups),
        loadAfterCheckpoint: toNumber(d.loadAfterCheckpoint ?? 0),
        loadFrom: d.loadFrom ?? [],
      };
      const metricsIntervalMs = host.metricsIntervalMs();
      task = new Subtask(plan, spec, {
        registry: host.registry,
        resourceId: host.resourceId,
        acknowledge: (a) => host.send('acknowledge a checkpoint', (g) => g.acknowledgeCheckpoint({ executionId: id, checkpointId: a.checkpointId, subtaskState: a.subtaskState, alignmentMs: a.alignmentMs, syncMs: a.syncMs, asyncMs: a.asyncMs })),
        decline: (checkpointId, reason) => host.send('decline a checkpoint', (g) => g.declineCheckpoint({ executionId: id, checkpointId, reason })),
        movedStateWritten: (checkpointId, subtaskState) => host.send('report moved state', (g) => g.movedStateWritten({ executionId: id, checkpointId, subtaskState })),
        reportWatermark: (group, watermark, maxDriftMs) => host.send('report a watermark for alignment', (g) => g.reportWatermark({ executionId: id, group, watermark, maxDriftMs })),
        sourceCaughtUp: (caughtUp) => host.send('report a source caught up', (g) => g.sourceCaughtUp({ executionId: id, caughtUp })),
        outputWaiting: (lastCheckpointId) => host.send('report waiting output', (g) => g.outputWaiting({ executionId: id, lastCheckpointId })),
        metrics: metricsIntervalMs ? { intervalMs: metricsIntervalMs } : undefined,
        log: (msg, fields) => host.logger.info({ ...fields, executionId: id, vertexId: d.vertexId, subtask: d.subtaskIndex }, msg),
        rescaled: (r) => host.send('report a loaded rescale', (g) => g.rescaleLoaded({
          executionId: id, checkpointId: r.checkpointId, keyGroups: r.keyGroups, bytes: r.bytes, loadMs: r.loadMs,
          maxHoldMs: r.maxHoldMs, heldRecords: r.heldRecords, streams: r.streams,
        })),
      });
    } catch (err) {
      this.report(id, ExecutionState.FAILED, describeError(err));
      return;
    }
    // Its JobMaster was lost while it was being planned: it never starts.
    if (generation !== this.generation || host.stopping()) return;
    this.tasks.set(id, task);
    let settled!: () => void;
    this.running.set(id, new Promise<void>((r) => { settled = r; }));
    this.report(id, ExecutionState.RUNNING);
    try {
      const outcome = await task.run();
      this.report(id, outcome === 'FINISHED' ? ExecutionState.FINISHED : ExecutionState.CANCELED);
    } catch (err) {
      host.logger.error({ err, executionId: id }, 'subtask failed');
      this.report(id, ExecutionState.FAILED, describeError(err));
    } finally {
      this.tasks.delete(id);
      this.running.delete(id);
      settled();
    }
  }
}
