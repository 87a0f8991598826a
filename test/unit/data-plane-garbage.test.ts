/**
 * A DataServer and an RpcConnection on 127.0.0.1 fed what no peer of ebbflow sends: text, unframed
 * and framed; headers that are not channel headers; batches that are not batches; a declared length
 * over the limit. Each such connection is closed and counted, nothing throws, and the server then
 * still serves a well-formed producer whose batch reaches the gate.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { serialize } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcConnection } from '../../rpc/index.js';
import { RECORD, type StreamElement } from '../../runtime/elements.js';
import { FrameDecodeError, FrameTooLargeError } from '../../runtime/errors.js';
import { ChannelRegistry } from '../../runtime/network/channel-registry.js';
import { RemoteChannelWriter } from '../../runtime/network/channel-writer.js';
import { DataServer } from '../../runtime/network/data-server.js';
import { encodeBatch, encodeFrame } from '../../runtime/network/frames.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

const header = (h: unknown): Buffer => encodeFrame(Buffer.from(JSON.stringify(h), 'utf8'));
const length = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n, 0); return b; };

/** Connects, writes `bytes`, and resolves once the server has closed the connection. */
async function sendAndAwaitClose(port: number, bytes: Buffer[]): Promise<void> {
  const s = connect({ host: '127.0.0.1', port });
  cleanup.push(() => s.destroy());
  let closed = false;
  s.on('error', () => {});
  s.on('close', () => { closed = true; });
  s.on('data', () => {}); // credits for a valid header
  await new Promise<void>((resolve) => s.once('connect', () => resolve()));
  for (const b of bytes) s.write(b);
  await waitFor('the server to close the connection', () => closed);
}

describe('DataServer fed garbage', () => {
  it('closes each bad connection, counts it, and still serves a well-formed producer', async () => {
    const registry = new ChannelRegistry();
    const rejected: Error[] = [];
    const failures: Error[] = [];
    const server = new DataServer(registry, (e) => failures.push(e), { maxFrameBytes: 1024 * 1024, onRejected: (err) => rejected.push(err) });
    const port = await server.listen('127.0.0.1');
    cleanup.push(() => server.close());
    const valid = { edgeId: 'e#0', consumer: 0, producer: 1, consumerExecution: 'consumer-0' };
    registry.claim('e#0', 0, { executionId: 'consumer-0', producers: 2, maxProducers: 128 });

    const cases: Array<[string, Buffer[], new (...a: never[]) => Error]> = [
      ['unframed text', [Buffer.from('this is not json\n')], FrameTooLargeError], // "this" read as a length: over the header bound
      ['framed text', [encodeFrame(Buffer.from('this is not json\n'))], FrameDecodeError],
      ['a header without an edge id', [header({ consumer: 0, producer: 0 })], FrameDecodeError],
      ['a header with a negative index', [header({ edgeId: 'e#0', consumer: -1, producer: 0 })], FrameDecodeError],
      ['a JSON array as header', [header([1, 2, 3])], FrameDecodeError],
      ['a garbage batch', [header(valid), encodeFrame(Buffer.from('\xff\x0fnot v8 at all'))], FrameDecodeError],
      ['a batch that is not an array', [header(valid), encodeFrame(serialize({ t: 0 }))], FrameDecodeError],
      ['a batch of non-elements', [header(valid), encodeFrame(serialize([1, 'x']))], FrameDecodeError],
      ['an oversized length', [header(valid), length(0xffffffff)], FrameTooLargeError],
    ];
    for (const [what, bytes, kind] of cases) {
      const before = server.rejectedConnections;
      await sendAndAwaitClose(port, bytes);
      expect(server.rejectedConnections, what).toBe(before + 1);
      expect(rejected.at(-1), what).toBeInstanceOf(kind);
    }
    expect(rejected[0]!.message).toBe('a peer sent a channel header of 1952999795 bytes, over the limit of 4096 bytes');
    expect(rejected.at(-1)!.message).toContain('ebbflow.network.max-frame-size');
    // None of it reached a gate.
    const gate = registry.gate('e#0', 0);
    expect(failures).toEqual([]);

    const writer = new RemoteChannelWriter('127.0.0.1', port, valid);
    cleanup.push(() => writer.abort());
    await writer.send([{ t: RECORD, v: 'ok', ts: 1 }]);
    const got = await gate.next();
    // The gate learns the frame's size (numBytesIn): the whole frame, as the producer sent it.
    expect(got).toEqual({ channel: 1, batch: [{ t: RECORD, v: 'ok', ts: 1 }], bytes: encodeBatch([{ t: RECORD, v: 'ok', ts: 1 }]).length });
  });

  it('accepts a header and a batch larger than the header bound in one write', async () => {
    const registry = new ChannelRegistry();
    const rejected: Error[] = [];
    const server = new DataServer(registry, () => {}, { onRejected: (err) => rejected.push(err) });
    const port = await server.listen('127.0.0.1');
    cleanup.push(() => server.close());
    const big: StreamElement[] = [{ t: RECORD, v: 'y'.repeat(100_000), ts: 1 }];
    const s = connect({ host: '127.0.0.1', port });
    cleanup.push(() => s.destroy());
    s.on('error', () => {});
    s.on('data', () => {});
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    registry.claim('g#0', 0, { executionId: 'consumer-0', producers: 1, maxProducers: 128 });
    s.write(Buffer.concat([header({ edgeId: 'g#0', consumer: 0, producer: 0, consumerExecution: 'consumer-0' }), encodeBatch(big)]));
    expect(await registry.gate('g#0', 0).next()).toEqual({ channel: 0, batch: big, bytes: encodeBatch(big).length });
    expect(rejected).toEqual([]);
  });

  it('closes a producer that sends batches far beyond its credits', async () => {
    const registry = new ChannelRegistry();
    const rejected: Error[] = [];
    const server = new DataServer(registry, () => {}, { onRejected: (err) => rejected.push(err) });
    const port = await server.listen('127.0.0.1');
    cleanup.push(() => server.close());
    const batch = encodeBatch([{ t: RECORD, v: 1, ts: 1 }]);
    registry.claim('f#0', 0, { executionId: 'consumer-0', producers: 1, maxProducers: 128 });
    await sendAndAwaitClose(port, [header({ edgeId: 'f#0', consumer: 0, producer: 0, consumerExecution: 'consumer-0' }), ...Array.from({ length: 100 }, () => batch)]);
    expect(rejected[0]?.message).toMatch(/credits/);
  });
});

describe('RpcConnection over a socket fed garbage', () => {
  async function rpcServer(maxFrameBytes?: number): Promise<{ port: number; closes: Array<Error | undefined> }> {
    const closes: Array<Error | undefined> = [];
    const server: Server = createServer((socket: Socket) => {
      const rpc = new RpcConnection(socket, { maxFrameBytes });
      rpc.on('close', (err) => closes.push(err));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => new Promise((r) => server.close(r)));
    return { port: (server.address() as AddressInfo).port, closes };
  }

  it('closes with an error on an undecodable message and on an oversized length', async () => {
    const { port, closes } = await rpcServer(1024);
    // Length 17, then a field tag with wire type 7 (not a protobuf wire type).
    await sendAndAwaitClose(port, [Buffer.from([17, 0x0f, ...Buffer.from('this is not json')])]);
    await waitFor('close reported', () => closes.length === 1);
    expect(closes[0]).toBeInstanceOf(FrameDecodeError);
    await sendAndAwaitClose(port, [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])]);
    await waitFor('close reported', () => closes.length === 2);
    expect(closes[1]).toBeInstanceOf(FrameTooLargeError);
  });
});
