/**
 * A TaskManager's data endpoint: remote producers connect here, name their
 * channel in a header frame, then stream batches. The server grants credits
 * (the gate's capacity at first, then one per processed batch) on the same
 * socket; producers never send more than they were granted.
 *
 * A header is admitted by the ChannelRegistry (channel-registry.ts): accepted
 * for a gate a deployed consumer claimed (its attempt, its execution, a
 * producer it expects, one connection per producer), refused (closed, counted
 * in `refusedConnections`, reported through `onRefused` with the reason), or —
 * while it may still become valid, e.g. a producer that connects before its
 * consumer is deployed — held without credits until the registry changes,
 * bounded in number (`maxWaitingConnections`) and time (`claimTimeoutMs`).
 *
 * Nothing a peer sends can take the process down: an oversized frame, a header
 * that is not a valid channel header, a batch that does not decode to stream
 * elements, or batches beyond the granted credits close that connection only
 * (counted in `rejectedConnections` and reported through `onRejected`).
 *
 * With a `secret`, a connection first passes the handshake (handshake.ts) with the
 * job's data secret; one that fails it is closed before its channel header is read
 * (counted in `rejectedHandshakes`, reported through `onRejected` with a HandshakeError).
 */
import type { Server, Socket } from 'node:net';
import { FrameDecodeError, HandshakeError } from '../errors.js';
import { ChannelRegistry } from './channel-registry.js';
import { acceptHandshake, HandshakeSlots } from './handshake.js';
import type { InputGate } from './input-gate.js';
import { createChannelServer, type InternalTls } from './tls.js';
import { DEFAULT_NETWORK_MAX_FRAME_BYTES, decodeBatch, encodeCredit, encodeRefusal, FrameDecoder, MAX_HEADER_FRAME_BYTES, NETWORK_FRAME_SETTING, parseChannelHeader, type ChannelHeader } from './frames.js';

export interface DataServerOptions {
  /** Largest data frame (one batch) accepted, in bytes. @default 64 MiB */
  maxFrameBytes?: number;
  /** How long a header waits for its channel to be claimed (its consumer deployed). @default 30 s */
  claimTimeoutMs?: number;
  /** Headers waiting for their channel at once; more are refused. @default 256 */
  maxWaitingConnections?: number;
  /** A connection was closed because of what its peer sent. */
  onRejected?: (err: Error, remote: string) => void;
  /** The job's data secret every connection must prove (it may arrive later: a connection waits for it). Unset: no handshake. */
  secret?: () => Buffer | undefined | Promise<Buffer | undefined>;
  /** Time a connection has to complete the handshake. @default 10 s */
  handshakeTimeoutMs?: number;
  /** Connections that may be in their handshake at once; more are closed at once. @default 256 */
  maxPendingHandshakes?: number;
  /** Mutual TLS (`security.ssl.internal.*`): a client TLS refuses counts as a failed handshake. */
  tls?: InternalTls;
  /** A connection was refused because its header names no channel this TaskManager serves it (`reason` says why). */
  onRefused?: (reason: string, header: ChannelHeader, remote: string) => void;
}

/** Default time a header waits for its consumer to be deployed. */
export const DEFAULT_CLAIM_TIMEOUT_MS = 30_000;
/** A refused connection is destroyed this long after its refusal frame, should the peer not close it. */
const REFUSAL_LINGER_MS = 2000;
/** Default bound of headers waiting at once. */
export const DEFAULT_MAX_WAITING_CONNECTIONS = 256;

/** A connection whose header waits until its channel is claimed (or refused). */
interface Waiting { header: ChannelHeader; attach: (gate: InputGate) => void; refuse: (reason: string) => void; timer: NodeJS.Timeout; reason: string }

export class DataServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly waiting = new Set<Waiting>();
  /** Channels (channel/consumer/producer) with an open producer connection: a second one is refused. */
  private readonly connected = new Set<string>();
  private readonly unsubscribe: () => void;
  /** Largest data frame accepted on connections opened from now on. */
  maxFrameBytes: number;
  /** Connections closed because their peer sent something invalid. */
  rejectedConnections = 0;
  /** Connections closed because they failed the handshake. */
  rejectedHandshakes = 0;
  /** Connections refused because their header names no channel served to them. */
  refusedConnections = 0;

  constructor(private readonly registry: ChannelRegistry, private readonly onError: (err: Error) => void, private readonly opts: DataServerOptions = {}) {
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_NETWORK_MAX_FRAME_BYTES;
    this.handshakes = new HandshakeSlots(opts.maxPendingHandshakes);
    this.unsubscribe = registry.onChange(() => this.recheck());
  }

  private readonly handshakes: HandshakeSlots;
  /** Headers waiting for their channel now. */
  get waitingConnections(): number { return this.waiting.size; }

  async listen(host: string, port = 0): Promise<number> {
    this.server = createChannelServer(this.opts.tls, (s) => this.authenticate(s), (err, remote) => {
      this.rejectedHandshakes++;
      this.report(new HandshakeError(`the TLS handshake failed: ${err.message}`), remote);
    });
    // Every TCP connection, also one still in its TLS handshake, is closed with the server.
    this.server.on('connection', (raw: Socket) => {
      this.sockets.add(raw);
      raw.on('close', () => this.sockets.delete(raw));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    // Later server errors (EMFILE while accepting) are reported; an unhandled 'error' would end the process.
    this.server.on('error', (err) => this.onError(err));
    const addr = this.server.address();
    if (!addr || typeof addr === 'string') throw new Error('data server has no TCP address');
    return addr.port;
  }

  /** The handshake, before the channel header is read; then `accept` on the authenticated socket. */
  private authenticate(socket: Socket): void {
    const secret = this.opts.secret;
    if (!secret) { this.accept(socket); return; }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    if (!this.handshakes.take()) {
      this.rejectedHandshakes++;
      socket.destroy();
      this.report(new HandshakeError(`more than ${this.handshakes.max} connections are in their handshake; closed this one`), remote);
      return;
    }
    // Every producer of the job proves the same secret: the identity it names is for logs only.
    acceptHandshake(socket, 'data', () => secret(), { timeoutMs: this.opts.handshakeTimeoutMs }).finally(() => this.handshakes.release()).then(
      () => {
        this.accept(socket);
        socket.resume();
      },
      (err: Error) => {
        this.rejectedHandshakes++;
        this.report(err, remote);
      },
    );
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    // The header is a few fields of JSON: bound it tightly until it is read.
    const decoder = new FrameDecoder(Math.min(MAX_HEADER_FRAME_BYTES, this.maxFrameBytes), '', 'channel header');
    const dataLimit = this.maxFrameBytes;
    let header: ChannelHeader | undefined;
    /** The claimed gate this connection feeds, once accepted. */
    let gate: InputGate | undefined;
    let connectedKey: string | undefined;
    let waiting: Waiting | undefined;
    let refused = false;
    /** Batches handed to the gate's push and not yet accepted by it: far more than the credits granted is a protocol violation. */
    let pending = 0;
    let chain = Promise.resolve();
    const attach = (g: InputGate): void => {
      const h = header!;
      // Per consumer execution: a consumer re-deployed at the same index in the same attempt gets its own connections.
      const key = `${ChannelRegistry.key(h.edgeId, h.consumer)}/${h.producer}/${h.consumerExecution}`;
      if (this.connected.has(key)) { refuse(`channel ${h.edgeId} (consumer ${h.consumer}, producer ${h.producer}): that producer is connected already`); return; }
      this.connected.add((connectedKey = key));
      gate = g;
      decoder.maxFrameBytes = dataLimit;
      decoder.setting = NETWORK_FRAME_SETTING;
      decoder.what = 'data frame';
      g.onCredit(h.producer, (n) => { if (!socket.destroyed) socket.write(encodeCredit(n)); });
      socket.write(encodeCredit(g.capacity));
    };
    const refuse = (reason: string): void => {
      this.refusedConnections++;
      refused = true;
      // The producer learns why (its failure names it), then the connection closes; nothing more is read.
      socket.end(encodeRefusal(reason));
      setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
      this.safely('onRefused', () => this.opts.onRefused?.(reason, header!, remote));
    };
    socket.on('data', (chunk: Buffer) => {
      if (socket.destroyed || refused) return;
      try {
        decoder.feed(chunk);
        // One frame at a time: the header's tight bound must not apply to the batches that follow it in the same chunk.
        for (let frame = decoder.next(); frame; frame = decoder.next()) {
          if (!header) {
            header = parseChannelHeader(frame);
            // Nothing may follow the header before the first credit: a waiting peer cannot make us buffer.
            decoder.maxFrameBytes = 0;
            decoder.what = 'premature data frame';
            const a = this.registry.admit(header);
            if ('accept' in a) attach(a.accept);
            else if ('refuse' in a) refuse(a.refuse);
            else waiting = this.wait(header, a.wait, attach, refuse);
            if (socket.destroyed || refused) return;
            continue;
          }
          // A producer sends nothing before its first credit, which comes with the acceptance.
          if (!gate) throw new FrameDecodeError('the producer sent a batch before its channel was accepted');
          const g = gate;
          const h = header;
          const batch = decodeBatch(frame);
          // A producer holds at most `capacity` credits; twice that leaves room for a credit in flight, and a peer ignoring credits is cut off instead of queueing without bound.
          if (++pending > 2 * g.capacity) throw new FrameDecodeError(`the producer sent batches beyond the ${g.capacity} credits it was granted`);
          // Credits keep the gate from overflowing, so this push does not wait; the chain keeps order.
          chain = chain
            .then(() => g.push(h.producer, batch, frame.length + 4)) // the whole frame, length prefix included, as the producer counts it
            .then(() => { pending--; })
            .catch((err: Error) => this.onError(err));
        }
      } catch (err) {
        this.reject(socket, err as Error, remote);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (connectedKey) this.connected.delete(connectedKey);
      if (waiting) this.unwait(waiting);
    });
  }

  /** Holds a header until its channel is claimed, bounded in number and time. */
  private wait(header: ChannelHeader, reason: string, attach: (g: InputGate) => void, refuse: (reason: string) => void): Waiting | undefined {
    const max = this.opts.maxWaitingConnections ?? DEFAULT_MAX_WAITING_CONNECTIONS;
    if (this.waiting.size >= max) {
      refuse(`${reason}, and ${max} connections wait for their consumer already`);
      return undefined;
    }
    const timeoutMs = this.opts.claimTimeoutMs ?? DEFAULT_CLAIM_TIMEOUT_MS;
    const w: Waiting = {
      header, attach, refuse, reason,
      timer: setTimeout(() => { this.unwait(w); refuse(`${w.reason} (waited ${timeoutMs} ms)`); }, timeoutMs),
    };
    this.waiting.add(w);
    return w;
  }

  private unwait(w: Waiting): void {
    clearTimeout(w.timer);
    this.waiting.delete(w);
  }

  /** A claim changed: waiting headers are accepted, refused or wait on (with the newest reason). */
  private recheck(): void {
    for (const w of [...this.waiting]) {
      const a = this.registry.admit(w.header);
      if ('wait' in a) { w.reason = a.wait; continue; }
      this.unwait(w);
      if ('accept' in a) w.attach(a.accept);
      else w.refuse(a.refuse);
    }
  }

  /** Closes a connection whose peer sent something invalid; the process and every other connection go on. */
  private reject(socket: Socket, err: Error, remote: string): void {
    this.rejectedConnections++;
    socket.destroy();
    this.report(err, remote);
  }

  private report(err: Error, remote: string): void {
    this.safely('onRejected', () => this.opts.onRejected?.(err, remote));
  }

  /** Runs a report callback: one that throws must not turn a closed connection into a crash, nor vanish. */
  private safely(what: string, report: () => void): void {
    try {
      report();
    } catch (err) {
      process.emitWarning(`the data server's ${what} report failed: ${err instanceof Error ? err.message : String(err)}`, { code: 'EBBFLOW_REPORT_FAILED' });
    }
  }

  async close(): Promise<void> {
    this.unsubscribe();
    for (const w of [...this.waiting]) this.unwait(w);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
