/**
 * The JobMaster of one job, running in the job's own process beside its
 * ResourceManager: plans the job from the bundle, gets slots, deploys one
 * subtask of every vertex into each slot (slot sharing), follows the
 * executions and drives the job to FINISHED, CANCELED or FAILED, writing each
 * transition to the job registry. TaskManagers reach it over TCP (rpc/).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import Long from 'long';
import type { Logger } from 'pino';
import type { JobRegistry, JobState } from '../metadata/index.js';
import { EXECUTION_STATES } from '../metadata/index.js';
import type { ebbflow } from '../proto/generated/rpc.js';
import type { ResourceManager } from '../resourcemanager/index.js';
import { ExecutionState, Partitioning, RpcConnection } from '../rpc/index.js';
import { describeError } from '../runtime/errors.js';
import { planJob, type JobPlan } from '../runtime/plan.js';
import { ExecutionGraph, type Execution } from './execution-graph.js';
import type { CompiledJobSpec } from './job-spec.js';

interface TaskManagerSlotOwner {
  resourceId: string;
  rpc: RpcConnection;
  slots: number;
  pid: number;
  dataHost: string;
  dataPort: number;
  lastHeartbeat: number;
  registeredAt: number;
}

type Outcome = { state: 'FINISHED' | 'CANCELED' } | { state: 'FAILED'; cause: string };

export class JobMaster {
  private readonly jobMasterId = randomBytes(16).toString('hex');
  private server: Server | undefined;
  private plan: JobPlan | undefined;
  private graph: ExecutionGraph | undefined;
  private readonly taskManagers = new Map<string, TaskManagerSlotOwner>();
  private deployed = false;
  private ending = false;
  private cancelRequested = false;
  private outcome!: (o: Outcome) => void;
  private readonly outcomePromise = new Promise<Outcome>((resolve) => { this.outcome = resolve; });
  private vertexWrite: NodeJS.Timeout | undefined;
  private monitor: NodeJS.Timeout | undefined;

  constructor(
    private readonly spec: CompiledJobSpec,
    private readonly registry: JobRegistry,
    private readonly rmFactory: (jobMasterAddress: string) => ResourceManager,
    private readonly log: Logger,
  ) {}

  /** Runs the job to a terminal state; resolves with the process exit code. */
  async run(): Promise<number> {
    const id = this.spec.jobId;
    try {
      this.plan = await planJob({
        bundlePath: this.spec.bundlePath, entryClass: this.spec.entryClass, programArgs: this.spec.programArgs,
        parallelism: this.spec.parallelism, maxParallelism: this.spec.maxParallelism, defaultName: this.spec.defaultName,
      });
    } catch (err) {
      const cause = describeError(err);
      this.log.error({ err }, 'the job could not be planned');
      await this.registry.transition(id, 'FAILED', { failureCause: cause });
      return 1;
    }
    this.graph = new ExecutionGraph(this.plan.graph);
    if (this.cancelRequested) {
      await this.registry.transition(id, 'CANCELED', { name: this.plan.graph.name });
      return 0;
    }
    await this.registry.transition(id, 'CREATED', {
      name: this.plan.graph.name, maxParallelism: this.plan.graph.maxParallelism, vertices: this.graph.vertexInfo(),
    });
    this.log.info({ vertices: this.plan.graph.vertices.map((v) => v.name) }, 'job planned');

    const address = await this.listen();
    const rm = this.rmFactory(address);
    let outcome: Outcome;
    try {
      await rm.start({
        onWorkerTerminated: (rid, cause) => this.onTaskManagerLost(rid, cause),
        onError: (err) => this.failJob(`resource manager error: ${err.message}`),
      });
      await rm.ensureSlots(this.spec.parallelism);
      const slotTimer = setTimeout(() => {
        if (!this.deployed) this.failJob(`could not get ${this.spec.parallelism} slot(s) within ${this.spec.slotRequestTimeoutMs} ms from the ${rm.driverName} resource manager`);
      }, this.spec.slotRequestTimeoutMs);
      this.monitor = setInterval(() => this.checkHeartbeats(), this.spec.heartbeatIntervalMs);
      this.rmRef = rm;
      outcome = await this.outcomePromise;
      clearTimeout(slotTimer);
    } catch (err) {
      outcome = { state: 'FAILED', cause: describeError(err) };
    }
    return this.finish(outcome, rm);
  }

  private rmRef: ResourceManager | undefined;

  private async finish(outcome: Outcome, rm: ResourceManager): Promise<number> {
    this.ending = true;
    clearInterval(this.monitor);
    const id = this.spec.jobId;
    if (outcome.state !== 'FINISHED') {
      if (outcome.state === 'CANCELED') await this.registry.transition(id, 'CANCELLING');
      else if (outcome.state === 'FAILED') this.log.error({ cause: outcome.cause }, 'job failed');
      await this.cancelExecutions();
    }
    for (const tm of this.taskManagers.values()) tm.rpc.send({ shutdown: { reason: `job ${outcome.state}` } });
    await rm.stopAll();
    this.server?.close();
    await this.registry.clearTaskManagers(id);
    clearTimeout(this.vertexWrite);
    const vertices = this.graph!.vertexInfo();
    if (outcome.state === 'FAILED') await this.registry.transition(id, 'FAILED', { failureCause: outcome.cause, vertices });
    else await this.registry.transition(id, outcome.state, { vertices });
    this.log.info({ state: outcome.state }, 'job ended');
    return outcome.state === 'FAILED' ? 1 : 0;
  }

  /** Asks every running execution to cancel and waits (bounded) for them to stop. */
  private async cancelExecutions(): Promise<void> {
    const live = this.graph!.all().filter((e) => e.state === 'RUNNING' || e.state === 'DEPLOYING');
    for (const e of live) {
      this.graph!.setState(e.id, 'CANCELING');
      this.taskManagers.get(e.resourceId!)?.rpc.send({ cancel: { executionId: e.id } });
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && this.graph!.all().some((e) => e.state === 'CANCELING')) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const e of this.graph!.all()) if (e.state === 'CANCELING' || e.state === 'CREATED' || e.state === 'SCHEDULED') this.graph!.setState(e.id, 'CANCELED');
  }

  /** Cancellation requested by the dispatcher (IPC) or a signal. */
  cancel(): void {
    this.cancelRequested = true;
    this.outcome({ state: 'CANCELED' });
  }

  private failJob(cause: string): void {
    if (this.ending) return;
    this.outcome({ state: 'FAILED', cause });
  }

  private listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server = createServer((socket) => this.accept(new RpcConnection(socket)));
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        const a = this.server!.address() as AddressInfo;
        resolve(`${a.address}:${a.port}`);
      });
    });
  }

  private accept(rpc: RpcConnection): void {
    let resourceId: string | undefined;
    rpc.on('message', (m) => {
      if (m.msg === 'register') {
        const r = m.register!;
        resourceId = r.resourceId ?? undefined;
        void this.onRegister(rpc, r);
      } else if (m.msg === 'heartbeat' && resourceId) {
        const tm = this.taskManagers.get(resourceId);
        if (tm) {
          tm.lastHeartbeat = Date.now();
          rpc.send({ heartbeat: { timestamp: Long.fromNumber(Date.now()) } });
          void this.registry.putTaskManager(this.tmRecord(tm)).catch(() => {});
        }
      } else if (m.msg === 'taskStatus') {
        this.onTaskStatus(m.taskStatus!);
      }
    });
    rpc.on('close', () => {
      if (resourceId && this.taskManagers.has(resourceId)) this.onTaskManagerLost(resourceId, `lost the connection to TaskManager ${resourceId}`);
    });
  }

  private tmRecord(tm: TaskManagerSlotOwner) {
    const used = this.graph ? new Set(this.graph.all().filter((e) => e.resourceId === tm.resourceId && e.state !== 'FINISHED' && e.state !== 'CANCELED' && e.state !== 'FAILED').map((e) => e.slotIndex)).size : 0;
    return {
      id: tm.resourceId, jobId: this.spec.jobId, pid: tm.pid, host: tm.dataHost, dataPort: tm.dataPort, slotsNumber: tm.slots,
      freeSlots: Math.max(0, tm.slots - used), lastHeartbeat: tm.lastHeartbeat, registeredAt: tm.registeredAt,
    };
  }

  private async onRegister(rpc: RpcConnection, r: ebbflow.rpc.RegisterTaskManager.$Properties): Promise<void> {
    const resourceId = r.resourceId ?? '';
    const ours = r.jobId === this.spec.jobId && this.rmRef?.registered(resourceId);
    if (!ours || this.ending) {
      rpc.send({ registered: { accepted: false, reason: ours ? 'the job is ending' : `unknown TaskManager ${resourceId} for job ${r.jobId}` } });
      rpc.close();
      return;
    }
    const now = Date.now();
    const tm: TaskManagerSlotOwner = {
      resourceId, rpc, slots: r.slots ?? 1, pid: r.pid ?? 0, dataHost: r.dataHost ?? '127.0.0.1', dataPort: r.dataPort ?? 0, lastHeartbeat: now, registeredAt: now,
    };
    this.taskManagers.set(resourceId, tm);
    rpc.send({ registered: { accepted: true, jobMasterId: this.jobMasterId, heartbeatIntervalMs: this.spec.heartbeatIntervalMs } });
    this.log.info({ resourceId, pid: tm.pid, slots: tm.slots }, 'TaskManager registered');
    await this.registry.putTaskManager(this.tmRecord(tm)).catch(() => {});
    this.maybeDeploy();
  }

  /** Deploys once enough slots registered: slot i hosts subtask i of every vertex. */
  private maybeDeploy(): void {
    if (this.deployed || this.ending) return;
    const slots: Array<{ tm: TaskManagerSlotOwner; slot: number }> = [];
    for (const tm of this.taskManagers.values()) for (let s = 0; s < tm.slots; s++) slots.push({ tm, slot: s });
    if (slots.length < this.spec.parallelism) return;
    this.deployed = true;
    const graph = this.graph!;
    const plan = this.plan!.graph;
    for (const e of graph.all()) {
      const target = slots[e.subtaskIndex]!;
      e.resourceId = target.tm.resourceId;
      e.slotIndex = target.slot;
      graph.setState(e.id, 'SCHEDULED');
    }
    const location = (vertexId: string) => graph.ofVertex(vertexId).map((x) => {
      const tm = this.taskManagers.get(x.resourceId!)!;
      return { subtaskIndex: x.subtaskIndex, resourceId: tm.resourceId, dataHost: tm.dataHost, dataPort: tm.dataPort };
    });
    // Consumers first, so their input gates exist early (producers would wait for them anyway).
    const order = [...graph.all()].sort((a, b) => plan.vertices.findIndex((v) => v.id === b.vertexId) - plan.vertices.findIndex((v) => v.id === a.vertexId));
    for (const e of order) {
      const vertex = plan.vertices.find((v) => v.id === e.vertexId)!;
      const tm = this.taskManagers.get(e.resourceId!)!;
      const outputs = plan.edges.filter((ed) => ed.source === vertex.id).map((ed) => ({
        edgeId: ed.id, targetVertexId: ed.target, partitioning: Partitioning[ed.partitioning], consumers: location(ed.target),
      }));
      const inputs = plan.edges.filter((ed) => ed.target === vertex.id).map((ed) => ({
        edgeId: ed.id, sourceVertexId: ed.source, producerCount: plan.vertices.find((v) => v.id === ed.source)!.parallelism,
      }));
      tm.rpc.send({
        deploy: {
          executionId: e.id, vertexId: vertex.id, subtaskIndex: e.subtaskIndex, parallelism: vertex.parallelism, maxParallelism: plan.maxParallelism,
          slotIndex: e.slotIndex, bundlePath: this.spec.bundlePath, entryClass: this.spec.entryClass ?? '', programArgs: this.spec.programArgs,
          outputs, inputs, attempt: 0,
        },
      });
    }
    this.scheduleVertexWrite();
  }

  private onTaskStatus(s: ebbflow.rpc.TaskStatusUpdate.$Properties): void {
    const graph = this.graph;
    if (!graph) return;
    const state = EXECUTION_STATES.find((n) => (ExecutionState as unknown as Record<string, number>)[n] === s.state) ?? 'FAILED';
    const e = graph.setState(s.executionId ?? '', state, s.error || undefined);
    if (!e) return;
    this.scheduleVertexWrite();
    if (this.ending) return;
    if (state === 'FAILED') {
      this.failJob(`subtask ${e.subtaskIndex} of "${this.vertexName(e)}" failed: ${s.error || 'unknown error'}`);
    } else if (state === 'RUNNING' && graph.allIn('RUNNING', 'FINISHED')) {
      void this.transition('RUNNING');
    } else if (state === 'FINISHED' && graph.allIn('FINISHED')) {
      this.outcome({ state: 'FINISHED' });
    }
  }

  private vertexName(e: Execution): string {
    return this.plan!.graph.vertices.find((v) => v.id === e.vertexId)?.name ?? e.vertexId;
  }

  private async transition(state: JobState): Promise<void> {
    await this.registry.transition(this.spec.jobId, state, { vertices: this.graph!.vertexInfo() });
  }

  private onTaskManagerLost(resourceId: string, cause: string): void {
    const tm = this.taskManagers.get(resourceId);
    this.taskManagers.delete(resourceId);
    tm?.rpc.destroy();
    // Its executions are gone with it; nothing will report them again.
    for (const e of this.graph?.all() ?? []) {
      if (e.resourceId === resourceId && !['FINISHED', 'CANCELED', 'FAILED'].includes(e.state)) this.graph!.setState(e.id, this.ending ? 'CANCELED' : 'FAILED', cause);
    }
    void this.registry.removeTaskManager(this.spec.jobId, resourceId).catch(() => {});
    if (this.ending) return;
    // Failover with restarts arrives with checkpoints; until then a lost TaskManager fails the job.
    this.failJob(cause);
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    for (const tm of this.taskManagers.values()) {
      if (now - tm.lastHeartbeat > this.spec.heartbeatTimeoutMs) {
        this.onTaskManagerLost(tm.resourceId, `TaskManager ${tm.resourceId} missed heartbeats for ${now - tm.lastHeartbeat} ms (timeout ${this.spec.heartbeatTimeoutMs} ms)`);
      }
    }
  }

  private scheduleVertexWrite(): void {
    if (this.vertexWrite) return;
    this.vertexWrite = setTimeout(() => {
      this.vertexWrite = undefined;
      if (this.graph) void this.registry.update(this.spec.jobId, { vertices: this.graph.vertexInfo() }).catch(() => {});
    }, 100);
  }
}
