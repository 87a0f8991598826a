/**
 * Window state snapshots: keys of every type through the columnar format, the windows that changed
 * serialized together and their bytes kept until one of them changes, and the formats earlier
 * checkpoints used.
 */
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { AggregateFunction, TimeWindow, WindowAssigner } from '../../sdk/types.js';
import { assignToKeyGroup, type Key } from '../../state/key-groups.js';
import { WindowOperator } from '../../runtime/operators/window-operator.js';
import { decodeKeyedValue, SerializedParts } from '../../runtime/checkpoint/keyed-value-codec.js';
import { asWindowResult, Collect, count, entryBytes, feed, MAXP, snapshot, type R } from '../helpers/operators.js';

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
    const partsOfKg = decodeKeyedValue(snap.find(([kg]) => kg === stringKg)![1]) as Uint8Array[];
    expect((deserialize(partsOfKg[0]!) as unknown[][])[0]![2]).toBe(null);
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

  it('serializes only the windows that changed since the last snapshot, together, keeps unchanged ones apart, and the bytes restore as the state was then', () => {
    const out = new Collect();
    const make = (o: Collect) => new WindowOperator(1, (r) => (r as R).k, tumbling, count as AggregateFunction<unknown, unknown, unknown>, asWindowResult as (k: unknown, w: TimeWindow, r: unknown) => unknown, MAXP, o);
    const op = make(out);
    const kg = assignToKeyGroup('x', MAXP);
    const parts = (o: WindowOperator) => (o.snapshotKeyedState().get(kg) as () => SerializedParts)().parts;
    const ends = (part: Uint8Array) => (deserialize(part) as Array<[number, string[], null, number[]]>).map((c) => c[0]);
    feed(op, ['x', 1], ['x', 12]); // windows ending 10 and 20
    const a = parts(op);
    // Both windows changed: serialized together, in one part.
    expect(a).toHaveLength(1);
    expect(ends(a[0]!)).toEqual([10, 20]);
    // Nothing changed: the same bytes (the same object, not serialized again).
    expect(parts(op)[0]).toBe(a[0]);
    feed(op, ['x', 23]); // a new window ending 30
    const b = parts(op);
    expect(b).toHaveLength(2);
    expect(b[0]).toBe(a[0]);
    expect(ends(b[1]!)).toEqual([30]);
    feed(op, ['x', 25]); // only the window ending 30 changes
    const c = parts(op);
    expect(c[0]).toBe(a[0]);
    expect(c[1]).not.toBe(b[1]);
    expect((deserialize(c[1]!) as Array<[number, string[], null, number[]]>)[0]![3]).toEqual([2]);
    // A record into a window of a part: that window is serialized again, and the part's other
    // windows (unchanged) in a part of their own, so a window that keeps changing never takes them along.
    feed(op, ['x', 15]);
    const d = parts(op);
    expect(d).toHaveLength(3);
    expect(d[0]).toBe(c[1]);
    expect(ends(d[1]!)).toEqual([20]);
    expect(ends(d[2]!)).toEqual([10]);
    feed(op, ['x', 16]);
    const d2 = parts(op);
    expect(d2).toHaveLength(3);
    expect(d2).toContain(d[0]);
    expect(d2).toContain(d[2]);
    expect(d2.filter((x) => !d.includes(x)).map(ends)).toEqual([[20]]);
    // Each snapshot restores the state as it was then.
    const restoredOut = (snap: readonly Uint8Array[]) => {
      const o = new Collect();
      const copy = make(o);
      copy.restoreKeyedState(kg, decodeKeyedValue(entryBytes(new SerializedParts(snap))));
      copy.watermark(Infinity);
      return o.records.map((r) => (r.v as { n: number }).n);
    };
    expect(restoredOut(a)).toEqual([1, 1]);
    expect(restoredOut(b)).toEqual([1, 1, 1]);
    expect(restoredOut(c)).toEqual([1, 1, 2]);
    expect(restoredOut(d)).toEqual([1, 2, 2]);
    expect(restoredOut(d2)).toEqual([1, 3, 2]);
    // A fired window's bytes are gone; the others stay.
    op.watermark(10);
    const e = parts(op);
    expect(e).toHaveLength(2);
    expect(e.every((x) => d2.includes(x))).toBe(true);
    expect(e.flatMap(ends).sort()).toEqual([20, 30]);
    // A restored operator reuses the bytes it read; a record after the restore makes its window serialize again.
    const o = new Collect();
    const copy = make(o);
    copy.restoreKeyedState(kg, decodeKeyedValue(entryBytes(new SerializedParts(d2))));
    const afterRestore = parts(copy);
    expect(afterRestore.map((x) => Buffer.from(x).toString('hex'))).toEqual(d2.map((x) => Buffer.from(x).toString('hex')));
    feed(copy, ['x', 26]);
    const changed = parts(copy);
    expect(changed).toHaveLength(3);
    expect(changed.filter((x) => afterRestore.includes(x)).flatMap(ends).sort()).toEqual([10, 20]);
    expect(changed.filter((x) => !afterRestore.includes(x)).map(ends)).toEqual([[30]]);
    copy.watermark(Infinity);
    expect(o.records.map((r) => (r.v as { n: number }).n)).toEqual([1, 3, 3]);
  });

  it('restores snapshots of one window per part (checkpoints before windows were serialized together)', () => {
    const out = new Collect();
    const op = new WindowOperator(1, (r) => (r as R).k, tumbling, count as AggregateFunction<unknown, unknown, unknown>, asWindowResult as (k: unknown, w: TimeWindow, r: unknown) => unknown, MAXP, out);
    const kg = assignToKeyGroup('x', MAXP);
    const old = new SerializedParts([serialize([10, ['x'], null, [3]]), serialize([20, ['x'], null, [1]])]);
    op.restoreKeyedState(kg, decodeKeyedValue(entryBytes(old)));
    op.collect({ k: 'x', ts: 15 }, 15);
    op.watermark(Infinity);
    expect(out.records.map((r) => (r.v as { n: number }).n)).toEqual([3, 2]);
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
