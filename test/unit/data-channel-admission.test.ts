/**
 * Which data connections a TaskManager's data server accepts (runtime/network/channel-registry.ts
 * `admit`), over real sockets on 127.0.0.1: only a channel a deployed consumer claimed, naming that
 * consumer's execution, of the current attempt, from a remote producer the consumer expects, once. Headers
 * that may still become valid (consumer not deployed yet, a producer a prepared rescale announces)
 * wait without credits, bounded in number and time, and are accepted once they match.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RECORD } from '../../runtime/elements.js';
import { ChannelRegistry } from '../../runtime/network/channel-registry.js';
import { RemoteChannelWriter } from '../../runtime/network/channel-writer.js';
import { DataServer } from '../../runtime/network/data-server.js';
import { decodeRefusal, encodeBatch, encodeFrame, FrameDecoder, type ChannelHeader } from '../../runtime/network/frames.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

interface Peer { socket: Socket; credits: number; refusal: string | undefined; closed: boolean }

/** A raw producer connection that sends `header` and records credits, a refusal and the close. */
async function open(port: number, header: Partial<ChannelHeader>): Promise<Peer> {
  const socket = connect({ host: '127.0.0.1', port });
  cleanup.push(() => socket.destroy());
  const peer: Peer = { socket, credits: 0, refusal: undefined, closed: false };
  const decoder = new FrameDecoder(4096, '', 'frame');
  socket.on('data', (chunk) => {
    for (const f of decoder.push(chunk)) {
      if (f.length === 4) peer.credits += f.readUInt32BE(0);
      else peer.refusal = decodeRefusal(f);
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => { peer.closed = true; });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(encodeFrame(Buffer.from(JSON.stringify(header), 'utf8')));
  return peer;
}

async function server(opts: { claimTimeoutMs?: number; maxWaitingConnections?: number } = {}) {
  const registry = new ChannelRegistry();
  const refused: Array<{ reason: string; header: ChannelHeader }> = [];
  const rejected: Error[] = [];
  const s = new DataServer(registry, (err) => { throw err; }, {
    ...opts, onRefused: (reason, header) => refused.push({ reason, header }), onRejected: (err) => rejected.push(err),
  });
  const port = await s.listen('127.0.0.1');
  cleanup.push(() => s.close());
  return { registry, server: s, port, refused, rejected };
}

const refusedWith = async (p: Peer) => { await waitFor('the connection to be refused and closed', () => p.closed); return p.refusal; };
const EDGE = 'edge-a';

describe('data channel admission', () => {
  it('refuses unknown edges, stale attempts, other consumer executions, producers beyond the edge and a second connection of a producer', async () => {
    const { registry, server: s, port, refused } = await server();
    registry.knowEdges([EDGE]);
    registry.noteAttempt(2);
    registry.claim(`${EDGE}#2`, 1, { executionId: 'exec-c1', producers: 3, maxProducers: 128, localProducers: new Set([1]) });
    const good = { edgeId: `${EDGE}#2`, consumer: 1, producer: 0, consumerExecution: 'exec-c1' };

    expect(await refusedWith(await open(port, { ...good, edgeId: 'edge-nobody-has#2' }))).toBe('channel edge-nobody-has#2 (consumer 1, producer 0): the job has no edge edge-nobody-has');
    expect(await refusedWith(await open(port, { ...good, edgeId: `${EDGE}#1` }))).toBe(`channel ${EDGE}#1 (consumer 1, producer 0): attempt 1 is stale (this TaskManager runs attempt 2)`);
    expect(await refusedWith(await open(port, { ...good, consumerExecution: 'exec-earlier' }))).toBe(
      `channel ${EDGE}#2 (consumer 1, producer 0): it names consumer execution exec-earlier, but the consumer deployed here is execution exec-c1`);
    expect(await refusedWith(await open(port, { ...good, producer: 128 }))).toBe(`channel ${EDGE}#2 (consumer 1, producer 128): producer 128 is outside the edge (at most 128 producers)`);
    expect(await refusedWith(await open(port, { ...good, producer: 1 }))).toBe(
      `channel ${EDGE}#2 (consumer 1, producer 1): producer 1 runs on this TaskManager (its channel is in memory, never a connection)`);
    expect(s.refusedConnections).toBe(5);
    expect(refused.map((r) => r.header.edgeId)).toEqual(['edge-nobody-has#2', `${EDGE}#1`, `${EDGE}#2`, `${EDGE}#2`, `${EDGE}#2`]);

    // The right header is accepted (credits), and a second connection for the same producer is refused.
    const accepted = await open(port, good);
    await waitFor('credits', () => accepted.credits === 8);
    expect(await refusedWith(await open(port, good))).toBe(`channel ${EDGE}#2 (consumer 1, producer 0): that producer is connected already`);
    expect(accepted.closed).toBe(false);
    // A batch on the accepted one reaches the gate.
    accepted.socket.write(encodeBatch([{ t: RECORD, v: 'ok', ts: 1 }]));
    expect(await registry.gate(`${EDGE}#2`, 1).next()).toEqual({ channel: 0, batch: [{ t: RECORD, v: 'ok', ts: 1 }], bytes: encodeBatch([{ t: RECORD, v: 'ok', ts: 1 }]).length });
  });

  it('holds a header until its consumer claims the channel, then accepts it if it matches and refuses it if not', async () => {
    const { registry, port } = await server();
    const early = await open(port, { edgeId: `${EDGE}#0`, consumer: 0, producer: 1, consumerExecution: 'exec-c0' });
    const mismatched = await open(port, { edgeId: `${EDGE}#0`, consumer: 0, producer: 0, consumerExecution: 'exec-from-before' });
    const writer = new RemoteChannelWriter('127.0.0.1', port, { edgeId: `${EDGE}#0`, consumer: 0, producer: 2, consumerExecution: 'exec-c0' });
    cleanup.push(() => writer.abort());
    const sending = writer.send([{ t: RECORD, v: 'from the writer', ts: 1 }]);
    // No credits while waiting: the producer sends nothing yet.
    await waitFor('both raw connections to wait', () => early.socket.bytesWritten > 0 && mismatched.socket.bytesWritten > 0);
    expect(early.credits).toBe(0);

    registry.claim(`${EDGE}#0`, 0, { executionId: 'exec-c0', producers: 3, maxProducers: 128 });
    await waitFor('the matching header to be accepted', () => early.credits === 8);
    expect(await refusedWith(mismatched)).toMatch(/names consumer execution exec-from-before, but the consumer deployed here is execution exec-c0/);
    await sending;
    expect(await registry.gate(`${EDGE}#0`, 0).next()).toEqual({ channel: 2, batch: [{ t: RECORD, v: 'from the writer', ts: 1 }], bytes: encodeBatch([{ t: RECORD, v: 'from the writer', ts: 1 }]).length });
  });

  it('holds a producer the consumer does not expect yet until a prepared rescale announces it; refuses it after the wait otherwise', async () => {
    const { registry, port } = await server({ claimTimeoutMs: 300 });
    registry.claim(`${EDGE}#0`, 0, { executionId: 'exec-c0', producers: 2, maxProducers: 128 });
    const added = await open(port, { edgeId: `${EDGE}#0`, consumer: 0, producer: 2, consumerExecution: 'exec-c0' });
    const stray = await open(port, { edgeId: `${EDGE}#0`, consumer: 0, producer: 5, consumerExecution: 'exec-c0' });
    await waitFor('both to be read', () => added.socket.bytesWritten > 0 && stray.socket.bytesWritten > 0);
    registry.prepare(`${EDGE}#0`, 0, 3); // the rescale adds producer 2
    await waitFor('the added producer to be accepted', () => added.credits === 8);
    expect(await refusedWith(stray)).toBe(`channel ${EDGE}#0 (consumer 0, producer 5): producer 5 is outside the edge's 3 producer(s) (waited 300 ms)`);
  });

  it('refuses a header for a channel no consumer claims after the wait, and beyond the bound at once', async () => {
    const { server: s, port } = await server({ claimTimeoutMs: 300, maxWaitingConnections: 2 });
    const a = await open(port, { edgeId: 'x#0', consumer: 0, producer: 0, consumerExecution: 'e' });
    const b = await open(port, { edgeId: 'x#0', consumer: 1, producer: 0, consumerExecution: 'e' });
    await waitFor('two waiting', () => s.waitingConnections === 2);
    const c = await open(port, { edgeId: 'x#0', consumer: 2, producer: 0, consumerExecution: 'e' });
    expect(await refusedWith(c)).toBe('channel x#0 (consumer 2, producer 0): no consumer subtask of that channel is deployed on this TaskManager, and 2 connections wait for their consumer already');
    expect(a.closed).toBe(false);
    expect(await refusedWith(a)).toBe('channel x#0 (consumer 0, producer 0): no consumer subtask of that channel is deployed on this TaskManager (waited 300 ms)');
    await refusedWith(b);
    expect(s.waitingConnections).toBe(0);
  });

  it('a refused producer\'s send fails naming the reason', async () => {
    const { registry, port } = await server();
    registry.noteAttempt(1);
    const writer = new RemoteChannelWriter('127.0.0.1', port, { edgeId: `${EDGE}#0`, consumer: 0, producer: 0, consumerExecution: 'x' });
    cleanup.push(() => writer.abort());
    await expect(writer.send([{ t: RECORD, v: 1, ts: 1 }])).rejects.toThrow(
      /^data connection to 127\.0\.0\.1:\d+ was refused by the consumer's TaskManager: channel edge-a#0 \(consumer 0, producer 0\): attempt 0 is stale \(this TaskManager runs attempt 1\)$/);
  });

  it('a batch sent before the channel was accepted closes the connection (nothing is buffered for a waiting header)', async () => {
    const { server: s, port, rejected } = await server();
    const p = await open(port, { edgeId: 'x#0', consumer: 0, producer: 0, consumerExecution: 'e' });
    p.socket.write(encodeBatch([{ t: RECORD, v: 1, ts: 1 }]));
    await waitFor('closed', () => p.closed);
    expect(s.rejectedConnections).toBe(1);
    expect(rejected[0]?.message).toMatch(/^a peer sent a premature data frame of \d+ bytes, over the limit of 0 bytes$/);
  });
});
