/**
 * The challenge-response internal connections open with (runtime/network/handshake.ts), over real
 * loopback sockets: a client holding the secret passes and the bytes that follow reach the channel's
 * protocol; a wrong MAC, an unknown identity, a truncated, oversized or missing answer, and an answer
 * replayed from another connection are refused, the connection closed; a server that does not hold
 * the secret is refused by the client. Then the data server: a raw producer that skips the handshake
 * delivers nothing, one with the job's secret delivers its batches.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RECORD, type StreamElement } from '../../runtime/elements.js';
import { HandshakeError } from '../../runtime/errors.js';
import { ChannelRegistry } from '../../runtime/network/channel-registry.js';
import { RemoteChannelWriter } from '../../runtime/network/channel-writer.js';
import { DataServer } from '../../runtime/network/data-server.js';
import { encodeBatch, encodeFrame } from '../../runtime/network/frames.js';
import {
  acceptHandshake, encodeHandshakeFrame, handshakeMac, MAX_HANDSHAKE_FRAME_BYTES, newSecret, offerHandshake, type SecretLookup,
} from '../../runtime/network/handshake.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

interface Outcome { identity?: string; error?: Error; after: Buffer[] }

/** A server that runs the handshake on every connection; after it, records what the client sends. */
async function handshakeServer(secretFor: SecretLookup, timeoutMs?: number): Promise<{ port: number; outcomes: Outcome[]; lookups: string[] }> {
  const outcomes: Outcome[] = [];
  const lookups: string[] = [];
  const server: Server = createServer((socket) => {
    const o: Outcome = { after: [] };
    outcomes.push(o);
    acceptHandshake(socket, 'rpc', (id) => { lookups.push(id); return secretFor(id); }, { timeoutMs }).then((identity) => {
      o.identity = identity;
      socket.on('data', (b: Buffer) => o.after.push(b));
      socket.resume();
    }, (err: Error) => { o.error = err; });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  return { port: (server.address() as AddressInfo).port, outcomes, lookups };
}

/** What raw clients received, and whether their connection closed. */
const received = new Map<Socket, { bytes: Buffer; closed: boolean }>();

/** A raw client: reads everything the server sends (so a close is noticed). */
async function dialRaw(port: number): Promise<Socket> {
  const s = await dial(port);
  const r = { bytes: Buffer.alloc(0), closed: false };
  received.set(s, r);
  s.on('data', (b: Buffer) => { r.bytes = Buffer.concat([r.bytes, b]); });
  s.on('close', () => { r.closed = true; });
  return s;
}

async function dial(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  await new Promise<void>((r) => s.once('connect', r));
  cleanup.push(() => s.destroy());
  return s;
}

/** The first handshake frame the server sent a raw client (its HELLO: "EBH1" + nonce). */
function readHello(s: Socket): Promise<Buffer> {
  return waitFor('the HELLO', () => {
    const b = received.get(s)!.bytes;
    return b.length >= 2 && b.length >= 2 + b.readUInt16BE(0) ? b.subarray(2, 2 + b.readUInt16BE(0)) : undefined;
  });
}

const closed = (s: Socket) => waitFor('the server to close the connection', () => received.get(s)!.closed);

describe('handshake', () => {
  it('a client holding its secret passes, both sides learn who they talk to, and what follows reaches the protocol', async () => {
    const secret = newSecret();
    const srv = await handshakeServer((id) => (id === 'taskmanager-00001' ? secret : undefined));
    const s = await dial(srv.port);
    await offerHandshake(s, 'rpc', { identity: 'taskmanager-00001', secret });
    s.resume();
    s.write('after the handshake');
    await waitFor('the protocol bytes', () => (srv.outcomes[0]?.after.length ? true : undefined));
    expect(srv.outcomes[0]!.identity).toBe('taskmanager-00001');
    expect(Buffer.concat(srv.outcomes[0]!.after).toString()).toBe('after the handshake');
  });

  it('refuses a wrong MAC: the server closes, the client learns the server did not prove itself', async () => {
    const srv = await handshakeServer(() => newSecret());
    const s = await dial(srv.port);
    await expect(offerHandshake(s, 'rpc', { identity: 'taskmanager-00001', secret: newSecret() })).rejects.toBeInstanceOf(HandshakeError);
    await waitFor('the refusal', () => srv.outcomes[0]?.error);
    expect(srv.outcomes[0]!.error).toBeInstanceOf(HandshakeError);
    expect(srv.outcomes[0]!.error!.message).toMatch(/did not prove it holds the rpc secret of "taskmanager-00001"/);
    expect(srv.outcomes[0]!.identity).toBeUndefined();
  });

  it('refuses an identity nobody issued a secret to', async () => {
    const srv = await handshakeServer(() => undefined);
    const s = await dial(srv.port);
    await expect(offerHandshake(s, 'rpc', { identity: 'taskmanager-00009', secret: newSecret() })).rejects.toBeInstanceOf(HandshakeError);
    await waitFor('the refusal', () => srv.outcomes[0]?.error);
    expect(srv.outcomes[0]!.error!.message).toMatch(/nobody issued a secret to \("taskmanager-00009"\)/);
  });

  it('refuses a truncated answer', async () => {
    const srv = await handshakeServer(() => newSecret());
    const s = await dialRaw(srv.port);
    await readHello(s);
    s.write(encodeHandshakeFrame(randomBytes(40)));
    await waitFor('the refusal', () => srv.outcomes[0]?.error);
    expect(srv.outcomes[0]!.error!.message).toMatch(/truncated/);
    expect(srv.lookups).toEqual([]);
    await closed(s);
  });

  it('refuses an oversized frame at its length, and a flood of bytes, without reading them', async () => {
    const srv = await handshakeServer(() => newSecret());
    const a = await dialRaw(srv.port);
    a.write(Buffer.from([0xff, 0xff]));
    await waitFor('the refusal', () => srv.outcomes[0]?.error);
    expect(srv.outcomes[0]!.error!.message).toMatch(new RegExp(`65535 bytes is over the limit of ${MAX_HANDSHAKE_FRAME_BYTES}`));
    await closed(a);
    // An RPC envelope or channel header sent without a handshake is garbage to it.
    const b = await dialRaw(srv.port);
    b.write(encodeFrame(Buffer.from(JSON.stringify({ edgeId: 'e#0', consumer: 0, producer: 0, consumerExecution: 'consumer-0' }))));
    b.write(Buffer.alloc(64 * 1024, 7));
    await waitFor('the second refusal', () => srv.outcomes[1]?.error);
    expect(srv.outcomes[1]!.error).toBeInstanceOf(HandshakeError);
    expect(srv.lookups).toEqual([]);
    await closed(b);
  });

  it('closes a connection that does not answer within the timeout', async () => {
    const srv = await handshakeServer(() => newSecret(), 200);
    const s = await dialRaw(srv.port);
    const t0 = Date.now();
    await closed(s);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(srv.outcomes[0]!.error!.message).toMatch(/no handshake within 200 ms/);
  });

  it('refuses an answer replayed from another connection (each connection has its own server nonce)', async () => {
    const secret = newSecret();
    const srv = await handshakeServer(() => secret);
    // Connection A: a correct answer, computed from A's nonce (what an eavesdropper could record).
    const a = await dialRaw(srv.port);
    const helloA = await readHello(a);
    const clientNonce = randomBytes(32);
    const id = Buffer.from('taskmanager-00001');
    const answer = encodeHandshakeFrame(Buffer.concat([clientNonce, handshakeMac(secret, 'rpc', 'client', helloA.subarray(4), clientNonce, id), id]));
    a.write(answer);
    await waitFor('A to pass', () => srv.outcomes[0]?.identity);
    // Connection B: the same bytes again.
    const b = await dialRaw(srv.port);
    await readHello(b);
    b.write(answer);
    await waitFor('B to be refused', () => srv.outcomes[1]?.error);
    expect(srv.outcomes[1]!.error!.message).toMatch(/did not prove/);
    await closed(b);
  });

  it('a client refuses a server that does not hold the secret (an impostor JobMaster)', async () => {
    // The impostor accepts any answer and sends 32 random bytes as its proof.
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.write(encodeHandshakeFrame(Buffer.concat([Buffer.from('EBH1'), randomBytes(32)])));
      socket.once('data', () => socket.write(encodeHandshakeFrame(randomBytes(32))));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(r)));
    const s = await dial((server.address() as AddressInfo).port);
    await expect(offerHandshake(s, 'rpc', { identity: 'taskmanager-00001', secret: newSecret() })).rejects.toThrow(/server did not prove it holds the secret/);
    expect(s.destroyed).toBe(true);
  });

  it('an answer for the data channel does not pass on the RPC channel', async () => {
    const secret = newSecret();
    const srv = await handshakeServer(() => secret);
    const s = await dial(srv.port);
    await expect(offerHandshake(s, 'data', { identity: 'taskmanager-00001', secret })).rejects.toBeInstanceOf(HandshakeError);
    await waitFor('the refusal', () => srv.outcomes[0]?.error);
  });
});

describe('data server with a secret', () => {
  const batch = (i: number): StreamElement[] => [{ t: RECORD, v: { i }, ts: i }];

  it('closes a producer that sends a header and a batch without the handshake, and takes batches from one with the secret', async () => {
    const secret = newSecret();
    const registry = new ChannelRegistry();
    registry.claim('e#0', 0, { executionId: 'consumer-0', producers: 3, maxProducers: 128 });
    const rejected: Error[] = [];
    const server = new DataServer(registry, (e) => { throw e; }, { secret: () => secret, onRejected: (err) => rejected.push(err) });
    const port = await server.listen('127.0.0.1');
    cleanup.push(() => server.close());
    const raw = await dialRaw(port);
    raw.write(Buffer.concat([encodeFrame(Buffer.from(JSON.stringify({ edgeId: 'e#0', consumer: 0, producer: 0, consumerExecution: 'consumer-0' }))), encodeBatch(batch(666))]));
    await closed(raw);
    expect(server.rejectedHandshakes).toBe(1);
    expect(rejected[0]).toBeInstanceOf(HandshakeError);

    const wrong = new RemoteChannelWriter('127.0.0.1', port, { edgeId: 'e#0', consumer: 0, producer: 1, consumerExecution: 'consumer-0' }, { secret: newSecret(), identity: 'tm-x' });
    await expect(wrong.send(batch(667))).rejects.toThrow(/data connection to 127.0.0.1:\d+ was closed/);
    expect(server.rejectedHandshakes).toBe(2);

    const writer = new RemoteChannelWriter('127.0.0.1', port, { edgeId: 'e#0', consumer: 0, producer: 2, consumerExecution: 'consumer-0' }, { secret, identity: 'tm-2' });
    await writer.send(batch(1));
    const gate = registry.gate('e#0', 0);
    const item = (await gate.next())!;
    expect(item.batch).toEqual(batch(1));
    expect(server.rejectedHandshakes).toBe(2);
    await writer.close();
  });

  it('bounds the connections in their handshake: one past the limit is closed at once, the waiting ones are not', async () => {
    const registry = new ChannelRegistry();
    const rejected: Error[] = [];
    const server = new DataServer(registry, (e) => { throw e; }, { secret: () => newSecret(), maxPendingHandshakes: 3, onRejected: (err) => rejected.push(err) });
    const port = await server.listen('127.0.0.1');
    cleanup.push(() => server.close());
    const waiting = [await dialRaw(port), await dialRaw(port), await dialRaw(port)];
    for (const w of waiting) await readHello(w);
    const extra = await dialRaw(port);
    await closed(extra);
    expect(received.get(extra)!.bytes.length).toBe(0);
    expect(rejected.map((e) => e.message)).toEqual(['more than 3 connections are in their handshake; closed this one']);
    expect(waiting.map((w) => received.get(w)!.closed)).toEqual([false, false, false]);
    // A slot comes back when a handshake ends (here: it fails), and the next connection is served.
    waiting[0]!.destroy();
    await waitFor('the slot to come back', async () => {
      const next = await dialRaw(port);
      const hello = await readHello(next).then(() => true, () => false);
      return hello ? true : undefined;
    }, 5_000);
  });

  it('a producer cancelled while its connection is still in the handshake closes that connection (no channel left open)', async () => {
    const peers: Array<{ closed: boolean }> = [];
    const silent = createServer((sock) => { const p = { closed: false }; peers.push(p); sock.on('error', () => {}); sock.on('close', () => { p.closed = true; }); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => silent.close(r)));
    const writer = new RemoteChannelWriter('127.0.0.1', (silent.address() as AddressInfo).port, { edgeId: 'e#0', consumer: 0, producer: 0, consumerExecution: 'c' }, { secret: newSecret(), identity: 'tm-1' });
    const sent = writer.send(batch(1)).then(() => undefined, (err: Error) => err);
    await waitFor('the connection', () => peers.length === 1);
    writer.abort();
    await waitFor('the server to see the connection closed', () => peers[0]!.closed);
    expect(await sent).toBeInstanceOf(Error);
  });

  it('a connection waits for a secret not known yet (the TaskManager registering), then passes', async () => {
    let setSecret!: (s: Buffer) => void;
    const pending = new Promise<Buffer>((r) => { setSecret = r; });
    const registry = new ChannelRegistry();
    registry.claim('w#0', 0, { executionId: 'consumer-0', producers: 1, maxProducers: 128 });
    const server = new DataServer(registry, (e) => { throw e; }, { secret: () => pending });
    const port = await server.listen('127.0.0.1');
    cleanup.push(() => server.close());
    const secret = newSecret();
    const writer = new RemoteChannelWriter('127.0.0.1', port, { edgeId: 'w#0', consumer: 0, producer: 0, consumerExecution: 'consumer-0' }, { secret, identity: 'tm-1' });
    const sent = writer.send(batch(5));
    setTimeout(() => setSecret(secret), 50);
    await sent;
    expect((await registry.gate('w#0', 0).next())!.batch).toEqual(batch(5));
    await writer.close();
  });
});
