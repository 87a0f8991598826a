/**
 * Copy-on-write snapshots (runtime/checkpoint/pending-snapshot.ts): the keyed state written for a
 * checkpoint is the state as of its barrier even though it is serialized later, while the operator
 * keeps processing — including user functions that change accumulators and state objects in place.
 */
import { deserialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { AggregateFunction, KeyedProcessFunction, TimeWindow } from '../../sdk/types.js';
import type { Key } from '../../state/key-groups.js';
import type { Collector } from '../../runtime/elements.js';
import { PendingSnapshot, toBlobs, type KeyedSnapshotEntry } from '../../runtime/checkpoint/pending-snapshot.js';
import type { KeyedStateBlob } from '../../runtime/checkpoint/snapshot-io.js';
import { decodeKeyedValue } from '../../runtime/checkpoint/keyed-value-codec.js';
import { KeyedProcessOperator } from '../../runtime/operators/keyed-process-operator.js';
import { WindowOperator } from '../../runtime/operators/window-operator.js';

const MAXP = 128;

class Collect implements Collector {
  records: unknown[] = [];
  collect(v: unknown): void { this.records.push(v); }
  watermark(): void {}
  end(): void {}
}

interface R { k: string; ts: number }
/** An accumulator changed in place (allowed by the AggregateFunction contract, and the hard case for late serialization). */
interface Acc { n: number; seen: number[] }
const inPlace: AggregateFunction<R, Acc, Acc> = {
  createAccumulator: () => ({ n: 0, seen: [] }),
  add: (a, r) => { a.n++; a.seen.push(r.ts); return a; },
  getResult: (a) => ({ n: a.n, seen: [...a.seen] }),
};

function windowOp(out: Collector): WindowOperator {
  return new WindowOperator(1, (r) => (r as R).k, { kind: 'tumbling-event-time', sizeMs: 100 }, inPlace as AggregateFunction<unknown, unknown, unknown>,
    (key: unknown, w: TimeWindow, r: unknown) => ({ key, end: w.end, r }), MAXP, out);
}

function entriesOf(op: { operatorId: number; snapshotKeyedState(): Map<number, unknown> }): KeyedSnapshotEntry[] {
  return [...op.snapshotKeyedState()].map(([keyGroup, value]) => ({ operatorId: op.operatorId, keyGroup, value }));
}

const decoded = (blobs: KeyedStateBlob[]) => blobs.map((b) => [b.keyGroup, b.operatorId, decodeKeyedValue(Buffer.concat(b.chunks))]);
const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);

describe('copy-on-write snapshots', () => {
  it('window state: what is written is the state at the barrier, although later records change accumulators in place and windows fire', async () => {
    const before = (op: Collector) => keys.forEach((k, i) => { op.collect({ k, ts: i % 250 }, i % 250); op.collect({ k, ts: 120 + (i % 50) }, 120 + (i % 50)); });
    // The reference serializes at the barrier, as an eager snapshot would.
    const ref = windowOp(new Collect());
    before(ref);
    const expected = decoded(toBlobs(entriesOf(ref)));

    const out = new Collect();
    const op = windowOp(out);
    before(op);
    const snap = new PendingSnapshot(7, entriesOf(op));
    op.snapshotGuard = snap.guard;
    expect(snap.remaining).toBe(expected.length);
    // After the barrier: a background slice, more records for every key (in place), a window fires.
    expect(snap.step(0)).toBe(true);
    expect(snap.remaining).toBe(expected.length - 1);
    keys.forEach((k, i) => op.collect({ k, ts: 150 + (i % 40) }, 150 + (i % 40)));
    op.watermark(100);
    expect(out.records.length).toBeGreaterThan(0);
    expect(snap.guarded).toBeGreaterThan(0);
    snap.finishAll();
    expect(decoded(await snap.done)).toEqual(expected);

    // The live operator did apply the later records: firing everything shows them.
    op.snapshotGuard = undefined;
    op.watermark(Infinity);
    const total = (out.records as Array<{ r: Acc }>).reduce((n, x) => n + x.r.n, 0);
    expect(total).toBe(keys.length * 3);
  });

  it('keyed state and timers: objects changed in place, timers registered and fired after the barrier do not leak into the snapshot', async () => {
    interface E { k: string }
    const fn: KeyedProcessFunction<E, string, unknown> = {
      processElement(_e, ctx) {
        const box = ctx.state.value<{ n: number; at: number[] }>('box');
        const o = box.get() ?? { n: 0, at: [] };
        o.n++; // in place when it existed
        o.at.push(ctx.timestamp!);
        box.set(o);
        ctx.state.list<number>('seen').add(ctx.timestamp!);
        ctx.timers.registerEventTimeTimer(ctx.timestamp! + 50);
      },
      onTimer(ts, ctx) {
        ctx.state.list<number>('seen').add(-ts);
        ctx.emit({ key: ctx.key, ts });
      },
    };
    const make = (out: Collector) => new KeyedProcessOperator(2, (r) => (r as E).k, fn as unknown as KeyedProcessFunction<unknown, Key, unknown>, MAXP, out);
    const before = (op: Collector) => { keys.forEach((k, i) => op.collect({ k }, i)); op.watermark(60); };
    const ref = make(new Collect());
    before(ref);
    const expected = decoded(toBlobs(entriesOf(ref)));

    const out = new Collect();
    const op = make(out);
    before(op);
    out.records = [];
    const snap = new PendingSnapshot(3, entriesOf(op));
    op.snapshotGuard = snap.guard;
    keys.forEach((k, i) => op.collect({ k }, 300 + i));
    op.watermark(400); // fires timers of the first half of the keys (registered before and after the barrier)
    expect(out.records.length).toBeGreaterThan(0);
    while (snap.step(1));
    expect(decoded(await snap.done)).toEqual(expected);
  });

  it('background slices finish the snapshot; blobs come out in the file order; abandoning rejects', async () => {
    const op = windowOp(new Collect());
    keys.forEach((k, i) => op.collect({ k, ts: i }, i));
    const snap = new PendingSnapshot(1, entriesOf(op));
    let slices = 0;
    while (snap.step(0)) slices++;
    expect(slices).toBe(snap.guarded + entriesOf(op).length - 1);
    const blobs = await snap.done;
    expect(blobs.map((b) => b.keyGroup)).toEqual([...blobs.map((b) => b.keyGroup)].sort((a, b) => a - b));

    const other = new PendingSnapshot(2, entriesOf(op));
    other.abandon('cancelled');
    await expect(other.done).rejects.toThrow('cancelled');
    expect(new PendingSnapshot(3, []).remaining).toBe(0);
  });

  it('a failure reaches every waiter, also one that asks after it; a snapshot nobody waits for rejects nothing', async () => {
    const op = windowOp(new Collect());
    keys.forEach((k, i) => op.collect({ k, ts: i }, i));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const snap = new PendingSnapshot(4, entriesOf(op));
      const early = snap.done;
      snap.abandon('cancelled');
      await expect(early).rejects.toThrow('cancelled');
      await expect(snap.done).rejects.toThrow('cancelled');
      new PendingSnapshot(5, entriesOf(op)).abandon('nobody waits');
      // Unhandled rejections are reported after the microtask queue drains: give it a macrotask turn.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
