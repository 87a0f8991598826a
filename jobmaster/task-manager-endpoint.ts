/**
 * Where TaskManagers reach a JobMaster. `RpcTaskManagerEndpoint` listens on
 * TCP (the job process): a connection first passes the handshake
 * (runtime/network/handshake.ts) with the worker secret issued for the resource
 * id it names, else it is closed before any Envelope is read; its first `Envelope` is the registration,
 * then heartbeats and reports, each handed to the TaskManagerPool if it carries
 * the registration's fencing token (dropped and logged otherwise). A refused
 * registration (e.g. a second one for a registered, connected id) closes its
 * connection; the registered TaskManager is not touched. Tests
 * register in-memory TaskManagers through their own endpoint instead.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { RpcConnection, RpcTaskExecutorGateway, taskManagerMessage, taskManagerToken, type WorkerSecrets } from '../rpc/index.js';
import { acceptHandshake, HandshakeSlots } from '../runtime/network/handshake.js';
import { createChannelServer, type InternalTls } from '../runtime/network/tls.js';
import type { RegisteredTaskManager, TaskManagerPool } from './task-manager-pool.js';

/** Accepts TaskManagers for a pool. */
export interface TaskManagerEndpoint {
  /** Starts accepting TaskManagers into `pool`; resolves with the address they dial ("host:port"). */
  listen(pool: TaskManagerPool): Promise<string>;
  close(): void;
}

/** What a TaskManager connection must prove, and what a registered one is told. */
export interface EndpointSecurity {
  /** The registration secrets the ResourceManager issued, by resource id. */
  workerSecrets: WorkerSecrets;
  /** The job's data-plane secret, sent in the registration answer. */
  dataSecret: Buffer;
  /** Time a connection has to complete the handshake. @default 10 s */
  handshakeTimeoutMs?: number;
  /** Mutual TLS (`security.ssl.internal.*`) around the handshake. */
  tls?: InternalTls;
}

/** The TCP endpoint of a job process. */
export class RpcTaskManagerEndpoint implements TaskManagerEndpoint {
  private server: Server | undefined;
  private readonly handshakes = new HandshakeSlots();
  /** Connections closed because they failed the handshake. */
  rejectedHandshakes = 0;

  /** Binds `bindHost` (an ephemeral port) and advertises `advertiseHost`. */
  constructor(private readonly bindHost: string, private readonly advertiseHost: string, private readonly log: Logger | undefined, private readonly security: EndpointSecurity) {}

  listen(pool: TaskManagerPool): Promise<string> {
    return new Promise((resolve, reject) => {
      const server = (this.server = createChannelServer(this.security.tls, (socket) => this.authenticate(pool, socket), (err, remote) => {
        this.rejectedHandshakes++;
        this.log?.warn({ remote, err: err.message, rejectedHandshakes: this.rejectedHandshakes }, 'closed an RPC connection that failed the TLS handshake');
      }));
      server.once('error', reject);
      server.listen(0, this.bindHost, () => {
        // Later server errors (EMFILE while accepting) are logged; an unhandled 'error' would end the job process.
        server.on('error', (err) => this.log?.error({ err: err.message }, 'the TaskManager endpoint reported an error'));
        const a = server.address() as AddressInfo;
        const host = this.advertiseHost;
        resolve(`${host.includes(':') ? `[${host}]` : host}:${a.port}`);
      });
    });
  }

  /** The handshake, before anything of the connection is parsed as an Envelope; then `accept`. */
  private authenticate(pool: TaskManagerPool, socket: Socket): void {
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const { workerSecrets, handshakeTimeoutMs } = this.security;
    if (!this.handshakes.take()) {
      this.rejectedHandshakes++;
      socket.destroy();
      this.log?.warn({ remote, code: 'EBBFLOW_HANDSHAKE_FAILED', rejectedHandshakes: this.rejectedHandshakes }, `closed an RPC connection: more than ${this.handshakes.max} connections are in their handshake`);
      return;
    }
    acceptHandshake(socket, 'rpc', (id) => workerSecrets.get(id), { timeoutMs: handshakeTimeoutMs }).finally(() => this.handshakes.release()).then(
      (resourceId) => {
        this.accept(pool, new RpcConnection(socket, { maxFrameBytes: pool.rpcMaxFrameBytes }), resourceId);
        socket.resume(); // the handshake left it paused, with what followed pushed back
      },
      (err: Error) => {
        this.rejectedHandshakes++;
        this.log?.warn({ remote, err: err.message, code: (err as { code?: string }).code, rejectedHandshakes: this.rejectedHandshakes }, 'closed an RPC connection that failed the handshake');
      },
    );
  }

  private accept(pool: TaskManagerPool, rpc: RpcConnection, authenticatedAs: string): void {
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
        // A TaskManager proved the secret of one resource id: it registers as that one only.
        if (resourceId !== authenticatedAs) {
          this.log?.warn({ resourceId, authenticatedAs }, 'closed an RPC connection that registered under another resource id than it proved');
          rpc.destroy();
          return;
        }
        const gateway = new RpcTaskExecutorGateway(resourceId, rpc, pool.jobMasterId);
        tm = pool.register(
          { resourceId, jobId: r.jobId ?? '', slots: r.slots ?? 1, pid: r.pid ?? 0, dataHost: r.dataHost ?? '127.0.0.1', dataPort: r.dataPort ?? 0 },
          gateway,
          (answer) => {
            // A TaskManager that closed while registering is noticed by its connection's close.
            const response = answer.accepted ? { ...answer, dataSecret: this.security.dataSecret } : answer;
            if (gateway.respondToRegistration(response) === 'gone') this.log?.warn({ resourceId }, 'TaskManager gone before its registration was answered');
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
        if (m.msg === 'heartbeat') pool.heartbeatFrom(tm, m.heartbeat ?? undefined);
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
