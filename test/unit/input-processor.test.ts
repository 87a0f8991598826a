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
import { KeyedProcessOperator } from '../../runtime/operators/keyed-process-operator.js';
import { WindowOperator } from '../../runtime/operators/window-operator.js';
import type { AggregateFunction, KeyedProcessFunction } from '../../sdk/types.js';
import { assignToKeyGroup, type Key } from '../../state/key-groups.js';
import { waitFor } from '../helpers/wait-for.js';

interface Seen { records: Array<{ v: unknown; kg?: number }>; watermarks: number[] }

function harness(producers: number, opts: { capacity?: number; bufferBatches?: number; rescaleBarrier?: number } = {}) {
  const gate = new InputGate(opts.capacity);
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
    isRescaleBarrier: (id) => id === opts.rescaleBarrier,
  }, undefined, opts.bufferBatches);
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

  describe('with a keyed head operator, only the held key groups wait', () => {
    const MAXP = 128;
    const kgOf = (k: string) => assignToKeyGroup(k, MAXP);
    interface R { k: string; ts: number }
    const r = (k: string, ts: number): StreamElement => ({ t: RECORD, v: { k, ts }, ts, kg: kgOf(k) });
    // Arrival order; b@3 arrives after the watermark passed its window: late, as without a hold.
    const input: StreamElement[] = [r('a', 1), r('b', 2), wm(5), r('b', 7), r('a', 8), wm(12), r('b', 11), r('b', 3), r('a', 14), wm(25)];
    class Out implements Collector {
      records: unknown[] = [];
      watermarks: number[] = [];
      collect(v: unknown): void { this.records.push(v); }
      watermark(w: number): void { this.watermarks.push(w); }
      end(): void {}
    }
    const count: AggregateFunction<R, number, number> = { createAccumulator: () => 0, add: (n) => n + 1, getResult: (n) => n };
    const windows = (out: Collector) => new WindowOperator(1, (x) => (x as R).k, { kind: 'tumbling-event-time', sizeMs: 10 },
      count as AggregateFunction<unknown, unknown, unknown>, (key: unknown, w: { end: number }, n: unknown) => `${String(key)}@${w.end}=${String(n)}`, MAXP, out);
    const timers: KeyedProcessFunction<R, string, unknown> = {
      processElement(e, ctx) { ctx.timers.registerEventTimeTimer(e.ts + 4); },
      onTimer(ts, ctx) { ctx.emit(`${ctx.key}@${ts} seen at ${ctx.currentWatermark}`); },
    };
    const process = (out: Collector) => new KeyedProcessOperator(2, (x) => (x as R).k, timers as unknown as KeyedProcessFunction<unknown, Key, unknown>, MAXP, out);

    for (const [name, make] of [['windows', windows], ['timers', process]] as const) {
      it(`${name}: the others fire while b is held; on release b catches up exactly as without a hold; the output watermark waits for b`, async () => {
        const ref = new Out();
        const refOp = make(ref);
        for (const el of input) if (el.t === RECORD) refOp.collect(el.v, el.ts, el.kg); else if (el.t === WATERMARK) refOp.watermark(el.wm);

        const out = new Out();
        const gate = new InputGate();
        const p = new InputProcessor(gate, 1, make(out), { aligned: async () => {}, woken: async () => {}, flush: async () => {}, stopped: () => false });
        const running = p.run();
        p.hold(new Set([kgOf('b')]));
        await gate.push(0, input);
        await new Promise((resolve) => setTimeout(resolve, 5));
        const during = [...out.records] as string[];
        expect(during.length).toBeGreaterThan(0);
        expect(during.every((x) => x.startsWith('a@'))).toBe(true);
        expect(out.watermarks).toEqual([]);
        expect(p.release().heldRecords).toBe(4);
        expect([...out.records].sort()).toEqual([...ref.records].sort());
        expect(out.records.filter((x) => String(x).startsWith('b@'))).toEqual(ref.records.filter((x) => String(x).startsWith('b@')));
        expect(out.watermarks).toEqual([25]);
        gate.close();
        await running;
      });
    }
  });

  it('buffers what follows a barrier on a channel up to its bound, giving the credit back so the producer goes on; not at a rescale barrier', async () => {
    for (const rescale of [false, true]) {
      // Two credits per channel, at most three batches buffered with their credit given back.
      const h = harness(2, { capacity: 2, bufferBatches: 3, ...(rescale ? { rescaleBarrier: 7 } : {}) });
      await h.push(0, barrier(7));
      await h.drain();
      let pushed = 0;
      // The producer of channel 0 pushes on while channel 1 has not delivered its barrier: each push waits for a credit.
      const producer = (async () => { for (let i = 0; i < 8; i++) { await h.push(0, rec(`after-${i}`, 1)); pushed++; } })();
      // A rescale barrier: the batch handed straight to the waiting reader plus the 2 credits; buffered:
      // 3 more given back (the first of them that one).
      const expected = rescale ? 3 : 5;
      await waitFor(`${expected} pushes`, () => (pushed >= expected ? true : undefined), 5000);
      // Then the producer is stopped for want of a credit (the flow is promise-driven: a turn of the loop settles it).
      await new Promise((r) => setImmediate(r));
      expect(pushed).toBe(expected);
      expect(h.seen.records).toEqual([]);
      await h.push(1, barrier(7));
      await producer;
      await h.drain();
      expect(h.events).toEqual(['aligned 7']);
      // Everything after the barrier, in order, once; no credit given back twice (the queue accounting stays within capacity).
      expect(h.seen.records.map((r) => r.v)).toEqual(Array.from({ length: 8 }, (_, i) => `after-${i}`));
      await h.push(0, rec('x', 1));
      await h.push(0, rec('y', 1));
      await h.drain();
      expect(h.seen.records.map((r) => r.v).slice(-2)).toEqual(['x', 'y']);
      await h.stop();
    }
  });
});
