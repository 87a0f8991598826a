/**
 * What the chaos run throws at a job's internal ports: connections that send garbage, frames that
 * are too large, a forged TaskManager registration and a data-channel header without the handshake.
 * Each probe resolves with how the peer answered; a peer that keeps such a connection open (or
 * answers it with anything but a close or a handshake challenge it never gets an answer to) fails the run.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import protobuf from 'protobufjs/minimal.js';
import { Envelope } from '../rpc/index.js';
import { encodeFrame } from '../runtime/network/frames.js';

export type ProbeKind = 'garbage-data' | 'oversized-data' | 'forged-channel' | 'garbage-rpc' | 'oversized-rpc' | 'forged-registration';

export interface ProbeResult {
  kind: ProbeKind;
  target: string;
  /** The peer closed the connection within the deadline. */
  closed: boolean;
  /** Bytes the peer sent back before closing (a handshake challenge, never a registration answer). */
  answeredBytes: number;
  ms: number;
}

/** Connects, writes `bytes`, and waits (at most `timeoutMs`) for the peer to close. */
export function probe(kind: ProbeKind, host: string, port: number, bytes: Buffer, timeoutMs = 15_000): Promise<ProbeResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    let answered = 0;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ kind, target: `${host}:${port}`, closed, answeredBytes: answered, ms: Date.now() - t0 });
    };
    const s = connect({ host, port }, () => s.write(bytes, () => { /* a peer that already closed makes this fail: fine */ }));
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.on('data', (b: Buffer) => { answered += b.length; });
    s.on('error', () => finish(true)); // reset by the peer counts as closed
    s.on('close', () => finish(true));
  });
}

/** A varint-delimited RPC registration claiming to be `resourceId` of `jobId` (what an impostor sends). */
export function forgedRegistration(jobId: string, resourceId: string): Buffer {
  const w = protobuf.Writer.create();
  Envelope.encodeDelimited({ register: { resourceId, jobId, slots: 1, pid: process.pid, dataHost: '127.0.0.1', dataPort: 1 } }, w);
  return Buffer.from(w.finish());
}

/** A channel header naming a plausible channel, followed by a batch frame of junk (no handshake). */
export function forgedChannel(edgeId: string): Buffer {
  return Buffer.concat([
    encodeFrame(Buffer.from(JSON.stringify({ edgeId, consumer: 0, producer: 0 }), 'utf8')),
    encodeFrame(randomBytes(64)),
  ]);
}

/** Random bytes; `rng` picks the length so that a run is reproducible from its seed. */
export function garbage(rng: () => number): Buffer {
  return randomBytes(1 + Math.floor(rng() * 4096));
}

/** A data frame whose declared length is far past any limit, then a megabyte of filler. */
export function oversizedDataFrame(): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(0xfffffff0, 0);
  return Buffer.concat([head, Buffer.alloc(1024 * 1024, 7)]);
}

/** An RPC varint length of 2^34, then a megabyte of filler. */
export function oversizedRpcFrame(): Buffer {
  return Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x40]), Buffer.alloc(1024 * 1024, 1)]);
}
