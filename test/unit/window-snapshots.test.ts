/**
 * Window state snapshots: keys of every type through the columnar format, per-window bytes kept
 * until a window changes, and the formats earlier checkpoints used.
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
    const windowBytes = () => decodeKeyedValue(entryBytes(op.snapshotKeyedState().get(kg))) as Uint8Array[];
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
      copy.restoreKeyedState(kg, decodeKeyedValue(entryBytes(new SerializedParts(snap))));
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
    copy.restoreKeyedState(kg, decodeKeyedValue(entryBytes(new SerializedParts(next))));
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
