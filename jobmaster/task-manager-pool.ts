/**
 * The TaskManagers registered with a JobMaster: their gateways, slots, data
 * addresses and heartbeats. TaskManagers arrive through an endpoint
 * (task-manager-endpoint.ts: TCP in a job process, in memory in tests) that
 * hands registrations, heartbeats, reports and disconnects to this pool. Loss
 * (connection closed, heartbeat timeout) is reported once per TaskManager.
 */
import type { Logger } from 'pino';
import type { S3Settings } from '../runtime/checkpoint/s3-settings.js';
import type { ebbflow } from '../proto/generated/rpc.js';
import {
  GoneTaskExecutorGateway, newRegistrationId, type JobMasterId, type SendResult, type TaskExecutorGateway, type TaskManagerMessage,
} from '../rpc/index.js';

/** What a TaskManager says about itself when it registers. */
export interface TaskManagerRegistration {
  resourceId: string;
  jobId: string;
  slots: number;
  pid: number;
  dataHost: string;
  dataPort: number;
}

export interface RegisteredTaskManager {
  resourceId: string;
  gateway: TaskExecutorGateway;
  slots: number;
  pid: number;
  dataHost: string;
  dataPort: number;
  lastHeartbeat: number;
  registeredAt: number;
  /** This registration's id: with the resource id, the fencing token of the TaskManager's reports. */
  registrationId: string;
}

/** The pool's answer to a registration, sent to the TaskManager before anything else. */
export type RegistrationAnswer =
  | {
    accepted: true; jobMasterId: JobMasterId; registrationId: string; heartbeatIntervalMs: number; rpcMaxFrameBytes?: number; networkMaxFrameBytes?: number; storageTimeoutMs?: number; metricsEnabled?: boolean; s3?: S3Settings;
    /** Failover (job-leadership.ts): this JobMaster's epoch, where the next one is found, how long to wait for it. */
    leaderEpoch?: number; leaderRedisUrl?: string; leaderKey?: string; registrationTimeoutMs?: number;
  }
  | { accepted: false; reason: string };

export interface PoolEvents {
  /** Return false to refuse (unknown worker, job ending). */
  accept(r: TaskManagerRegistration): boolean;
  registered(tm: RegisteredTaskManager): void;
  /** `hb`: what the heartbeat carries (metrics, with ebbflow.metrics.enabled). */
  heartbeat(tm: RegisteredTaskManager, hb?: ebbflow.rpc.IHeartbeat): void;
  message(tm: RegisteredTaskManager, m: TaskManagerMessage): void;
  lost(resourceId: string, cause: string): void;
}

export interface PoolOptions {
  jobMasterId: JobMasterId;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Largest RPC message, both ways (the endpoint's connections and, through the registration answer, the TaskManagers'). @default 16 MiB */
  rpcMaxFrameBytes?: number;
  /** Largest data frame the TaskManagers' data servers accept, sent in the registration answer. @default 64 MiB */
  networkMaxFrameBytes?: number;
  /** The job's `ebbflow.storage.timeout`, sent to TaskManagers when they register. */
  storageTimeoutMs?: number;
  /** `ebbflow.metrics.enabled`, sent to TaskManagers when they register: their heartbeats carry their subtasks' metrics. */
  metricsEnabled?: boolean;
  /** The job's `s3.*` settings, sent to TaskManagers when they register (their state may be on `s3://`). */
  s3?: S3Settings;
  logger: Logger;
}

/** What a registered TaskManager is told about failover, once this JobMaster leads the job (job-leadership.ts). */
export interface PoolFailover {
  epoch: number;
  redisUrl: string;
  key: string;
  /** `taskmanager.registration.timeout`; 0 when this job's TaskManagers cannot outlive their job process. */
  registrationTimeoutMs: number;
}

export class TaskManagerPool {
  readonly tms = new Map<string, RegisteredTaskManager>();
  /** Set once this JobMaster claimed the job's leadership; sent in every registration answer from then on. */
  failover: PoolFailover | undefined;
  /** Every TaskManager that registered at some point (a loss of one of them is reported once, by `lost`). */
  private readonly everRegistered = new Set<string>();
  private monitor: NodeJS.Timeout | undefined;

  constructor(private readonly o: PoolOptions, private readonly events: PoolEvents) {}

  get jobMasterId(): JobMasterId { return this.o.jobMasterId; }
  /** Largest RPC message accepted from a TaskManager; undefined: the default. */
  get rpcMaxFrameBytes(): number | undefined { return this.o.rpcMaxFrameBytes; }

  /** Starts checking heartbeats. */
  start(): void {
    this.monitor ??= setInterval(() => this.checkHeartbeats(), this.o.heartbeatIntervalMs);
  }

  /**
   * A TaskManager registers over `gateway`. `respond` delivers the answer, before any command the
   * registration leads to. Returns the registered TaskManager, or undefined when refused.
   */
  register(r: TaskManagerRegistration, gateway: TaskExecutorGateway, respond: (answer: RegistrationAnswer) => void): RegisteredTaskManager | undefined {
    const current = this.tms.get(r.resourceId);
    if (current) {
      // Fencing: a registered TaskManager keeps its id while it is connected (a real one never
      // registers twice; one that lost its connection is forgotten first, see `lose`). A second
      // registration is an impostor or a confused peer: refused, and the registered one stays.
      this.o.logger.warn({ resourceId: r.resourceId, pid: r.pid, registeredPid: current.pid, registeredAt: current.registeredAt },
        'refused a second registration of a registered TaskManager');
      respond({ accepted: false, reason: `TaskManager ${r.resourceId} is already registered with this JobMaster` });
      return undefined;
    }
    if (!this.events.accept(r)) {
      respond({ accepted: false, reason: `TaskManager ${r.resourceId} is not expected by this JobMaster` });
      return undefined;
    }
    const now = Date.now();
    const tm: RegisteredTaskManager = {
      resourceId: r.resourceId, gateway, slots: r.slots, pid: r.pid, dataHost: r.dataHost, dataPort: r.dataPort,
      lastHeartbeat: now, registeredAt: now, registrationId: newRegistrationId(),
    };
    this.tms.set(r.resourceId, tm);
    this.everRegistered.add(r.resourceId);
    const f = this.failover;
    respond({
      accepted: true, jobMasterId: this.o.jobMasterId, registrationId: tm.registrationId, heartbeatIntervalMs: this.o.heartbeatIntervalMs, rpcMaxFrameBytes: this.o.rpcMaxFrameBytes,
      networkMaxFrameBytes: this.o.networkMaxFrameBytes, storageTimeoutMs: this.o.storageTimeoutMs, metricsEnabled: this.o.metricsEnabled, s3: this.o.s3,
      ...(f ? { leaderEpoch: f.epoch, leaderRedisUrl: f.redisUrl, leaderKey: f.key, registrationTimeoutMs: f.registrationTimeoutMs } : {}),
    });
    this.o.logger.info({ resourceId: tm.resourceId, pid: tm.pid, slots: tm.slots }, 'TaskManager registered');
    this.events.registered(tm);
    return tm;
  }

  /** Whether `tm` is the current registration of its resource id (not one replaced or lost since). */
  isCurrent(tm: RegisteredTaskManager): boolean { return this.tms.get(tm.resourceId) === tm; }

  /** A heartbeat from `tm`: answered, and its record refreshed. */
  heartbeatFrom(tm: RegisteredTaskManager, hb?: ebbflow.rpc.IHeartbeat): void {
    if (!this.isCurrent(tm)) return;
    tm.lastHeartbeat = Date.now();
    // A gone TaskManager's close is reported by its endpoint; nothing more to do here.
    if (tm.gateway.heartbeat(Date.now()) === 'gone') return;
    this.events.heartbeat(tm, hb);
  }

  /** A report from `tm`, routed to the JobMaster if `tm` is still registered. */
  deliver(tm: RegisteredTaskManager, m: TaskManagerMessage): void {
    if (this.isCurrent(tm)) this.events.message(tm, m);
  }

  /** `tm`'s connection closed. */
  disconnected(tm: RegisteredTaskManager): void {
    if (this.isCurrent(tm)) this.lose(tm.resourceId, `lost the connection to TaskManager ${tm.resourceId} (pid ${tm.pid})`);
  }

  /** Whether this TaskManager registered at some point (it may be gone since). */
  registeredOnce(resourceId: string): boolean { return this.everRegistered.has(resourceId); }

  /** The gateway of a registered TaskManager, or one whose every send reports `gone`. */
  gateway(resourceId: string | undefined): TaskExecutorGateway {
    return this.tms.get(resourceId ?? '')?.gateway ?? new GoneTaskExecutorGateway(resourceId ?? '');
  }

  /** Forgets a TaskManager and reports it lost. */
  lose(resourceId: string, cause: string): void {
    const tm = this.tms.get(resourceId);
    if (!tm) return;
    this.tms.delete(resourceId);
    tm.gateway.disconnect();
    this.events.lost(resourceId, cause);
  }

  /** Lets a TaskManager go on purpose (not a loss): tells it to shut down and forgets it. */
  release(resourceId: string, reason: string): SendResult {
    const tm = this.tms.get(resourceId);
    if (!tm) return 'gone';
    this.tms.delete(resourceId);
    return tm.gateway.release(reason);
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    for (const tm of [...this.tms.values()]) {
      const silent = now - tm.lastHeartbeat;
      if (silent > this.o.heartbeatTimeoutMs) {
        this.lose(tm.resourceId, `TaskManager ${tm.resourceId} (pid ${tm.pid}) missed heartbeats for ${silent} ms (timeout ${this.o.heartbeatTimeoutMs} ms)`);
      }
    }
  }

  /** Slots in a stable order (by resource id, then slot number). */
  slots(): Array<{ tm: RegisteredTaskManager; slot: number }> {
    const out: Array<{ tm: RegisteredTaskManager; slot: number }> = [];
    for (const tm of [...this.tms.values()].sort((a, b) => a.resourceId.localeCompare(b.resourceId))) {
      for (let s = 0; s < tm.slots; s++) out.push({ tm, slot: s });
    }
    return out;
  }

  /** Sends to every registered TaskManager; returns the resource ids of those that were gone. */
  broadcast(send: (gateway: TaskExecutorGateway) => SendResult): string[] {
    return [...this.tms.values()].filter((tm) => send(tm.gateway) === 'gone').map((tm) => tm.resourceId);
  }

  close(): void {
    clearInterval(this.monitor);
  }

  /**
   * Drops every TaskManager connection without a word (a stale JobMaster stepping aside): they look
   * for the job's next JobMaster, and none is reported lost here.
   */
  abandon(): void {
    clearInterval(this.monitor);
    const tms = [...this.tms.values()];
    this.tms.clear();
    for (const tm of tms) tm.gateway.disconnect();
  }
}
