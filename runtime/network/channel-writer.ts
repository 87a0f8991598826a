/**
 * Producer end of one channel (one producer subtask → one consumer subtask).
 * Local consumers are reached through the shared ChannelRegistry; remote ones
 * over a TCP connection to their TaskManager's data server.
 */
import type { Socket } from 'node:net';

import type { StreamElement } from '../elements.js';
import type { IoCounters } from '../subtask-metrics.js';
import type { ChannelRegistry } from './channel-registry.js';
import { decodeRefusal, encodeBatch, encodeFrame, FrameDecoder, MAX_REFUSAL_FRAME_BYTES, type ChannelHeader } from './frames.js';
import { offerHandshake, type ChannelCredentials } from './handshake.js';
import { connectChannel } from './tls.js';

export interface ChannelWriter {
  send(batch: StreamElement[]): Promise<void>;
  close(): Promise<void>;
  /** Cancellation: drop the channel now, failing a send that waits for credit. */
  abort(): void;
}

export class LocalChannelWriter implements ChannelWriter {
  /** `counters`: the producing subtask's, which count a wait for the consumer's capacity as back-pressure. */
  constructor(private readonly registry: ChannelRegistry, private readonly header: ChannelHeader, private readonly counters?: IoCounters) {}
  send(batch: StreamElement[]): Promise<void> {
    // Local batches are handed over by reference: the producer never touches a sent batch again.
    return this.registry.gate(this.header.edgeId, this.header.consumer).push(this.header.producer, batch, 0, this.counters);
  }
  async close(): Promise<void> {}
  abort(): void {}
}

export class RemoteChannelWriter implements ChannelWriter {
  private socket: Socket | undefined;
  /** The connection being opened (TCP, TLS or handshake not done yet): closed by `abort`/`close` too. */
  private opening: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private credits = 0;
  private creditWaiter: (() => void) | undefined;
  private closedError: Error | undefined;
  private handshaking = false;

  /** `credentials`: the job's data secret, proven in a handshake before the header is sent; unset: no handshake. */
  /** `counters`: the producing subtask's (bytes sent, time blocked without credit). */
  constructor(private readonly host: string, private readonly port: number, private readonly header: ChannelHeader, private readonly credentials?: ChannelCredentials, private readonly counters?: IoCounters) {}

  private open(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = this.opening = connectChannel(this.host, this.port, this.credentials?.tls, () => {
        s.setNoDelay(true);
        this.handshaking = !!this.credentials;
        const authenticated = this.credentials ? offerHandshake(s, 'data', this.credentials) : Promise.resolve();
        authenticated.then(() => {
          this.handshaking = false;
          this.opening = undefined;
          // Aborted or closed while connecting: no header, no channel left open at the consumer.
          if (this.closedError) { s.destroy(); reject(this.closedError); return; }
          this.readCredits(s);
          s.resume();
          s.write(encodeFrame(Buffer.from(JSON.stringify(this.header), 'utf8')));
          this.socket = s;
          resolve(s);
        }, (err: Error) => {
          this.handshaking = false;
          this.closedError ??= new Error(`data connection to ${this.host}:${this.port} was closed (${err.message})`, { cause: err });
          reject(this.closedError);
        });
      });
      // Named like a close so the JobMaster can tell a peer's loss (ECONNRESET, EPIPE, ECONNREFUSED from
      // a TaskManager that died) from a failure of the subtask's own.
      s.once('error', (err) => {
        this.closedError ??= new Error(`data connection to ${this.host}:${this.port} was closed (${err.message})`, { cause: err });
        reject(this.closedError);
      });
      s.once('close', () => {
        // A close during the handshake is reported with the handshake's cause.
        if (!this.handshaking) this.closedError ??= new Error(`data connection to ${this.host}:${this.port} was closed`);
        const w = this.creditWaiter;
        this.creditWaiter = undefined;
        w?.();
      });
    });
    return this.connecting;
  }

  /** Credit frames from the consumer's side (after the handshake). */
  private readCredits(s: Socket): void {
    // Credit frames are 4 bytes, a refusal says why the channel was refused; anything else from the
    // consumer's side closes this channel (a send then fails), never the process.
    const decoder = new FrameDecoder(MAX_REFUSAL_FRAME_BYTES, '', 'credit or refusal frame');
    s.on('data', (chunk: Buffer) => {
      try {
        for (const f of decoder.push(chunk)) {
          if (f.length !== 4) {
            this.closedError ??= new Error(`data connection to ${this.host}:${this.port} was refused by the consumer's TaskManager: ${decodeRefusal(f)}`);
            s.destroy();
            break;
          }
          this.credits += f.readUInt32BE(0);
        }
      } catch (err) {
        this.closedError ??= new Error(`data connection to ${this.host}:${this.port} was closed (${(err as Error).message})`, { cause: err });
        s.destroy();
      }
      const w = this.creditWaiter;
      this.creditWaiter = undefined;
      w?.();
    });
  }

  async send(batch: StreamElement[]): Promise<void> {
    const s = await this.open();
    if (this.credits === 0) await this.waitForCredit(s);
    if (this.closedError || s.destroyed) throw this.closedError ?? new Error(`data connection to ${this.host}:${this.port} was closed`);
    this.credits--;
    const frame = encodeBatch(batch);
    if (this.counters) this.counters.bytesOut += frame.length;
    s.write(frame);
  }

  /** Back-pressure: no credit from the consumer; the wait is counted as back-pressured time. */
  private async waitForCredit(s: Socket): Promise<void> {
    this.counters?.blockedStart();
    try {
      while (this.credits === 0) {
        if (this.closedError || s.destroyed) throw this.closedError ?? new Error(`data connection to ${this.host}:${this.port} was closed`);
        await new Promise<void>((resolve) => { this.creditWaiter = resolve; });
      }
    } finally {
      this.counters?.blockedEnd();
    }
  }

  async close(): Promise<void> {
    if (this.opening) {
      this.closedError ??= new Error('the channel was closed before it was connected');
      this.opening.destroy();
      return;
    }
    const s = this.socket;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => s.end(() => resolve()));
  }

  abort(): void {
    this.closedError ??= new Error('the channel was cancelled');
    this.opening?.destroy();
    this.socket?.destroy();
    const w = this.creditWaiter;
    this.creditWaiter = undefined;
    w?.();
  }
}
