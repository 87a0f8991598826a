/**
 * Sliding and tumbling windows driven directly through the window operator (including a restore
 * split by key-group range), and the SDK's window validation and job graph.
 */
import { describe, expect, it } from 'vitest';
import type { AggregateFunction, KeyedProcessFunction, WindowAssigner } from '../../sdk/types.js';
import type { Collector } from '../../runtime/elements.js';
import { assignToKeyGroup, keyGroupRangeForSubtask } from '../../state/key-groups.js';
import { InvalidJobError } from '../../runtime/errors.js';
import { GraphBuilder } from '../../runtime/graph-builder.js';
import { buildJobGraph } from '../../runtime/job-graph.js';
import { TumblingWindowOperator } from '../../runtime/operators/window-operator.js';
import { decodeKeyedValue } from '../../runtime/checkpoint/keyed-value-codec.js';
import { Collect, count, feed, MAXP, snapshot, windowOp, type R } from '../helpers/operators.js';

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
