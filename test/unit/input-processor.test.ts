/**
 * The input side of a subtask at a rescale barrier, without processes: barrier alignment, batches
 * from producers of the next configuration waiting until the switch, every channel's watermark
 * forgotten at the switch, and records of gained key groups (and the watermark) held back until
 * their state is in place — while the other key groups flow on.
 */
import { describe, expect, it } from 'vitest';
import { BARRIER, RECORD, WATERMARK, type Collector, type StreamElement } from '../../runtime/elements.js';
import { InputProcessor } from '../../runtime/input-processor.js';
import { InputGate } from '../../runtime/network/input-gate.js';

interface Seen { records: Array<{ v: unknown; kg?: number }>; watermarks: number[] }

function harness(producers: number) {
  const gate = new InputGate();
  const seen: Seen = { records: [], watermarks: [] };
  const head: Collector = {
    collect: (v, _ts, kg) => { seen.records.push(kg === undefined ? { v } : { v, kg }); },
    watermark: (wm) => { seen.watermarks.push(wm); },
    end: () => {},
  };
  let stop = false;
  const events: string[] = [];
  const hooks = {
    onAligned: (_id: number) => {},
    onWake: () => {},
  };
  const p = new InputProcessor(gate, producers, head, {
    aligned: async (id) => { events.push(`aligned ${id}`); hooks.onAligned(id); },
    woken: async () => { events.push('woken'); hooks.onWake(); },
    flush: async () => {},
    stopped: () => stop,
  });
  const running = p.run();
  const push = (channel: number, ...els: StreamElement[]) => gate.push(channel, els);
  /** Lets the processor take everything queued. */
  const drain = () => new Promise((r) => setTimeout(r, 5));
  return { gate, p, seen, events, hooks, push, drain, stop: async () => { stop = true; gate.close(); await running; } };
}

const rec = (v: unknown, kg: number): StreamElement => ({ t: RECORD, v, ts: 0, kg });
const wm = (w: number): StreamElement => ({ t: WATERMARK, wm: w });
const barrier = (id: number): StreamElement => ({ t: BARRIER, id, dir: '/tmp/x' });

describe('input processor', () => {
  it('aligns a barrier over all channels, parking what follows it on a channel until then', async () => {
    const h = harness(2);
    await h.push(0, rec('a', 1), barrier(5), rec('after-a', 1));
    await h.push(1, rec('b', 2));
    await h.drain();
    expect(h.seen.records.map((r) => r.v)).toEqual(['a', 'b']);
    expect(h.events).toEqual([]);
    await h.push(1, barrier(5), rec('after-b', 2));
    await h.drain();
    expect(h.events).toEqual(['aligned 5']);
    expect(h.seen.records.map((r) => r.v)).toEqual(['a', 'b', 'after-b', 'after-a']);
    await h.stop();
  });

  it('keeps batches of a producer outside the current set until the switch, then forgets every watermark', async () => {
    const h = harness(1);
    h.hooks.onAligned = () => h.p.setProducers(2); // the rescale barrier adds producer 1
    await h.push(0, wm(100), rec('x', 3));
    await h.push(1, rec('from-new-producer', 4), wm(500));
    await h.drain();
    expect(h.seen.records.map((r) => r.v)).toEqual(['x']);
    expect(h.seen.watermarks).toEqual([100]);
    await h.push(0, barrier(9), wm(150));
    await h.drain();
    expect(h.events).toEqual(['aligned 9']);
    expect(h.seen.records.map((r) => r.v)).toEqual(['x', 'from-new-producer']);
    // Channel 0 sent 150 after the barrier, channel 1 500: the minimum is 150 now.
    expect(h.seen.watermarks).toEqual([100, 150]);
    await h.stop();
  });

  it('holds back records of gained key groups and the watermark until release, then applies them in arrival order', async () => {
    const h = harness(1);
    h.p.hold(new Set([7, 8]));
    await h.push(0, rec('keep-1', 1), rec('gain-1', 7), wm(200), rec('keep-2', 2), rec('gain-2', 8), rec('gain-3', 7));
    await h.drain();
    expect(h.seen.records.map((r) => r.v)).toEqual(['keep-1', 'keep-2']);
    expect(h.seen.watermarks).toEqual([]);
    const stats = h.p.release();
    expect(stats.heldRecords).toBe(3);
    expect(stats.maxHoldMs).toBeGreaterThanOrEqual(0);
    expect(h.seen.records.map((r) => r.v)).toEqual(['keep-1', 'keep-2', 'gain-1', 'gain-2', 'gain-3']);
    expect(h.seen.watermarks).toEqual([200]);
    // Released: gained key groups flow directly now.
    await h.push(0, rec('gain-4', 7));
    await h.drain();
    expect(h.seen.records.at(-1)).toEqual({ v: 'gain-4', kg: 7 });
    await h.stop();
  });

  it('wakes the subtask without data when loaded state is ready', async () => {
    const h = harness(1);
    await h.drain();
    h.gate.wake();
    await h.drain();
    expect(h.events).toEqual(['woken']);
    await h.stop();
  });
});
