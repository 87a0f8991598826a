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
 *
 * This class owns the JobMaster connection and its messages; the subtasks are
 * run by `DeployedSubtasks` (deployed-subtasks.ts), the wait for the next
 * JobMaster is `JobMasterFailover`'s (jobmaster-failover.ts), and the job's
 * process-wide settings from the answer are applied by job-settings.ts.
 */
import type { Logger } from 'pino';
import { RpcConnection, RpcJobMasterGateway, taskManagerToken, toNumber, type SendResult } from '../rpc/index.js';
import type { ebbflow } from '../proto/generated/rpc.js';
import { describeError } from '../runtime/errors.js';
import { ChannelRegistry } from '../runtime/network/channel-registry.js';
import { DataServer } from '../runtime/network/data-server.js';
import { offerHandshake } from '../runtime/network/handshake.js';
import { connectChannel, type InternalTls } from '../runtime/network/tls.js';
import { HandshakeError } from '../runtime/errors.js';
import type { LeaderLocation, LeaderRetrieval } from '../rpc/leader.js';
import { DeployedSubtasks } from './deployed-subtasks.js';
import { decodeRescale } from './descriptors.js';
import { applyJobSettings } from './job-settings.js';
import { JobMasterFailover } from './jobmaster-failover.js';

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
  private readonly subtasks: DeployedSubtasks;
  private readonly failover: JobMasterFailover;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Metrics on (the registration answer says): heartbeats carry the subtasks' counters, measured at most this often. */
  private metricsIntervalMs: number | undefined;
  private lastHeard = Date.now();
  private stopping = false;
  /** A registration was sent on the current connection and not answered yet. */
  private awaitingAnswer = false;
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
    this.subtasks = new DeployedSubtasks({
      jobId: opts.jobId, resourceId: opts.resourceId, bundlePath: opts.bundlePath, logger: opts.logger, learnSecrets: opts.learnSecrets,
      registry: this.registry,
      send: (what, send) => this.reported(this.toJobMaster(send), what),
      metricsIntervalMs: () => this.metricsIntervalMs,
      stopping: () => this.stopping,
    });
    this.failover = new JobMasterFailover({
      logger: opts.logger, leaderRetrieval: opts.leaderRetrieval, leaderPollMs: opts.leaderPollMs, subtasks: this.subtasks,
      stopping: () => this.stopping,
      registering: () => this.awaitingAnswer,
      register: (host, port) => this.connect(host, port),
      exit: (code) => void this.stop(code),
    });
  }

  /** Registrations with a new JobMaster after a failover. */
  get reRegistrations(): number { return this.failover.reRegistrations; }

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
      if (this.failover.leaderless) {
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
    if (m.msg === 'registered' ? this.awaitingAnswer : (this.jobMasterId !== '' && !this.failover.leaderless && m.fencingToken === this.jobMasterId)) return true;
    this.opts.logger.warn({ msg: m.msg, token: m.fencingToken, expected: this.jobMasterId || '(not registered yet)' }, 'dropped a JobMaster message with a stale fencing token');
    return false;
  }

  /** Whether this TaskManager outlives its JobMaster (waiting for the next one) rather than exiting with it. */
  get outlivesJobMaster(): boolean { return this.failover.enabled; }

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
        this.jobMasterId = r.jobMasterId ?? '';
        this.jobMaster!.fence(taskManagerToken(this.opts.resourceId, r.registrationId ?? ''));
        const after = this.failover.registered(r);
        // A new JobMaster: its attempts start afresh, and nothing of the old one's is left here.
        if (after) this.registry.reset();
        applyJobSettings(r, { rpc: this.rpc!, dataServer: this.dataServer, learnSecrets: this.opts.learnSecrets });
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
          this.opts.logger.info({ epoch: this.failover.epoch, previousJobMasterId: previous, jobMasterId: this.jobMasterId, withoutJobMasterMs: Date.now() - after.since },
            'registered with the new JobMaster of the job; commands of the earlier one are refused');
        } else this.opts.logger.info({ epoch: this.failover.epoch }, 'registered with the JobMaster');
        return;
      }
      case 'heartbeat': return;
      case 'deploy': void this.subtasks.deploy(m.deploy!); return;
      case 'cancel': this.subtasks.get(m.cancel!.executionId!)?.cancel(); return;
      case 'triggerCheckpoint': {
        const t = m.triggerCheckpoint!;
        const task = this.subtasks.get(t.executionId!);
        if (task) task.triggerCheckpoint(toNumber(t.checkpointId), t.directory!, t.drain === true);
        else this.reported(this.toJobMaster((g) => g.declineCheckpoint({ executionId: t.executionId, checkpointId: t.checkpointId, reason: 'the subtask is not running' })), 'decline a checkpoint');
        return;
      }
      case 'prepareRescale': {
        const p = m.prepareRescale!;
        const task = this.subtasks.get(p.executionId!);
        let error = task ? '' : 'the subtask is not running';
        if (task) {
          try { task.prepareRescale(decodeRescale(p)); } catch (err) { error = describeError(err); }
        }
        this.reported(this.toJobMaster((g) => g.rescalePrepared({ executionId: p.executionId, checkpointId: p.checkpointId, error })), 'report a prepared rescale');
        return;
      }
      case 'rescaleStateReady': {
        const r = m.rescaleStateReady!;
        this.subtasks.get(r.executionId!)?.rescaleStateReady(toNumber(r.checkpointId), r.subtaskState!);
        return;
      }
      case 'alignWatermarks': {
        const a = m.alignWatermarks!;
        for (const t of this.subtasks.values()) t.alignWatermarks(a.group ?? '', a.maxAllowedWatermark ?? Infinity, a.slowestExecutionId ?? '');
        return;
      }
      case 'checkpointComplete': {
        const id = toNumber(m.checkpointComplete!.checkpointId);
        for (const t of this.subtasks.values()) t.notifyCheckpointComplete(id);
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
    this.reported(this.jobMaster?.heartbeat(this.subtasks.size, this.metricsIntervalMs ? this.subtasks.metrics() : undefined) ?? 'gone', 'heartbeat');
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

  /**
   * The JobMaster is gone (connection closed, or silent past the timeout). Without failover the
   * TaskManager stops, as before. With it: its subtasks are cancelled at once, and once they ended it
   * looks for the job's next JobMaster until `taskmanager.registration.timeout` passes.
   */
  private jobMasterLost(reason: string): void {
    if (this.stopping || this.failover.leaderless) return;
    if (!this.failover.enabled || !this.jobMasterId) {
      this.opts.logger.error({ reason }, 'lost the JobMaster; stopping');
      void this.stop(1);
      return;
    }
    this.failover.markLost(reason);
    this.subtasks.abandon();
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const rpc = this.rpc;
    this.rpc = undefined;
    this.jobMaster = undefined;
    rpc?.destroy();
    this.opts.logger.warn({ reason, epoch: this.failover.epoch, waitMs: this.failover.timeoutMs, subtasks: this.subtasks.size },
      'lost the JobMaster: cancelling its subtasks and waiting for a new JobMaster of the job (taskmanager.registration.timeout)');
    this.subtasks.cancelAll();
    this.failover.awaitNext();
  }

  async stop(code: number): Promise<void> {
    if (this.stopping && code !== 0) { this.finish(code); return; }
    this.stopping = true;
    clearInterval(this.heartbeatTimer);
    this.failover.close();
    this.subtasks.cancelAll();
    // Let cancelled subtasks finish what they owe (e.g. publishing a completed checkpoint's output).
    await this.subtasks.endedWithin(5000);
    this.registry.closeAll();
    await this.dataServer.close().catch((err: Error) => this.opts.logger.warn({ err: err.message }, 'closing the data server failed'));
    this.rpc?.close();
    this.finish(code);
  }
}

