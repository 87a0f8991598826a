/**
 * The TaskManager's core: registers with its JobMaster, heartbeats, runs the
 * subtasks deployed into its slots, and reports their states. It serves its
 * input gates to remote producers through a data server.
 *
 * JobMaster failover: when the JobMaster's connection closes or its heartbeats
 * stop, a TaskManager whose registration answer named a leader record (and a
 * `taskmanager.registration.timeout`) does not exit: it cancels its subtasks
 * at once (nothing of the old attempt may run on, or publish, under a new
 * JobMaster), waits until they ended, then reads the record
 * (leader-retrieval.ts) until a JobMaster with a larger epoch appears, and
 * registers there with the same resource id, slots and worker secret. From
 * then on it obeys only that JobMaster's id. It exits when the timeout passes
 * without one, when the new JobMaster does not know it, or when the job ended.
 */
import type { Logger } from 'pino';
import { ExecutionState, RpcConnection, RpcJobMasterGateway, taskManagerToken, toNumber, type HeartbeatMetrics, type SendResult } from '../rpc/index.js';
import type { ebbflow } from '../proto/generated/rpc.js';
import { setStorageTimeout } from '../runtime/checkpoint/storage-deadline.js';
import { setS3Settings } from '../runtime/checkpoint/s3-settings.js';
import { secretsOf } from '../config/secrets.js';
import { describeError } from '../runtime/errors.js';
import { ChannelRegistry } from '../runtime/network/channel-registry.js';
import { DataServer } from '../runtime/network/data-server.js';
import { offerHandshake } from '../runtime/network/handshake.js';
import { connectChannel, type InternalTls } from '../runtime/network/tls.js';
import { HandshakeError } from '../runtime/errors.js';
import { planJob, type JobPlan } from '../runtime/plan.js';
import { Subtask, type SubtaskSpec } from '../runtime/subtask.js';
import type { LeaderLocation, LeaderRetrieval } from '../rpc/leader.js';
import { decodeInputs, decodeKeyGroups, decodeOutputs, decodeRescale } from './descriptors.js';
import { RedisLeaderRetrieval } from './leader-retrieval.js';
import { waitForLeader } from './leader-wait.js';

/** How long a TaskManager waits for the subtasks of a lost JobMaster to end before it gives up and exits. */
const CANCEL_WAIT_MS = 5000;

export interface TaskExecutorOptions {
  jobId: string;
  resourceId: string;
  jobMasterHost: string;
  jobMasterPort: number;
  slots: number;
  /** Address this TaskManager's data server advertises. @default '127.0.0.1' */
  dataHost: string;
  /** Address the data server binds. @default dataHost */
  dataBindHost?: string;
  /** Port of the data server (a Mesos `ports` resource). @default 0 = any free port */
  dataPort?: number;
  /** Where the job bundle is on this host, when not at the path the JobMaster sends (a Mesos sandbox). */
  bundlePath?: string;
  /** Exit when nothing is heard from the JobMaster for this long. @default 10000 */
  jobMasterTimeoutMs: number;
  /** The registration secret the JobMaster issued for this TaskManager (proven in the RPC handshake). */
  workerSecret: Buffer;
  /** Time a connection has to complete a handshake. @default 10 s */
  handshakeTimeoutMs?: number;
  /** Mutual TLS on the RPC and data connections (`security.ssl.internal.*`). */
  tls?: InternalTls;
  logger: Logger;
  /** Told the secrets of each deployment's program arguments before its code runs, so the log masks them. */
  learnSecrets?: (secrets: string[]) => void;
  /** Reads the job's leader record after the JobMaster is lost. @default Redis (leader-retrieval.ts) */
  leaderRetrieval?: (where: LeaderLocation) => LeaderRetrieval;
  /** How often the leader record is read while waiting for a new JobMaster. @default 200 */
  leaderPollMs?: number;
}

/** What a registration answer said about failover (job-leadership.ts in the JobMaster). */
interface Failover {
  epoch: number;
  where: LeaderLocation;
  timeoutMs: number;
}

export class TaskExecutor {
  private rpc: RpcConnection | undefined;
  private jobMaster: RpcJobMasterGateway | undefined;
  /** The id of the JobMaster this TaskManager registered with: commands carrying another are dropped. */
  private jobMasterId = '';
  private readonly registry = new ChannelRegistry();
  private readonly dataServer: DataServer;
  /** The job's data-plane secret, known once the JobMaster answered the registration (a new JobMaster sends its own). */
  private dataSecret: Promise<Buffer>;
  private setDataSecret!: (secret: Buffer) => void;
  private readonly tasks = new Map<string, Subtask>();
  /** Settles when the subtask's run() has returned (its sinks flushed and closed). */
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly plans = new Map<string, Promise<JobPlan>>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Metrics on (the registration answer says): heartbeats carry the subtasks' counters, measured at most this often. */
  private metricsIntervalMs: number | undefined;
  private lastHeard = Date.now();
  private stopping = false;
  /** A registration was sent on the current connection and not answered yet. */
  private awaitingAnswer = false;
  /** From the last registration answer; undefined: this TaskManager ends with its JobMaster. */
  private failover: Failover | undefined;
  /** Set while this TaskManager has no JobMaster and looks for the next one. */
  private leaderless: { since: number; reason: string } | undefined;
  private leaderRetrieval: LeaderRetrieval | undefined;
  private leaderWait: { cancel(): void } | undefined;
  /** Ends the wait for a new JobMaster (taskmanager.registration.timeout). */
  private graceTimer: NodeJS.Timeout | undefined;
  /** Registrations with a new JobMaster after a failover. */
  reRegistrations = 0;
  /** Grows when the JobMaster is lost: a deployment still being planned then does not start. */
  private generation = 0;
  /** Resolves with the exit code when the TaskManager should exit. */
  readonly done: Promise<number>;
  private finish!: (code: number) => void;

  constructor(private readonly opts: TaskExecutorOptions) {
    this.dataSecret = new Promise((resolve) => { this.setDataSecret = resolve; });
    this.dataServer = new DataServer(this.registry, (err) => opts.logger.error({ err }, 'data channel failed'), {
      // A peer that sent garbage or failed the handshake loses its connection; this TaskManager and its other channels go on.
      onRejected: (err, remote) => {
        if (err instanceof HandshakeError) opts.logger.warn({ err: err.message, code: err.code, remote, rejectedHandshakes: this.dataServer.rejectedHandshakes }, 'closed a data connection that failed the handshake');
        else opts.logger.warn({ err: err.message, remote, rejected: this.dataServer.rejectedConnections }, 'closed a data connection that sent an invalid frame');
      },
      // Producers are only told of this TaskManager once it registered: until then a connection waits (within the handshake timeout).
      secret: () => this.dataSecret,
      handshakeTimeoutMs: opts.handshakeTimeoutMs,
      tls: opts.tls,
      // A header naming no channel this TaskManager serves to it (unknown edge, stale attempt, another consumer execution, a producer the consumer does not expect).
      onRefused: (reason, header, remote) => opts.logger.warn({ reason, header, remote, refused: this.dataServer.refusedConnections }, 'refused a data connection'),
    });
    this.done = new Promise((resolve) => { this.finish = resolve; });
  }

  private dataPort = 0;

  async start(): Promise<void> {
    this.dataPort = await this.dataServer.listen(this.opts.dataBindHost ?? this.opts.dataHost, this.opts.dataPort ?? 0);
    await this.connect(this.opts.jobMasterHost, this.opts.jobMasterPort);
  }

  /** Connects to a JobMaster, passes the handshake and sends the registration (answered in `onMessage`). */
  private async connect(host: string, port: number): Promise<void> {
    let ready!: () => void;
    const connected = new Promise<void>((resolve) => { ready = resolve; });
    const socket = connectChannel(host, port, this.opts.tls, () => ready());
    try {
      await new Promise<void>((resolve, reject) => { void connected.then(resolve); socket.once('error', reject); });
      // Proves this TaskManager's worker secret and checks that the JobMaster knows it, before any Envelope either way.
      await offerHandshake(socket, 'rpc', { identity: this.opts.resourceId, secret: this.opts.workerSecret }, { timeoutMs: this.opts.handshakeTimeoutMs });
    } catch (err) {
      socket.destroy();
      throw err;
    }
    const rpc = (this.rpc = new RpcConnection(socket));
    const jobMaster = (this.jobMaster = new RpcJobMasterGateway(rpc));
    // Only the current connection is listened to: a stale JobMaster's connection says nothing any more.
    rpc.on('message', (m) => { if (rpc === this.rpc) this.onMessage(m); });
    rpc.on('close', (err) => {
      if (rpc !== this.rpc || this.stopping) return;
      if (this.leaderless) {
        // A registration with a new JobMaster that did not get through: the next look at the leader record tries again.
        this.awaitingAnswer = false;
        this.rpc = undefined;
        this.jobMaster = undefined;
        return;
      }
      this.jobMasterLost(`lost the connection to the JobMaster${err ? ` (${err.message})` : ''}`);
    });
    socket.resume(); // the handshake left it paused
    this.awaitingAnswer = true;
    this.reported(jobMaster.registerTaskManager({ resourceId: this.opts.resourceId, jobId: this.opts.jobId, slots: this.opts.slots, pid: process.pid, dataHost: this.opts.dataHost, dataPort: this.dataPort }), 'register');
  }

  /** Whether `m` comes from the JobMaster this TaskManager registered with (the registration answer itself, before that). */
  private fenced(m: ebbflow.rpc.Envelope): boolean {
    if (m.msg === 'registered' ? this.awaitingAnswer : (this.jobMasterId !== '' && !this.leaderless && m.fencingToken === this.jobMasterId)) return true;
    this.opts.logger.warn({ msg: m.msg, token: m.fencingToken, expected: this.jobMasterId || '(not registered yet)' }, 'dropped a JobMaster message with a stale fencing token');
    return false;
  }

  /** Whether this TaskManager outlives its JobMaster (waiting for the next one) rather than exiting with it. */
  get outlivesJobMaster(): boolean { return !!this.failover; }

  private onMessage(m: ebbflow.rpc.Envelope): void {
    if (!this.fenced(m)) return;
    this.lastHeard = Date.now();
    switch (m.msg) {
      case 'registered': {
        const r = m.registered!;
        this.awaitingAnswer = false;
        if (!r.accepted) {
          this.opts.logger.error({ reason: r.reason }, 'JobMaster refused the registration');
          void this.stop(1);
          return;
        }
        const previous = this.jobMasterId;
        const after = this.leaderless;
        this.jobMasterId = r.jobMasterId ?? '';
        this.jobMaster!.fence(taskManagerToken(this.opts.resourceId, r.registrationId ?? ''));
        this.failover = r.leaderKey && r.leaderRedisUrl && r.registrationTimeoutMs
          ? { epoch: toNumber(r.leaderEpoch ?? 0), where: { redisUrl: r.leaderRedisUrl, key: r.leaderKey }, timeoutMs: r.registrationTimeoutMs }
          : undefined;
        if (after) {
          // A new JobMaster: its attempts start afresh, and nothing of the old one's is left here.
          this.leaderless = undefined;
          this.leaderWait?.cancel();
          clearTimeout(this.graceTimer);
          this.registry.reset();
          this.reRegistrations++;
        }
        // The job's frame limits (ebbflow.rpc.max-frame-size, ebbflow.network.max-frame-size); until now the defaults held.
        if (r.rpcMaxFrameBytes) this.rpc!.maxFrameBytes = r.rpcMaxFrameBytes;
        if (r.networkMaxFrameBytes) this.dataServer.maxFrameBytes = r.networkMaxFrameBytes;
        // Before any task deploys: its restore reads and snapshot writes have the job's storage deadline.
        if (r.storageTimeoutMs) setStorageTimeout(r.storageTimeoutMs);
        // And `s3://` state is reached with the job's s3.* settings (the secret key comes only this way).
        if (r.s3) {
          const s = r.s3;
          setS3Settings({
            pathStyle: s.pathStyle === true, ...(s.endpoint ? { endpoint: s.endpoint } : {}), ...(s.region ? { region: s.region } : {}),
            ...(s.accessKey && s.secretKey ? { accessKey: s.accessKey, secretKey: s.secretKey } : {}),
          });
          if (s.secretKey) this.opts.learnSecrets?.([s.secretKey]);
        }
        if (!r.dataSecret?.length) {
          this.opts.logger.error('the JobMaster sent no data-plane secret; stopping');
          void this.stop(1);
          return;
        }
        const dataSecret = Buffer.from(r.dataSecret);
        this.setDataSecret(dataSecret);
        this.dataSecret = Promise.resolve(dataSecret);
        this.registry.credentials = { secret: dataSecret, identity: this.opts.resourceId, tls: this.opts.tls };
        const every = r.heartbeatIntervalMs || 1000;
        if (r.metricsEnabled) this.metricsIntervalMs = every;
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = setInterval(() => this.heartbeat(), every);
        if (after) {
          this.opts.logger.info({ epoch: this.failover?.epoch, previousJobMasterId: previous, jobMasterId: this.jobMasterId, withoutJobMasterMs: Date.now() - after.since },
            'registered with the new JobMaster of the job; commands of the earlier one are refused');
        } else this.opts.logger.info({ epoch: this.failover?.epoch }, 'registered with the JobMaster');
        return;
      }
      case 'heartbeat': return;
      case 'deploy': void this.deploy(m.deploy!); return;
      case 'cancel': this.tasks.get(m.cancel!.executionId!)?.cancel(); return;
      case 'triggerCheckpoint': {
        const t = m.triggerCheckpoint!;
        const task = this.tasks.get(t.executionId!);
        if (task) task.triggerCheckpoint(toNumber(t.checkpointId), t.directory!, t.drain === true);
        else this.reported(this.toJobMaster((g) => g.declineCheckpoint({ executionId: t.executionId, checkpointId: t.checkpointId, reason: 'the subtask is not running' })), 'decline a checkpoint');
        return;
      }
      case 'prepareRescale': {
        const p = m.prepareRescale!;
        const task = this.tasks.get(p.executionId!);
        let error = task ? '' : 'the subtask is not running';
        if (task) {
          try { task.prepareRescale(decodeRescale(p)); } catch (err) { error = describeError(err); }
        }
        this.reported(this.toJobMaster((g) => g.rescalePrepared({ executionId: p.executionId, checkpointId: p.checkpointId, error })), 'report a prepared rescale');
        return;
      }
      case 'rescaleStateReady': {
        const r = m.rescaleStateReady!;
        this.tasks.get(r.executionId!)?.rescaleStateReady(toNumber(r.checkpointId), r.subtaskState!);
        return;
      }
      case 'checkpointComplete': {
        const id = toNumber(m.checkpointComplete!.checkpointId);
        for (const t of this.tasks.values()) t.notifyCheckpointComplete(id);
        return;
      }
      case 'shutdown':
        this.opts.logger.info({ reason: m.shutdown!.reason }, 'shutdown requested by the JobMaster');
        void this.stop(0);
        return;
      default:
    }
  }

  private heartbeat(): void {
    if (Date.now() - this.lastHeard > this.opts.jobMasterTimeoutMs) {
      this.jobMasterLost(`nothing heard from the JobMaster for ${this.opts.jobMasterTimeoutMs} ms`);
      return;
    }
    this.reported(this.jobMaster?.heartbeat(this.tasks.size, this.metricsIntervalMs ? this.metrics() : undefined) ?? 'gone', 'heartbeat');
  }

  /** The running subtasks' counters and this process's resource use, for a heartbeat. */
  private metrics(): HeartbeatMetrics {
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
    this.reported(this.jobMaster?.updateTaskExecutionState({ executionId, state, error }) ?? 'gone', 'report an execution state');
  }

  /** Sends through the current JobMaster's gateway; `gone` while there is none (between JobMasters). */
  private toJobMaster(send: (g: RpcJobMasterGateway) => SendResult): SendResult {
    return this.jobMaster ? send(this.jobMaster) : 'gone';
  }

  /**
   * A report the JobMaster connection no longer takes: that connection closed, and its close
   * handler stops this TaskManager (a JobMaster that lost us redeploys elsewhere).
   */
  private reported(result: SendResult, what: string): void {
    if (result === 'gone' && !this.stopping) this.opts.logger.warn({ what }, 'the JobMaster connection is closed: report not delivered');
  }

  private plan(d: ebbflow.rpc.DeployTask.$Properties): Promise<JobPlan> {
    // Planned with the job's submitted parallelism (what env.parallelism shows), whatever this vertex runs at.
    const parallelism = d.planParallelism || d.parallelism!;
    const bundlePath = this.opts.bundlePath ?? d.bundlePath!;
    const key = JSON.stringify([bundlePath, d.entryClass, d.programArgs, parallelism, d.maxParallelism]);
    let p = this.plans.get(key);
    if (!p) {
      p = planJob({ bundlePath, entryClass: d.entryClass || undefined, programArgs: d.programArgs ?? [], parallelism, maxParallelism: d.maxParallelism! });
      // Data connections naming an edge the job does not have are refused from now on.
      p.then((plan) => this.registry.knowEdges(plan.graph.edges.map((e) => e.id)), () => {});
      this.plans.set(key, p);
    }
    return p;
  }

  private async deploy(d: ebbflow.rpc.DeployTask.$Properties): Promise<void> {
    const id = d.executionId!;
    const generation = this.generation;
    // Data connections of earlier attempts are refused from now on.
    this.registry.noteAttempt(d.attempt ?? 0);
    this.opts.learnSecrets?.(secretsOf({}, d.programArgs ?? []));
    this.report(id, ExecutionState.DEPLOYING);
    let task: Subtask;
    try {
      const plan = await this.plan(d);
      const spec: SubtaskSpec = {
        jobId: d.jobId ?? this.opts.jobId,
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
      task = new Subtask(plan, spec, {
        registry: this.registry,
        resourceId: this.opts.resourceId,
        acknowledge: (a) => this.reported(this.toJobMaster((g) => g.acknowledgeCheckpoint({ executionId: id, checkpointId: a.checkpointId, subtaskState: a.subtaskState, alignmentMs: a.alignmentMs, syncMs: a.syncMs, asyncMs: a.asyncMs })), 'acknowledge a checkpoint'),
        decline: (checkpointId, reason) => this.reported(this.toJobMaster((g) => g.declineCheckpoint({ executionId: id, checkpointId, reason })), 'decline a checkpoint'),
        movedStateWritten: (checkpointId, subtaskState) => this.reported(this.toJobMaster((g) => g.movedStateWritten({ executionId: id, checkpointId, subtaskState })), 'report moved state'),
        metrics: this.metricsIntervalMs ? { intervalMs: this.metricsIntervalMs } : undefined,
        log: (msg, fields) => this.opts.logger.info({ ...fields, executionId: id, vertexId: d.vertexId, subtask: d.subtaskIndex }, msg),
        rescaled: (r) => this.reported(this.toJobMaster((g) => g.rescaleLoaded({
          executionId: id, checkpointId: r.checkpointId, keyGroups: r.keyGroups, bytes: r.bytes, loadMs: r.loadMs,
          maxHoldMs: r.maxHoldMs, heldRecords: r.heldRecords, streams: r.streams,
        })), 'report a loaded rescale'),
      });
    } catch (err) {
      this.report(id, ExecutionState.FAILED, describeError(err));
      return;
    }
    // Its JobMaster was lost while it was being planned: it never starts.
    if (generation !== this.generation || this.stopping) return;
    this.tasks.set(id, task);
    let settled!: () => void;
    this.running.set(id, new Promise<void>((r) => { settled = r; }));
    this.report(id, ExecutionState.RUNNING);
    try {
      const outcome = await task.run();
      this.report(id, outcome === 'FINISHED' ? ExecutionState.FINISHED : ExecutionState.CANCELED);
    } catch (err) {
      this.opts.logger.error({ err, executionId: id }, 'subtask failed');
      this.report(id, ExecutionState.FAILED, describeError(err));
    } finally {
      this.tasks.delete(id);
      this.running.delete(id);
      settled();
    }
  }

  /**
   * The JobMaster is gone (connection closed, or silent past the timeout). Without failover the
   * TaskManager stops, as before. With it: its subtasks are cancelled at once, and once they ended it
   * looks for the job's next JobMaster until `taskmanager.registration.timeout` passes.
   */
  private jobMasterLost(reason: string): void {
    if (this.stopping || this.leaderless) return;
    const failover = this.failover;
    if (!failover || !this.jobMasterId) {
      this.opts.logger.error({ reason }, 'lost the JobMaster; stopping');
      void this.stop(1);
      return;
    }
    this.leaderless = { since: Date.now(), reason };
    this.generation++;
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const rpc = this.rpc;
    this.rpc = undefined;
    this.jobMaster = undefined;
    rpc?.destroy();
    this.opts.logger.warn({ reason, epoch: failover.epoch, waitMs: failover.timeoutMs, subtasks: this.tasks.size },
      'lost the JobMaster: cancelling its subtasks and waiting for a new JobMaster of the job (taskmanager.registration.timeout)');
    for (const t of this.tasks.values()) t.cancel();
    // No orphan: whatever the wait is busy with (a connection that hangs), it ends here.
    this.graceTimer = setTimeout(() => {
      if (!this.leaderless || this.stopping) return;
      this.opts.logger.error({ waitedMs: Date.now() - this.leaderless.since }, 'no new JobMaster of the job within taskmanager.registration.timeout; exiting');
      void this.stop(1);
    }, failover.timeoutMs);
    void this.awaitNewJobMaster(failover);
  }

  private async awaitNewJobMaster(failover: Failover): Promise<void> {
    const ended = await Promise.race([Promise.all(this.running.values()).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), CANCEL_WAIT_MS).unref())]);
    if (this.stopping) return;
    if (!ended) {
      this.opts.logger.error({ subtasks: [...this.tasks.keys()] }, `subtasks of the lost JobMaster did not end within ${CANCEL_WAIT_MS} ms of their cancellation; exiting`);
      void this.stop(1);
      return;
    }
    this.leaderRetrieval ??= (this.opts.leaderRetrieval ?? ((w) => new RedisLeaderRetrieval(w)))(failover.where);
    this.leaderWait = waitForLeader({
      retrieval: this.leaderRetrieval, epoch: failover.epoch, pollMs: this.opts.leaderPollMs ?? 200, logger: this.opts.logger,
      waiting: () => !this.stopping && !!this.leaderless,
      registering: () => this.awaitingAnswer,
      register: (host, port) => this.connect(host, port),
      exit: (code) => void this.stop(code),
    });
  }

  async stop(code: number): Promise<void> {
    if (this.stopping && code !== 0) { this.finish(code); return; }
    this.stopping = true;
    clearInterval(this.heartbeatTimer);
    this.leaderWait?.cancel();
    clearTimeout(this.graceTimer);
    this.leaderRetrieval?.close();
    for (const t of this.tasks.values()) t.cancel();
    // Let cancelled subtasks finish what they owe (e.g. publishing a completed checkpoint's output).
    await Promise.race([Promise.all(this.running.values()), new Promise((r) => setTimeout(r, 5000).unref())]);
    this.registry.closeAll();
    await this.dataServer.close().catch((err: Error) => this.opts.logger.warn({ err: err.message }, 'closing the data server failed'));
    this.rpc?.close();
    this.finish(code);
  }
}

