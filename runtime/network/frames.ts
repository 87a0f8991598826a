/**
 * Data-plane framing between TaskManagers: each frame is a 4-byte big-endian
 * length followed by that many bytes. The first frame of a connection is a JSON
 * header naming the channel; every later frame is one batch of stream elements
 * encoded with the structured-clone serializer (node:v8), which keeps numbers,
 * strings, bigints, nested objects, Infinity and undefined intact.
 *
 * Flow control is credit-based: the consumer's side answers on the same socket
 * with credit frames (a 4-byte big-endian count), first the gate's capacity,
 * then one per batch the consumer has processed. A producer sends a batch only
 * while it holds a credit, so a slow consumer stops its producers instead of
 * buffering without bound.
 */
import { deserialize, serialize } from 'node:v8';
import type { StreamElement } from '../elements.js';

export interface ChannelHeader { edgeId: string; consumer: number; producer: number }

export function encodeFrame(payload: Uint8Array): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}

export function encodeCredit(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(4, 0);
  b.writeUInt32BE(n, 4);
  return b;
}

export const encodeBatch = (batch: StreamElement[]): Buffer => encodeFrame(serialize(batch));
export const decodeBatch = (payload: Buffer): StreamElement[] => deserialize(payload) as StreamElement[];

/** Splits a byte stream into frames; feed it chunks, get whole payloads. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + len) break;
      out.push(this.buf.subarray(4, 4 + len));
      this.buf = this.buf.subarray(4 + len);
    }
    return out;
  }
}
