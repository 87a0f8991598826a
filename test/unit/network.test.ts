/**
 * The data plane between TaskManagers: frames, credits and back-pressure,
 * over a real TCP connection on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { RECORD, type StreamElement } from '../../runtime/elements.js';
import { ChannelRegistry } from '../../runtime/network/channel-registry.js';
import { LocalChannelWriter, RemoteChannelWriter } from '../../runtime/network/channel-writer.js';
import { DataServer } from '../../runtime/network/data-server.js';
import { FrameDecoder, encodeBatch, decodeBatch } from '../../runtime/network/frames.js';

const batch = (i: number): StreamElement[] => [{ t: RECORD, v: { i, big: 10n ** 20n, s: 'x'.repeat(10) }, ts: i }];

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('frames', () => {
  it('round-trips batches split at arbitrary byte boundaries', () => {
    const bytes = Buffer.concat([encodeBatch(batch(1)), encodeBatch(batch(2)), encodeBatch([{ t: 1, wm: Infinity }])]);
    for (const cut of [1, 3, 5, 17, bytes.length - 1]) {
      const d = new FrameDecoder();
      const frames = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      expect(frames.map(decodeBatch)).toEqual([batch(1), batch(2), [{ t: 1, wm: Infinity }]]);
    }
  });
});

describe('credit-based flow control', () => {
  it('a remote producer sends no more than the consumer granted, and resumes as batches are released', async () => {
    const registry = new ChannelRegistry();
    const server = new DataServer(registry, (e) => { throw e; });
    const port = await server.listen('127.0.0.1');
    registry.claim('e#0', 0, { executionId: 'consumer-0', producers: 1, maxProducers: 128 });
    const writer = new RemoteChannelWriter('127.0.0.1', port, { edgeId: 'e#0', consumer: 0, producer: 0, consumerExecution: 'consumer-0' });
    const gate = registry.gate('e#0', 0);
    let sent = 0;
    const producing = (async () => { for (let i = 0; i < 20; i++) { await writer.send(batch(i)); sent++; } })();
    await new Promise((r) => setTimeout(r, 100));
    await settle();
    expect(sent).toBe(gate.capacity); // 8 credits, then it waits
    const got: number[] = [];
    for (let i = 0; i < 20; i++) {
      const item = (await gate.next())!;
      got.push((item.batch[0] as { v: { i: number } }).v.i);
      gate.release(item.channel);
    }
    await producing;
    expect(got).toEqual([...Array(20).keys()]);
    expect(sent).toBe(20);
    await writer.close();
    await server.close();
  });

  it('a local producer waits while the gate holds `capacity` unreleased batches of its channel', async () => {
    const registry = new ChannelRegistry();
    const w = new LocalChannelWriter(registry, { edgeId: 'l#0', consumer: 0, producer: 3, consumerExecution: 'consumer-0' });
    const gate = registry.gate('l#0', 0);
    let sent = 0;
    const p = (async () => { for (let i = 0; i < 10; i++) { await w.send(batch(i)); sent++; } })();
    await settle();
    expect(sent).toBe(8);
    const first = (await gate.next())!;
    expect(first.channel).toBe(3);
    await settle();
    expect(sent).toBe(8); // taken but not released: still holds its credit
    gate.release(3);
    await settle();
    expect(sent).toBe(9);
    for (let i = 0; i < 9; i++) gate.release(3);
    await p;
    expect(sent).toBe(10);
  });
});
