/**
 * The TaskManagers registered with a JobMaster: their RPC connections, slots,
 * data addresses and heartbeats. Loss (connection closed, heartbeat timeout)
 * is reported once per TaskManager.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import Long from 'long';
import type { Logger } from 'pino';
import type { ebbflow } from '../proto/generated/rpc.js';
import { RpcConnection } from '../rpc/index.js';

export interface RegisteredTaskManager {
  resourceId: string;
  rpc: RpcConnection;
  slots: number;
  pid: number;
  dataHost: string;
  dataPort: number;
  lastHeartbeat: number;
  registeredAt: number;
}

export interface PoolEvents {
  /** Return false to refuse (unknown worker, job ending). */
  accept(resourceId: string, jobId: string): boolean;
  registered(tm: RegisteredTaskManager): void;
  heartbeat(tm: RegisteredTaskManager): void;
  message(tm: RegisteredTaskManager, m: ebbflow.rpc.Envelope): void;
  lost(resourceId: string, cause: string): void;
}

export class TaskManagerPool {
  readonly tms = new Map<string, RegisteredTaskManager>();
  /** Every TaskManager that registered at some point (a loss of one of them is reported once, by `lost`). */
  private readonly everRegistered = new Set<string>();
  private server: Server | undefined;
  private monitor: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: { jobMasterId: string; heartbeatIntervalMs: number; heartbeatTimeoutMs: number; logger: Logger },
    private readonly events: PoolEvents,
  ) {}

  /** Listens on `bindHost` (an ephemeral port) and returns "advertiseHost:port", the address TaskManagers dial. */
  listen(bindHost = '127.0.0.1', advertiseHost = bindHost): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server = createServer((socket) => this.accept(new RpcConnection(socket)));
      this.server.once('error', reject);
      this.server.listen(0, bindHost, () => {
        const a = this.server!.address() as AddressInfo;
        this.monitor = setInterval(() => this.checkHeartbeats(), this.o.heartbeatIntervalMs);
        resolve(`${advertiseHost.includes(':') ? `[${advertiseHost}]` : advertiseHost}:${a.port}`);
      });
    });
  }

  private accept(rpc: RpcConnection): void {
    let tm: RegisteredTaskManager | undefined;
    rpc.on('message', (m) => {
      if (m.msg === 'register') {
        const r = m.register!;
        const resourceId = r.resourceId ?? '';
        if (!this.events.accept(resourceId, r.jobId ?? '')) {
          rpc.send({ registered: { accepted: false, reason: `TaskManager ${resourceId} is not expected by this JobMaster` } });
          rpc.close();
          return;
        }
        const now = Date.now();
        tm = { resourceId, rpc, slots: r.slots ?? 1, pid: r.pid ?? 0, dataHost: r.dataHost ?? '127.0.0.1', dataPort: r.dataPort ?? 0, lastHeartbeat: now, registeredAt: now };
        this.tms.set(resourceId, tm);
        this.everRegistered.add(resourceId);
        rpc.send({ registered: { accepted: true, jobMasterId: this.o.jobMasterId, heartbeatIntervalMs: this.o.heartbeatIntervalMs } });
        this.o.logger.info({ resourceId, pid: tm.pid, slots: tm.slots }, 'TaskManager registered');
        this.events.registered(tm);
      } else if (tm && this.tms.get(tm.resourceId) === tm) {
        if (m.msg === 'heartbeat') {
          tm.lastHeartbeat = Date.now();
          rpc.send({ heartbeat: { timestamp: Long.fromNumber(Date.now()) } });
          this.events.heartbeat(tm);
        } else {
          this.events.message(tm, m);
        }
      }
    });
    rpc.on('close', () => {
      if (tm && this.tms.get(tm.resourceId) === tm) this.lose(tm.resourceId, `lost the connection to TaskManager ${tm.resourceId} (pid ${tm.pid})`);
    });
  }

  /** Whether this TaskManager registered at some point (it may be gone since). */
  registeredOnce(resourceId: string): boolean { return this.everRegistered.has(resourceId); }

  /** Forgets a TaskManager and reports it lost. */
  lose(resourceId: string, cause: string): void {
    const tm = this.tms.get(resourceId);
    if (!tm) return;
    this.tms.delete(resourceId);
    tm.rpc.destroy();
    this.events.lost(resourceId, cause);
  }

  /** Lets a TaskManager go on purpose (not a loss): tells it to shut down and forgets it. */
  release(resourceId: string, reason: string): void {
    const tm = this.tms.get(resourceId);
    if (!tm) return;
    this.tms.delete(resourceId);
    tm.rpc.send({ shutdown: { reason } });
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

  broadcast(msg: Parameters<RpcConnection['send']>[0]): void {
    for (const tm of this.tms.values()) tm.rpc.send(msg);
  }

  close(): void {
    clearInterval(this.monitor);
    this.server?.close();
  }
}
