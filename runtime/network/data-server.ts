/**
 * A TaskManager's data endpoint: remote producers connect here, name their
 * channel in a header frame, then stream batches. The server grants credits
 * (the gate's capacity at first, then one per processed batch) on the same
 * socket; producers never send more than they were granted.
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
import type { ChannelRegistry } from './channel-registry.js';
import { acceptHandshake } from './handshake.js';
import { createChannelServer, type InternalTls } from './tls.js';
import { DEFAULT_NETWORK_MAX_FRAME_BYTES, decodeBatch, encodeCredit, FrameDecoder, MAX_HEADER_FRAME_BYTES, NETWORK_FRAME_SETTING, parseChannelHeader, type ChannelHeader } from './frames.js';

export interface DataServerOptions {
  /** Largest data frame (one batch) accepted, in bytes. @default 64 MiB */
  maxFrameBytes?: number;
  /** A connection was closed because of what its peer sent. */
  onRejected?: (err: Error, remote: string) => void;
  /** The job's data secret every connection must prove (it may arrive later: a connection waits for it). Unset: no handshake. */
  secret?: () => Buffer | undefined | Promise<Buffer | undefined>;
  /** Time a connection has to complete the handshake. @default 10 s */
  handshakeTimeoutMs?: number;
  /** Mutual TLS (`security.ssl.internal.*`): a client TLS refuses counts as a failed handshake. */
  tls?: InternalTls;
}

export class DataServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Largest data frame accepted on connections opened from now on. */
  maxFrameBytes: number;
  /** Connections closed because their peer sent something invalid. */
  rejectedConnections = 0;
  /** Connections closed because they failed the handshake. */
  rejectedHandshakes = 0;

  constructor(private readonly registry: ChannelRegistry, private readonly onError: (err: Error) => void, private readonly opts: DataServerOptions = {}) {
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_NETWORK_MAX_FRAME_BYTES;
  }

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
    // Every producer of the job proves the same secret: the identity it names is for logs only.
    acceptHandshake(socket, 'data', () => secret(), { timeoutMs: this.opts.handshakeTimeoutMs }).then(
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
    let capacity = 0;
    /** Batches handed to the gate's push and not yet accepted by it: far more than the credits granted is a protocol violation. */
    let pending = 0;
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      if (socket.destroyed) return;
      try {
        decoder.feed(chunk);
        // One frame at a time: the header's tight bound must not apply to the batches that follow it in the same chunk.
        for (let frame = decoder.next(); frame; frame = decoder.next()) {
          if (!header) {
            header = parseChannelHeader(frame);
            decoder.maxFrameBytes = dataLimit;
            decoder.setting = NETWORK_FRAME_SETTING;
            decoder.what = 'data frame';
            // A channel nobody has asked for yet gets its gate now: a producer may connect before its consumer is deployed.
            const gate = this.registry.gate(header.edgeId, header.consumer);
            capacity = gate.capacity;
            gate.onCredit(header.producer, (n) => { if (!socket.destroyed) socket.write(encodeCredit(n)); });
            socket.write(encodeCredit(gate.capacity));
            continue;
          }
          const h = header;
          const batch = decodeBatch(frame);
          // A producer holds at most `capacity` credits; twice that leaves room for a credit in flight, and a peer ignoring credits is cut off instead of queueing without bound.
          if (++pending > 2 * capacity) throw new FrameDecodeError(`the producer sent batches beyond the ${capacity} credits it was granted`);
          // Credits keep the gate from overflowing, so this push does not wait; the chain keeps order.
          chain = chain
            .then(() => this.registry.gate(h.edgeId, h.consumer).push(h.producer, batch))
            .then(() => { pending--; })
            .catch((err: Error) => this.onError(err));
        }
      } catch (err) {
        this.reject(socket, err as Error, remote);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Closes a connection whose peer sent something invalid; the process and every other connection go on. */
  private reject(socket: Socket, err: Error, remote: string): void {
    this.rejectedConnections++;
    socket.destroy();
    this.report(err, remote);
  }

  private report(err: Error, remote: string): void {
    try {
      this.opts.onRejected?.(err, remote);
    } catch {
      // A failing report must not turn a rejected connection into a crash.
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
