/**
 * Keyed process functions driven directly through their operator: keyed state scoped to the
 * current key, event-time timers, and snapshot → restore (whole or split by key-group range).
 */
import { describe, expect, it } from 'vitest';
import type { KeyedContext, KeyedProcessFunction } from '../../sdk/types.js';
import { assignToKeyGroup, keyGroupRangeForSubtask, type Key } from '../../state/key-groups.js';
import type { Collector } from '../../runtime/elements.js';
import { KeyedProcessOperator } from '../../runtime/operators/keyed-process-operator.js';
import { decodeKeyedValue } from '../../runtime/checkpoint/keyed-value-codec.js';
import { Collect, MAXP, snapshot } from '../helpers/operators.js';

interface E { k: string; op?: string; item?: string; t?: number }
type Ctx = KeyedContext<string, unknown>;

function processOp(fn: KeyedProcessFunction<E, string, unknown>, out: Collector) {
  return new KeyedProcessOperator(2, (r) => (r as E).k, fn as unknown as KeyedProcessFunction<unknown, Key, unknown>, MAXP, out);
}

describe('keyed state', () => {
  it('value, map and list state are scoped to the current key', () => {
    const out = new Collect();
    const op = processOp({
      processElement(r, ctx) {
        const n = ctx.state.value<number>('n');
        const items = ctx.state.map<string, number>('items');
        const log = ctx.state.list<string>('log');
        if (r.op === 'clear') { n.clear(); items.clear(); log.clear(); }
        else if (r.op === 'del') { ctx.emit({ deleted: items.delete(r.item!), again: items.delete(r.item!) }); }
        else {
          n.set((n.get() ?? 0) + 1);
          items.set(r.item!, (items.get(r.item!) ?? 0) + 1);
          log.add(r.item!);
        }
        ctx.emit({ key: ctx.key, n: n.get(), items: items.entries(), keys: items.keys(), hasX: items.has('x'), log: log.get() });
      },
    }, out);
    op.collect({ k: 'a', item: 'x' }, 1);
    op.collect({ k: 'b', item: 'y' }, 2);
    op.collect({ k: 'a', item: 'y' }, 3);
    op.collect({ k: 'a', item: 'x' }, 4);
    expect(out.records.map((r) => r.v)).toEqual([
      { key: 'a', n: 1, items: [['x', 1]], keys: ['x'], hasX: true, log: ['x'] },
      { key: 'b', n: 1, items: [['y', 1]], keys: ['y'], hasX: false, log: ['y'] },
      { key: 'a', n: 2, items: [['x', 1], ['y', 1]], keys: ['x', 'y'], hasX: true, log: ['x', 'y'] },
      { key: 'a', n: 3, items: [['x', 2], ['y', 1]], keys: ['x', 'y'], hasX: true, log: ['x', 'y', 'x'] },
    ]);
    expect(out.records.map((r) => r.ts)).toEqual([1, 2, 3, 4]);
    out.events = [];
    op.collect({ k: 'a', op: 'del', item: 'x' }, 5);
    op.collect({ k: 'a', op: 'clear' }, 6);
    expect(out.records.map((r) => r.v)).toEqual([
      { deleted: true, again: false },
      { key: 'a', n: 3, items: [['y', 1]], keys: ['y'], hasX: false, log: ['x', 'y', 'x'] },
      { key: 'a', n: undefined, items: [], keys: [], hasX: false, log: [] },
    ]);
    expect(op.stats()).toEqual({ keys: 1, timers: 0 }); // a cleared key leaves nothing behind; b remains
  });

  it('the context is only usable during a call', () => {
    let kept: Ctx | undefined;
    const op = processOp({ processElement(_r, ctx) { kept = ctx as Ctx; } }, new Collect());
    op.collect({ k: 'a' }, 1);
    expect(() => kept!.state.value('n').get()).toThrow(/inside processElement or onTimer/);
    expect(() => kept!.emit(1)).toThrow(/inside processElement or onTimer/);
  });
});

describe('event-time timers', () => {
  it('fire once when the watermark passes them, in (timestamp, key) order, before the watermark goes on', () => {
    const out = new Collect();
    const op = processOp({
      processElement(r, ctx) {
        if (r.op === 'del') ctx.timers.deleteEventTimeTimer(r.t!);
        else { ctx.timers.registerEventTimeTimer(r.t!); ctx.timers.registerEventTimeTimer(r.t!); }
      },
      onTimer(ts, ctx) {
        ctx.emit({ key: ctx.key, ts, at: ctx.timestamp, wm: ctx.currentWatermark });
        // A timer registered at or before the watermark fires in the same advance.
        if (ctx.key === 'c' && ts === 20) ctx.timers.registerEventTimeTimer(15);
      },
    }, out);
    op.collect({ k: 'c', t: 20 }, 1);
    op.collect({ k: 'b', t: 10 }, 2);
    op.collect({ k: 'a', t: 20 }, 3);
    op.collect({ k: 'a', t: 10 }, 4);
    op.collect({ k: 'b', t: 30 }, 5);
    op.collect({ k: 'b', op: 'del', t: 30 }, 6);
    expect(op.stats().timers).toBe(4);
    op.watermark(9);
    op.watermark(20);
    op.watermark(25);
    op.watermark(Infinity);
    expect(out.events).toEqual([
      { wm: 9 },
      { v: { key: 'a', ts: 10, at: 10, wm: 20 }, ts: 10 },
      { v: { key: 'b', ts: 10, at: 10, wm: 20 }, ts: 10 },
      { v: { key: 'a', ts: 20, at: 20, wm: 20 }, ts: 20 },
      { v: { key: 'c', ts: 20, at: 20, wm: 20 }, ts: 20 },
      { v: { key: 'c', ts: 15, at: 15, wm: 20 }, ts: 15 },
      { wm: 20 },
      { wm: 25 },
      { wm: Infinity },
    ]);
    expect(op.stats().timers).toBe(0);
  });

  it('a timer moved forward on every record (delete + register) fires only where it ended up', () => {
    const out = new Collect();
    const op = processOp({
      processElement(r, ctx) {
        const last = ctx.state.value<number>('timer');
        if (last.get() !== undefined) ctx.timers.deleteEventTimeTimer(last.get()!);
        last.set(ctx.timestamp! + 1000);
        ctx.timers.registerEventTimeTimer(ctx.timestamp! + 1000);
      },
      onTimer(ts, ctx) { ctx.emit({ key: ctx.key, ts }); },
    }, out);
    for (let i = 0; i < 5000; i++) op.collect({ k: `k${i % 3}` }, i); // enough stale entries to rebuild the heap
    expect(op.stats().timers).toBe(3);
    op.watermark(Infinity);
    expect(out.records.map((r) => r.v)).toEqual([{ key: 'k2', ts: 5997 }, { key: 'k0', ts: 5998 }, { key: 'k1', ts: 5999 }]);
  });

  it('continues identically after snapshot → restore, whole or split by key-group range as a rescale would', () => {
    const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
    // Counts per key; each record sets a timer 100 ms later that emits the count and a list of what arrived.
    const fn: KeyedProcessFunction<E, string, unknown> = {
      processElement(r, ctx) {
        const n = ctx.state.value<number>('n');
        n.set((n.get() ?? 0) + 1);
        ctx.state.list<number>('seen').add(ctx.timestamp!);
        ctx.state.map<number, boolean>('pending').set(ctx.timestamp! + 100, true);
        ctx.timers.registerEventTimeTimer(ctx.timestamp! + 100);
      },
      onTimer(ts, ctx) {
        ctx.state.map<number, boolean>('pending').delete(ts);
        ctx.emit({ key: ctx.key, ts, n: ctx.state.value<number>('n').get(), seen: ctx.state.list<number>('seen').get(), pending: ctx.state.map('pending').keys() });
      },
    };
    const before = (op: Collector) => { keys.forEach((k, i) => op.collect({ k }, i * 10)); op.watermark(150); };
    const after: Array<[E, number] | number> = [...keys.map((k, i): [E, number] => [{ k }, 200 + i]), 250, [{ k: 'key-1' }, 260], Infinity];
    const drive = (op: Collector, filter: (k: string) => boolean = () => true) => {
      for (const x of after) if (typeof x === 'number') op.watermark(x); else if (filter(x[0].k)) op.collect(x[0], x[1]);
    };

    const refOut = new Collect();
    const ref = processOp(fn, refOut);
    before(ref);
    const snap = snapshot(ref);
    refOut.events = [];
    drive(ref);
    expect(refOut.records.length).toBe(keys.length - 6 + keys.length + 1); // timers ≤ 150 fired before the snapshot

    const whole = new Collect();
    const copy = processOp(fn, whole);
    for (const [kg, v] of snap) copy.restoreKeyedState(kg, decodeKeyedValue(v));
    copy.watermark(150); // as the restored subtask's input watermark catches up
    whole.events = [];
    drive(copy);
    expect(whole.events).toEqual(refOut.events);

    const parts = [0, 1].map((i) => {
      const range = keyGroupRangeForSubtask(MAXP, 2, i);
      const mine = (k: string) => { const kg = assignToKeyGroup(k, MAXP); return kg >= range.start && kg <= range.end; };
      const out = new Collect();
      const op = processOp(fn, out);
      for (const [kg, v] of snap) if (kg >= range.start && kg <= range.end) op.restoreKeyedState(kg, decodeKeyedValue(v));
      op.watermark(150);
      drive(op, mine);
      // Each subtask's output is the reference's output for its keys, in the same order.
      expect(out.records).toEqual(refOut.records.filter((r) => mine((r.v as { key: string }).key)));
      return out.records.length;
    });
    expect(parts[0]! > 0 && parts[1]! > 0).toBe(true);
    expect(parts[0]! + parts[1]!).toBe(refOut.records.length);
  });
});
