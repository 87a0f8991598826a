/**
 * One JobMaster ↔ TaskManager control connection: protobuf `Envelope`s
 * (proto/rpc.proto), each length-delimited with a varint prefix, over TCP.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import protobuf from 'protobufjs/minimal.js';
import { ebbflow } from '../proto/generated/rpc.js';

export const Envelope = ebbflow.rpc.Envelope;
export type EnvelopeProps = ebbflow.rpc.Envelope.$Properties;
export const ExecutionState = ebbflow.rpc.ExecutionState;
export const Partitioning = ebbflow.rpc.Partitioning;

/** Reads a base-128 varint at `off`; returns [value, bytesUsed] or undefined if incomplete. */
function readVarint(buf: Buffer, off: number): [number, number] | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (off + i >= buf.length) return undefined;
    const b = buf[off + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  throw new Error('RPC frame length varint is too long');
}

export interface RpcConnectionEvents {
  message: [ebbflow.rpc.Envelope];
  close: [Error | undefined];
}

export class RpcConnection extends EventEmitter<RpcConnectionEvents> {
  private buf: Buffer = Buffer.alloc(0);
  private closedWith: Error | undefined;

  constructor(readonly socket: Socket) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => { this.closedWith = err; });
    socket.on('close', () => this.emit('close', this.closedWith));
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      let head: [number, number] | undefined;
      try {
        head = readVarint(this.buf, 0);
      } catch (err) {
        this.socket.destroy(err as Error);
        return;
      }
      if (!head || this.buf.length < head[1] + head[0]) return;
      const body = this.buf.subarray(head[1], head[1] + head[0]);
      this.buf = this.buf.subarray(head[1] + head[0]);
      let msg: ebbflow.rpc.Envelope;
      try {
        msg = Envelope.decode(body);
      } catch (err) {
        this.socket.destroy(new Error(`undecodable RPC message: ${(err as Error).message}`));
        return;
      }
      this.emit('message', msg);
    }
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
