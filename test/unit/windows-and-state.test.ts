/**
 * Sliding and tumbling windows, and keyed process functions (keyed state,
 * event-time timers), driven directly through their operators, plus the SDK's
 * validation and the job graph of a process function.
 */
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { AggregateFunction, KeyedContext, KeyedProcessFunction, TimeWindow, WindowAssigner } from '../../sdk/types.js';
import { assignToKeyGroup, keyGroupRangeForSubtask, type Key } from '../../state/key-groups.js';
import type { Collector } from '../../runtime/elements.js';
import { InvalidJobError } from '../../runtime/errors.js';
import { GraphBuilder } from '../../runtime/graph-builder.js';
import { buildJobGraph } from '../../runtime/job-graph.js';
import { KeyedProcessOperator } from '../../runtime/operators/keyed-process-operator.js';
import { TumblingWindowOperator, WindowOperator } from '../../runtime/operators/window-operator.js';
import { serializeSnapshotValue } from '../../runtime/checkpoint/pending-snapshot.js';
import { decodeKeyedValue, SerializedParts } from '../../runtime/checkpoint/keyed-value-codec.js';

type Event = { v: unknown; ts: number | undefined } | { wm: number };

class Collect implements Collector {
  events: Event[] = [];
  ended = false;
  collect(v: unknown, ts: number | undefined): void { this.events.push({ v, ts }); }
  watermark(wm: number): void { this.events.push({ wm }); }
  end(): void { this.ended = true; }
  /** Records only (watermarks left out). */
  get records(): Array<{ v: unknown; ts: number | undefined }> { return this.events.filter((e): e is { v: unknown; ts: number | undefined } => 'v' in e); }
}

const MAXP = 128;

/** Serialized per key group, as a subtask writes it; each restore deserializes its own copy, as a restored subtask does. */
const snapshot = (op: { snapshotKeyedState(): Map<number, unknown> }) => [...op.snapshotKeyedState()].map(([kg, v]) => [kg, serializeSnapshotValue(v)] as const);

// ---------------------------------------------------------------------------------------------------------------
// Windows

interface R { k: string; ts: number }
const count: AggregateFunction<R, number, number> = { createAccumulator: () => 0, add: (a) => a + 1, getResult: (a) => a };
const asWindowResult = (key: Key, w: TimeWindow, n: unknown) => ({ key, start: w.start, end: w.end, n });

function windowOp(assigner: WindowAssigner, out: Collector) {
  return new WindowOperator(1, (r) => (r as R).k, assigner, count as AggregateFunction<unknown, unknown, unknown>,
    asWindowResult as (k: unknown, w: TimeWindow, r: unknown) => unknown, MAXP, out);
}
const feed = (op: Collector, ...rs: Array<[string, number]>) => { for (const [k, ts] of rs) op.collect({ k, ts }, ts); };

describe('sliding windows', () => {
  it('puts a record in every window [s, s+10) sliding by 5, skipping already fired ones, dropping fully late records', () => {
    const out = new Collect();
    const op = windowOp({ kind: 'sliding-event-time', sizeMs: 10, slideMs: 5 }, out);
    feed(op, ['a', 3], ['a', 7], ['b', 12]); // a@3 ∈ [-5,5),[0,10); a@7 ∈ [0,10),[5,15); b@12 ∈ [5,15),[10,20)
    op.watermark(5);
    // a@4, a@1, b@2: [-5,5) has fired, so only [0,10) gets them.
    feed(op, ['a', 4], ['a', 1], ['b', 2]);
    op.watermark(10);
    feed(op, ['a', -1]); // [-10,0) and [-5,5) both fired: late
    feed(op, ['a', 9]); // [0,10) fired, [5,15) still open
    op.watermark(Infinity);
    expect(out.events).toEqual([
      { v: { key: 'a', start: -5, end: 5, n: 1 }, ts: 4 },
      { wm: 5 },
      // Within a window end, by key group ('b' is in key group 3, 'a' in 50 of 128).
      { v: { key: 'b', start: 0, end: 10, n: 1 }, ts: 9 },
      { v: { key: 'a', start: 0, end: 10, n: 4 }, ts: 9 },
      { wm: 10 },
      { v: { key: 'b', start: 5, end: 15, n: 1 }, ts: 14 },
      { v: { key: 'a', start: 5, end: 15, n: 2 }, ts: 14 },
      { v: { key: 'b', start: 10, end: 20, n: 1 }, ts: 19 },
      { wm: Infinity },
    ]);
    expect(op.lateRecordsDropped).toBe(1);
    expect(op.openPanes()).toBe(0);
  });

  it('handles negative timestamps and a slide that does not divide the size', () => {
    const out = new Collect();
    const op = windowOp({ kind: 'sliding-event-time', sizeMs: 10, slideMs: 4 }, out);
    feed(op, ['a', -3]); // starts ≡ 0 mod 4 in (-13, -3]: -12, -8, -4
    op.watermark(Infinity);
    expect(out.records.map((r) => r.v)).toEqual([-12, -8, -4].map((start) => ({ key: 'a', start, end: start + 10, n: 1 })));
  });

  it('restores from a snapshot (whole or split by key-group range) and fires the same windows', () => {
    const assigner: WindowAssigner = { kind: 'sliding-event-time', sizeMs: 20, slideMs: 10 };
    const refOut = new Collect();
    const ref = windowOp(assigner, refOut);
    ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'].forEach((k, i) => ref.collect({ k, ts: i * 3 }, i * 3));
    ref.watermark(10);
    const snap = snapshot(ref);
    refOut.events = [];
    const after: Array<[string, number] | number> = [['k1', 20], ['k2', 21], ['k3', 29], 30, ['k1', 33], Infinity];
    const drive = (op: Collector, mine: (k: string) => boolean) => {
      for (const x of after) if (typeof x === 'number') op.watermark(x); else if (mine(x[0])) op.collect({ k: x[0], ts: x[1] }, x[1]);
    };
    drive(ref, () => true);
    expect(refOut.records.length).toBe(6 + 5 + 3 + 1); // ends 20 (every key), 30 (k1-k5), 40 (k1-k3), 50 (k1)

    const parts = [0, 1].map((i) => {
      const range = keyGroupRangeForSubtask(MAXP, 2, i);
      const inRange = (kg: number) => kg >= range.start && kg <= range.end;
      const out = new Collect();
      const op = windowOp(assigner, out);
      op.watermark(10); // the restored subtask's input watermark catches up before new records arrive
      for (const [kg, v] of snap) if (inRange(kg)) op.restoreKeyedState(kg, decodeKeyedValue(v));
      out.events = [];
      drive(op, (k) => inRange(assignToKeyGroup(k, MAXP)));
      return out.records;
    });
    expect(parts.every((r) => r.length > 0)).toBe(true);
    const sort = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    expect(sort([...parts[0]!, ...parts[1]!])).toEqual(sort(refOut.records));
  });
});

describe('window snapshots', () => {
  const tumbling: WindowAssigner = { kind: 'tumbling-event-time', sizeMs: 10 };

  it('round-trip keys of every type through the columnar format, and drop key groups on request', () => {
    const out = new Collect();
    const op = new WindowOperator(1, (r) => (r as { k: Key }).k, tumbling, count as AggregateFunction<unknown, unknown, unknown>, (key, w, n) => ({ key, end: w.end, n }), MAXP, out);
    const keys: Key[] = ['a', 7, 7n, true, 'b'];
    for (const k of keys) op.collect({ k }, 3);
    op.collect({ k: 'a' }, 4);
    const snap = snapshot(op);
    // Only string keys: no separate key column.
    const stringKg = assignToKeyGroup('a', MAXP);
    const windowsOfKg = decodeKeyedValue(snap.find(([kg]) => kg === stringKg)![1]) as Uint8Array[];
    expect((deserialize(windowsOfKg[0]!) as unknown[])[2]).toBe(null);
    const copyOut = new Collect();
    const copy = new WindowOperator(1, (r) => (r as { k: Key }).k, tumbling, count as AggregateFunction<unknown, unknown, unknown>, (key, w, n) => ({ key, end: w.end, n }), MAXP, copyOut);
    for (const [kg, v] of snap) copy.restoreKeyedState(kg, decodeKeyedValue(v));
    copy.watermark(10);
    op.watermark(10);
    expect(copyOut.records).toEqual(out.records);
    expect(copyOut.records.map((r) => (r.v as { key: Key }).key)).toEqual(expect.arrayContaining(keys));

    const other = new WindowOperator(1, (r) => (r as { k: Key }).k, tumbling, count as AggregateFunction<unknown, unknown, unknown>, (key, w, n) => ({ key, end: w.end, n }), MAXP, new Collect());
    for (const [kg, v] of snap) other.restoreKeyedState(kg, decodeKeyedValue(v));
    expect(other.openPanes()).toBe(keys.length);
    other.dropKeyGroups(new Set([stringKg]));
    expect(other.openPanes()).toBe(keys.filter((k) => assignToKeyGroup(k, MAXP) !== stringKg).length);
  });

  it('serializes only the windows that changed since the last snapshot, and the bytes restore as the state was then', () => {
    const out = new Collect();
    const op = new WindowOperator(1, (r) => (r as R).k, tumbling, count as AggregateFunction<unknown, unknown, unknown>, asWindowResult as (k: unknown, w: TimeWindow, r: unknown) => unknown, MAXP, out);
    const kg = assignToKeyGroup('x', MAXP);
    feed(op, ['x', 1], ['x', 12], ['x', 23]); // windows ending 10, 20, 30
    const windowBytes = () => decodeKeyedValue(serializeSnapshotValue(op.snapshotKeyedState().get(kg))) as Uint8Array[];
    const first = windowBytes();
    expect(first).toHaveLength(3);
    // Nothing changed: every window's bytes are the ones serialized before (the same object, not re-serialized).
    const cached = (op.snapshotKeyedState().get(kg) as () => SerializedParts)().parts;
    expect(cached).toHaveLength(3);
    feed(op, ['x', 15]); // only the window ending 20 changes
    const next = (op.snapshotKeyedState().get(kg) as () => SerializedParts)().parts;
    expect(next[0]).toBe(cached[0]);
    expect(next[2]).toBe(cached[2]);
    expect(next[1]).not.toBe(cached[1]);
    expect((deserialize(next[1]!) as [number, string[], null, number[]])[3]).toEqual([2]);
    // The first snapshot restores the state as it was then (x@15 not in it), the last one with it.
    const restoredOut = (snap: readonly Uint8Array[]) => {
      const o = new Collect();
      const copy = new WindowOperator(1, (r) => (r as R).k, tumbling, count as AggregateFunction<unknown, unknown, unknown>, asWindowResult as (k: unknown, w: TimeWindow, r: unknown) => unknown, MAXP, o);
      copy.restoreKeyedState(kg, decodeKeyedValue(serializeSnapshotValue(new SerializedParts(snap))));
      copy.watermark(Infinity);
      return o.records.map((r) => (r.v as { n: number }).n);
    };
    expect(restoredOut(first)).toEqual([1, 1, 1]);
    expect(restoredOut(next)).toEqual([1, 2, 1]);
    // A fired window's bytes are gone; a restored operator reuses the bytes it read, and a record
    // after the restore makes its window serialize again.
    op.watermark(10);
    expect((op.snapshotKeyedState().get(kg) as () => SerializedParts)().parts).toHaveLength(2);
    const o = new Collect();
    const copy = new WindowOperator(1, (r) => (r as R).k, tumbling, count as AggregateFunction<unknown, unknown, unknown>, asWindowResult as (k: unknown, w: TimeWindow, r: unknown) => unknown, MAXP, o);
    copy.restoreKeyedState(kg, decodeKeyedValue(serializeSnapshotValue(new SerializedParts(next))));
    const afterRestore = (copy.snapshotKeyedState().get(kg) as () => SerializedParts)().parts;
    expect(afterRestore.map((b) => Buffer.from(b).toString('hex'))).toEqual(next.map((b) => Buffer.from(b).toString('hex')));
    feed(copy, ['x', 25]);
    const changed = (copy.snapshotKeyedState().get(kg) as () => SerializedParts)().parts;
    expect(changed[0]).toBe(afterRestore[0]);
    expect(changed[2]).not.toBe(afterRestore[2]);
    copy.watermark(Infinity);
    expect(o.records.map((r) => (r.v as { n: number }).n)).toEqual([1, 2, 2]);
  });

  it('restores snapshots in the row format earlier checkpoints used', () => {
    const out = new Collect();
    const op = new WindowOperator(1, (r) => (r as R).k, tumbling, count as AggregateFunction<unknown, unknown, unknown>, asWindowResult as (k: unknown, w: TimeWindow, r: unknown) => unknown, MAXP, out);
    const kg = assignToKeyGroup('x', MAXP);
    op.restoreKeyedState(kg, deserialize(serialize([[10, [['x', 'x', 4]]]])));
    op.collect({ k: 'x', ts: 5 }, 5);
    op.watermark(10);
    expect(out.records).toEqual([{ v: { key: 'x', start: 0, end: 10, n: 5 }, ts: 9 }]);
  });

  it('restores snapshots that hold the columns themselves (checkpoints before per-window serialization)', () => {
    const out = new Collect();
    const op = new WindowOperator(1, (r) => (r as R).k, tumbling, count as AggregateFunction<unknown, unknown, unknown>, asWindowResult as (k: unknown, w: TimeWindow, r: unknown) => unknown, MAXP, out);
    const kg = assignToKeyGroup('x', MAXP);
    op.restoreKeyedState(kg, deserialize(serialize([[10, ['x'], null, [3]], [20, ['x'], null, [1]]])));
    op.collect({ k: 'x', ts: 15 }, 15);
    op.watermark(Infinity);
    expect(out.records.map((r) => (r.v as { n: number }).n)).toEqual([3, 2]);
  });
});

describe('tumbling windows (unchanged)', () => {
  it('fires a window\'s keys by key group, and within a key group in the order they came into the window', () => {
    const out = new Collect();
    const op = windowOp({ kind: 'tumbling-event-time', sizeMs: 10 }, out);
    // Keys of one key group, and one of a lower key group that arrives last.
    const sameGroup: string[] = [];
    const kg = assignToKeyGroup('k0', MAXP);
    for (let i = 1; sameGroup.length < 3; i++) if (assignToKeyGroup(`k${i}`, MAXP) === kg) sameGroup.push(`k${i}`);
    let lower = '';
    for (let i = 0; !lower; i++) if (assignToKeyGroup(`z${i}`, MAXP) < kg) lower = `z${i}`;
    feed(op, [sameGroup[2]!, 1], [sameGroup[0]!, 2], [sameGroup[1]!, 3], [sameGroup[0]!, 4], [lower, 5]);
    op.watermark(Infinity);
    expect(out.records.map((r) => (r.v as { key: string }).key)).toEqual([lower, sameGroup[2], sameGroup[0], sameGroup[1]]);
  });

  it('fires each window once at its end, in order of window end, and drops late records', () => {
    const out = new Collect();
    const op = new TumblingWindowOperator(1, (r) => (r as R).k, { kind: 'tumbling-event-time', sizeMs: 10 },
      count as AggregateFunction<unknown, unknown, unknown>, undefined, MAXP, out);
    feed(op, ['b', 5], ['a', 3], ['a', 12]);
    op.watermark(10);
    feed(op, ['a', 8], ['a', 15]);
    op.watermark(10); // not an advance
    op.watermark(Infinity);
    expect(out.events).toEqual([{ v: 1, ts: 9 }, { v: 1, ts: 9 }, { wm: 10 }, { v: 2, ts: 19 }, { wm: Infinity }]);
    expect(op.lateRecordsDropped).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Keyed process functions

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

// ---------------------------------------------------------------------------------------------------------------
// SDK and job graph

describe('SDK', () => {
  it('validates sliding windows with clear messages', () => {
    const env = new GraphBuilder(1);
    expect(env.windows.sliding(10, 5)).toEqual({ kind: 'sliding-event-time', sizeMs: 10, slideMs: 5 });
    expect(env.windows.sliding(10, 10)).toEqual({ kind: 'sliding-event-time', sizeMs: 10, slideMs: 10 });
    expect(() => env.windows.sliding(10, 20)).toThrow(InvalidJobError);
    expect(() => env.windows.sliding(10, 20)).toThrow('window slide (20ms) must not exceed the window size (10ms)');
    expect(() => env.windows.sliding(0, 1)).toThrow('window size must be a positive number of milliseconds, got 0');
    expect(() => env.windows.sliding(10, -1)).toThrow('window slide must be a positive number of milliseconds, got -1');
    expect(() => env.windows.sliding(10, Number.NaN)).toThrow(/slide must be a positive number/);
    expect(() => env.windows.tumbling(-5)).toThrow(/size must be a positive number/);
  });

  it('names windows and records process functions behind a HASH edge', () => {
    const env = new GraphBuilder(2);
    const keyed = env.fromElements([{ k: 'a' }]).keyBy((r) => r.k);
    keyed.window(env.windows.sliding(10, 5)).aggregate(count as unknown as AggregateFunction<{ k: string }, number, number>).sinkTo(env.fileSink('/dev/null'));
    keyed.window(env.windows.tumbling(10)).reduce((a) => a).sinkTo(env.fileSink('/dev/null'));
    keyed.process({ processElement: (r, ctx) => ctx.emit(r) }).sinkTo(env.fileSink('/dev/null'));
    expect(env.transformations.map((t) => t.name)).toEqual([
      'Collection Source', 'KeyBy', 'Window(Sliding 10ms/5ms, Aggregate)', 'File Sink', 'Window(Tumbling 10ms, Reduce)', 'File Sink', 'KeyedProcess', 'File Sink',
    ]);
    expect(() => keyed.process({} as KeyedProcessFunction<{ k: string }, string, unknown>)).toThrow(/process needs \{ processElement/);
    expect(() => keyed.window({ kind: 'sliding-event-time', sizeMs: 5, slideMs: 6 })).toThrow(InvalidJobError);
    const g = buildJobGraph(env.transformations, { name: 'j', parallelism: 2, maxParallelism: MAXP });
    expect(g.vertices.map((v) => v.name)).toEqual([
      'Collection Source', 'Window(Sliding 10ms/5ms, Aggregate) -> File Sink', 'Window(Tumbling 10ms, Reduce) -> File Sink', 'KeyedProcess -> File Sink',
    ]);
    expect(g.edges.map((e) => [e.partitioning, e.via])).toEqual([['HASH', 1], ['HASH', 1], ['HASH', 1]]);
  });
});
