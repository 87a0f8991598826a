/**
 * Where TaskManagers reach a JobMaster. `RpcTaskManagerEndpoint` listens on
 * TCP (the job process): a connection's first `Envelope` is the registration,
 * then heartbeats and reports, each handed to the TaskManagerPool if it carries
 * the registration's fencing token (dropped and logged otherwise). A refused
 * registration (e.g. a second one for a registered, connected id) closes its
 * connection; the registered TaskManager is not touched. Tests
 * register in-memory TaskManagers through their own endpoint instead.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Logger } from 'pino';
import { RpcConnection, RpcTaskExecutorGateway, taskManagerMessage, taskManagerToken } from '../rpc/index.js';
import type { RegisteredTaskManager, TaskManagerPool } from './task-manager-pool.js';

/** Accepts TaskManagers for a pool. */
export interface TaskManagerEndpoint {
  /** Starts accepting TaskManagers into `pool`; resolves with the address they dial ("host:port"). */
  listen(pool: TaskManagerPool): Promise<string>;
  close(): void;
}

/** The TCP endpoint of a job process. */
export class RpcTaskManagerEndpoint implements TaskManagerEndpoint {
  private server: Server | undefined;

  /** Binds `bindHost` (an ephemeral port) and advertises `advertiseHost`. */
  constructor(private readonly bindHost = '127.0.0.1', private readonly advertiseHost = bindHost, private readonly log?: Logger) {}

  listen(pool: TaskManagerPool): Promise<string> {
    return new Promise((resolve, reject) => {
      const server = (this.server = createServer((socket) => this.accept(pool, new RpcConnection(socket, { maxFrameBytes: pool.rpcMaxFrameBytes }))));
      server.once('error', reject);
      server.listen(0, this.bindHost, () => {
        const a = server.address() as AddressInfo;
        const host = this.advertiseHost;
        resolve(`${host.includes(':') ? `[${host}]` : host}:${a.port}`);
      });
    });
  }

  private accept(pool: TaskManagerPool, rpc: RpcConnection): void {
    let tm: RegisteredTaskManager | undefined;
    rpc.on('message', (m) => {
      if (m.msg === 'register') {
        if (tm) {
          // This connection registered already: a second registration on it changes nothing.
          this.log?.warn({ resourceId: tm.resourceId, claimed: m.register?.resourceId }, 'ignored a second registration on a registered TaskManager connection');
          return;
        }
        const r = m.register!;
        const resourceId = r.resourceId ?? '';
        const gateway = new RpcTaskExecutorGateway(resourceId, rpc, pool.jobMasterId);
        tm = pool.register(
          { resourceId, jobId: r.jobId ?? '', slots: r.slots ?? 1, pid: r.pid ?? 0, dataHost: r.dataHost ?? '127.0.0.1', dataPort: r.dataPort ?? 0 },
          gateway,
          (answer) => {
            // A TaskManager that closed while registering is noticed by its connection's close.
            if (gateway.respondToRegistration(answer) === 'gone') this.log?.warn({ resourceId }, 'TaskManager gone before its registration was answered');
          },
        );
        // Refused (not expected, or the id is registered and connected): this connection closes, the registered one stays.
        if (!tm) rpc.close();
      } else if (tm) {
        const expected = taskManagerToken(tm.resourceId, tm.registrationId);
        if (m.fencingToken !== expected) {
          this.log?.warn({ resourceId: tm.resourceId, msg: m.msg, token: m.fencingToken, expected }, 'dropped a TaskManager message with a stale fencing token');
          return;
        }
        if (m.msg === 'heartbeat') pool.heartbeatFrom(tm);
        else {
          const report = taskManagerMessage(m);
          if (report) pool.deliver(tm, report);
        }
      }
    });
    rpc.on('close', (err) => {
      // A peer that sent an oversized or undecodable message is disconnected; the job process goes on.
      if (err && !tm) this.log?.warn({ err: err.message }, 'closed an RPC connection that sent an invalid message before registering');
      if (tm) pool.disconnected(tm);
    });
  }

  close(): void {
    this.server?.close();
  }
}
