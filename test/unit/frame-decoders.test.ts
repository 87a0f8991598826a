/**
 * The two frame decoders (the data plane's FrameDecoder, 4-byte lengths; the RPC connection's,
 * varint lengths) under seeded random input: valid frames split at random points reassemble
 * exactly; garbage and truncated frames either wait for more bytes or fail with a decode error,
 * never crash and never buffer past the limit; an oversized declared length is refused at once;
 * a 30 MB frame in 64 KB chunks is copied once (linear), not once per chunk.
 */
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { Envelope, RpcConnection, type EnvelopeProps } from '../../rpc/index.js';
import { EbbflowError, FrameDecodeError, FrameTooLargeError } from '../../runtime/errors.js';
import { mulberry32 } from '../../examples/fraud-detection/generator.js';
import { encodeFrame, FrameDecoder } from '../../runtime/network/frames.js';
import { TestingSocket } from '../helpers/testing-socket.js';

/** A seeded generator (the example's mulberry32), so a failing case can be replayed. */
const rng = mulberry32;
const int = (r: () => number, n: number): number => Math.floor(r() * n);
function bytes(r: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = int(r, 256);
  return b;
}

/** `data` cut at random points into 1..maxChunk-byte chunks. */
function split(r: () => number, data: Buffer, maxChunk: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length;) {
    const n = 1 + int(r, maxChunk);
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}

const ROUNDS = 150;

describe('FrameDecoder (data plane)', () => {
  it('reassembles random frames split at random points exactly', () => {
    const r = rng(1);
    for (let round = 0; round < ROUNDS; round++) {
      const frames = Array.from({ length: 1 + int(r, 8) }, () => bytes(r, int(r, 3000)));
      const d = new FrameDecoder(4096);
      const got: Buffer[] = [];
      for (const c of split(r, Buffer.concat(frames.map(encodeFrame)), 1 + int(r, 5000))) got.push(...d.push(c).map((f) => Buffer.from(f)));
      expect(got.length).toBe(frames.length);
      got.forEach((f, i) => expect(f.equals(frames[i]!)).toBe(true));
      expect(d.buffered).toBe(0);
    }
  });

  it('on garbage either waits or throws a decode error, never buffering past the limit', () => {
    const r = rng(2);
    const limit = 2048;
    let refused = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const d = new FrameDecoder(limit);
      for (const c of split(r, bytes(r, int(r, 20_000)), 1 + int(r, 3000))) {
        let frames: Buffer[];
        try {
          frames = d.push(c);
        } catch (err) {
          expect(err).toBeInstanceOf(FrameTooLargeError);
          expect(() => d.push(Buffer.alloc(1))).toThrow(FrameTooLargeError); // spent: the connection goes
          refused++;
          break;
        }
        for (const f of frames) expect(f.length).toBeLessThanOrEqual(limit);
        expect(d.buffered).toBeLessThan(4 + limit);
      }
    }
    expect(refused).toBeGreaterThan(ROUNDS / 2); // random 4-byte lengths are mostly huge
  });

  it('a truncated frame is held until the rest arrives, and the frames before it are delivered', () => {
    const r = rng(3);
    for (let round = 0; round < ROUNDS; round++) {
      const frames = Array.from({ length: 1 + int(r, 5) }, () => bytes(r, 1 + int(r, 1000)));
      const wire = Buffer.concat(frames.map(encodeFrame));
      const last = encodeFrame(frames.at(-1)!).length;
      const cut = wire.length - 1 - int(r, last - 1); // inside the last frame
      const d = new FrameDecoder(4096);
      expect(d.push(wire.subarray(0, cut)).map((f) => Buffer.from(f))).toEqual(frames.slice(0, -1));
      expect(d.buffered).toBe(cut - (wire.length - last));
      expect(d.push(wire.subarray(cut)).map((f) => Buffer.from(f))).toEqual(frames.slice(-1));
    }
  });

  it('refuses an oversized declared length at once, before any of the body arrives', () => {
    const d = new FrameDecoder(1024 * 1024);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(0xffffffff, 0);
    expect(() => d.push(head)).toThrow(FrameTooLargeError);
    const e = (() => { try { new FrameDecoder(1024).push(Buffer.from([0, 0, 4, 1])); } catch (err) { return err as FrameTooLargeError; } })()!;
    expect(e.code).toBe('EBBFLOW_FRAME_TOO_LARGE');
    expect(e.message).toContain('ebbflow.network.max-frame-size');
    expect(d.buffered).toBe(0);
  });

  it('decodes a 30 MB frame fed in 64 KB chunks copying each byte once', () => {
    const payload = Buffer.alloc(30 * 1024 * 1024, 7);
    const wire = encodeFrame(payload);
    const d = new FrameDecoder();
    const got: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 64 * 1024) got.push(...d.push(wire.subarray(i, i + 64 * 1024)));
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(payload)).toBe(true);
    // Concatenating on every chunk would copy ~480 × 15 MB on average; a chunk list copies the frame once.
    expect(d.copiedBytes).toBeLessThanOrEqual(payload.length);
  });
});

/** An RpcConnection over a fake socket, recording what it emitted. */
function rpcOver(maxFrameBytes?: number) {
  const socket = new TestingSocket();
  const rpc = new RpcConnection(socket.asSocket(), { maxFrameBytes });
  const messages: Envelope[] = [];
  const closes: Array<Error | undefined> = [];
  rpc.on('message', (m) => messages.push(m));
  rpc.on('close', (err) => closes.push(err));
  return { socket, rpc, messages, closes };
}
type Envelope = InstanceType<typeof Envelope>;

const delimited = (m: EnvelopeProps): Buffer => {
  const w = protobuf.Writer.create();
  Envelope.encodeDelimited(m, w);
  return Buffer.from(w.finish());
};

describe('RpcConnection decoding', () => {
  it('reassembles random envelopes split at random points exactly', () => {
    const r = rng(4);
    for (let round = 0; round < ROUNDS; round++) {
      const sent: EnvelopeProps[] = Array.from({ length: 1 + int(r, 6) }, (_, i) => (
        i % 2 ? { fencingToken: 'x'.repeat(int(r, 300)), heartbeat: { runningTasks: int(r, 100) } }
          : { ackCheckpoint: { executionId: `e${int(r, 1000)}`, subtaskState: bytes(r, int(r, 4000)) } }
      ));
      const { socket, messages, closes } = rpcOver();
      for (const c of split(r, Buffer.concat(sent.map(delimited)), 1 + int(r, 3000))) socket.receive(c);
      expect(closes).toEqual([]);
      expect(messages.map((m) => Envelope.toObject(m))).toEqual(sent.map((m) => Envelope.toObject(Envelope.fromObject(m))));
    }
  });

  it('on garbage either waits, delivers what decodes, or closes with a decode error; nothing throws', () => {
    const r = rng(5);
    const limit = 4096;
    let closed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const { socket, closes } = rpcOver(limit);
      for (const c of split(r, bytes(r, int(r, 20_000)), 1 + int(r, 3000))) expect(() => socket.receive(c)).not.toThrow();
      if (socket.destroyed) {
        closed++;
        expect(closes).toHaveLength(1);
        expect(closes[0]).toBeInstanceOf(EbbflowError);
        expect([FrameDecodeError, FrameTooLargeError].some((k) => closes[0] instanceof k)).toBe(true);
      }
    }
    expect(closed).toBeGreaterThan(ROUNDS / 2);
  });

  it('a truncated envelope is held until the rest arrives', () => {
    const r = rng(6);
    for (let round = 0; round < ROUNDS; round++) {
      const wire = delimited({ ackCheckpoint: { executionId: 'e', subtaskState: bytes(r, 1 + int(r, 2000)) } });
      const cut = 1 + int(r, wire.length - 1);
      const { socket, messages, closes } = rpcOver();
      socket.receive(wire.subarray(0, cut));
      expect(messages).toHaveLength(0);
      socket.receive(wire.subarray(cut));
      expect(messages).toHaveLength(1);
      expect(closes).toEqual([]);
    }
  });

  it('closes at once on an oversized declared length, naming the setting', () => {
    const { socket, closes, messages } = rpcOver(1024 * 1024);
    socket.receive(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x7f])); // varint 2^35 - 2^28: the largest the old decoder took
    expect(socket.destroyed).toBe(true);
    expect(closes[0]).toBeInstanceOf(FrameTooLargeError);
    expect(closes[0]!.message).toContain('ebbflow.rpc.max-frame-size');
    expect(messages).toHaveLength(0);
    const over = rpcOver(); // the 16 MiB default
    over.socket.receive(delimited({ ackCheckpoint: { subtaskState: Buffer.alloc(16 * 1024 * 1024 + 1) } }).subarray(0, 8));
    expect(over.closes[0]).toBeInstanceOf(FrameTooLargeError);
  });

  it('a listener that throws on a message closes that connection, not the process', () => {
    const { socket, rpc, closes } = rpcOver();
    rpc.on('message', () => { throw new TypeError('no deploy field'); });
    expect(() => socket.receive(delimited({ heartbeat: {} }))).not.toThrow();
    expect(socket.destroyed).toBe(true);
    expect(closes[0]).toBeInstanceOf(FrameDecodeError);
  });

  it('decodes a 30 MB envelope fed in 64 KB chunks copying each byte once', () => {
    const { socket, rpc, messages } = rpcOver(64 * 1024 * 1024);
    const wire = delimited({ ackCheckpoint: { executionId: 'big', subtaskState: Buffer.alloc(30 * 1024 * 1024, 3) } });
    for (let i = 0; i < wire.length; i += 64 * 1024) socket.receive(wire.subarray(i, i + 64 * 1024));
    expect(messages).toHaveLength(1);
    expect(messages[0]!.ackCheckpoint!.subtaskState!.length).toBe(30 * 1024 * 1024);
    expect(rpc.copiedBytes).toBeLessThanOrEqual(wire.length);
  });
});
