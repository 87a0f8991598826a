/**
 * One JobMaster ↔ TaskManager control connection: protobuf `Envelope`s
 * (proto/rpc.proto), each length-delimited with a varint prefix, over TCP.
 * Received bytes queue as chunks and a message is copied out once it is whole;
 * a declared length over the limit, an undecodable envelope or a listener that
 * throws on a message closes this connection (its `close` carries the error),
 * never the process.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import protobuf from 'protobufjs/minimal.js';
import { ebbflow } from '../proto/generated/rpc.js';
import { FrameDecodeError, FrameTooLargeError } from '../runtime/errors.js';
import { ByteQueue } from '../runtime/network/byte-queue.js';

export const Envelope = ebbflow.rpc.Envelope;
export type EnvelopeProps = ebbflow.rpc.Envelope.$Properties;
export const ExecutionState = ebbflow.rpc.ExecutionState;
export const Partitioning = ebbflow.rpc.Partitioning;

/** The job setting that bounds an RPC message (both ends use it). */
export const RPC_FRAME_SETTING = 'ebbflow.rpc.max-frame-size';
/** Default bound of one RPC message: 16 MiB. */
export const DEFAULT_RPC_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Reads the base-128 varint length prefix at the head of `q`; returns [value, bytesUsed] or undefined if incomplete. */
function readVarint(q: ByteQueue): [number, number] | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= q.length) return undefined;
    const b = q.byteAt(i);
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  throw new FrameDecodeError('RPC frame length varint is too long');
}

export interface RpcConnectionOptions {
  /** Largest message accepted, in bytes. @default 16 MiB */
  maxFrameBytes?: number;
}

export interface RpcConnectionEvents {
  message: [ebbflow.rpc.Envelope];
  close: [Error | undefined];
}

export class RpcConnection extends EventEmitter<RpcConnectionEvents> {
  private readonly queue = new ByteQueue();
  private closedWith: Error | undefined;
  /** Largest message accepted; the TaskManager sets the job's value once registered. */
  maxFrameBytes: number;

  constructor(readonly socket: Socket, opts: RpcConnectionOptions = {}) {
    super();
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_RPC_MAX_FRAME_BYTES;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => { this.closedWith = err; });
    socket.on('close', () => this.emit('close', this.closedWith));
  }

  /** Bytes copied to reassemble messages split across chunks (at most the bytes received: linear). */
  get copiedBytes(): number { return this.queue.copiedBytes; }

  private onData(chunk: Buffer): void {
    if (this.socket.destroyed) return;
    this.queue.push(chunk);
    for (;;) {
      let msg: ebbflow.rpc.Envelope;
      try {
        const head = readVarint(this.queue);
        if (head && head[0] > this.maxFrameBytes) throw new FrameTooLargeError(head[0], this.maxFrameBytes, RPC_FRAME_SETTING, 'RPC message');
        if (!head || this.queue.length < head[1] + head[0]) return;
        this.queue.skip(head[1]);
        const body = this.queue.take(head[0]);
        try {
          msg = Envelope.decode(body);
        } catch (err) {
          throw new FrameDecodeError(`undecodable RPC message: ${(err as Error).message}`);
        }
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      try {
        this.emit('message', msg);
      } catch (err) {
        // A message its handler cannot take (fields missing, of the wrong kind) ends this connection, not the process.
        this.fail(new FrameDecodeError(`an RPC message (${msg.msg ?? 'empty'}) could not be handled: ${(err as Error).message}`, { cause: err }));
        return;
      }
      if (this.socket.destroyed) return;
    }
  }

  /** Closes the connection because of what the peer sent; `close` reports `err`. */
  private fail(err: Error): void {
    this.queue.clear();
    this.closedWith ??= err;
    this.socket.destroy(err);
  }

  /** Whether the connection can still carry messages. */
  get open(): boolean { return !this.socket.destroyed && this.socket.writable; }

  /**
   * Writes one message; false when the connection is closed (the message is dropped). A full
   * socket buffer is not a failure: the bytes are queued as with any socket write.
   */
  send(msg: EnvelopeProps): boolean {
    if (!this.open) return false;
    const w = protobuf.Writer.create();
    Envelope.encodeDelimited(msg, w);
    this.socket.write(w.finish());
    return true;
  }

  close(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Milliseconds from a protobuf int64 (Long or number). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: () => number }).toNumber === 'function') return (v as { toNumber: () => number }).toNumber();
  return Number(v);
}
