/**
 * Driving operators directly in unit tests: a collecting output, the max parallelism the tests use,
 * keyed snapshots as a subtask writes them, and a counting tumbling/sliding window operator.
 */
import type { AggregateFunction, TimeWindow, WindowAssigner } from '../../sdk/types.js';
import type { Key } from '../../state/key-groups.js';
import type { Collector } from '../../runtime/elements.js';
import { encodeKeyedValue } from '../../runtime/checkpoint/keyed-value-codec.js';
import { WindowOperator } from '../../runtime/operators/window-operator.js';

type Event = { v: unknown; ts: number | undefined } | { wm: number };

export class Collect implements Collector {
  events: Event[] = [];
  ended = false;
  collect(v: unknown, ts: number | undefined): void { this.events.push({ v, ts }); }
  watermark(wm: number): void { this.events.push({ wm }); }
  end(): void { this.ended = true; }
  /** Records only (watermarks left out). */
  get records(): Array<{ v: unknown; ts: number | undefined }> { return this.events.filter((e): e is { v: unknown; ts: number | undefined } => 'v' in e); }
}

export const MAXP = 128;

/** A keyed snapshot value's bytes, as the state file holds them (keyed-value-codec.ts; a function stands for its value). */
export const entryBytes = (value: unknown): Uint8Array => Buffer.concat(encodeKeyedValue(value));

/** Serialized per key group, as a subtask writes it; each restore deserializes its own copy, as a restored subtask does. */
export const snapshot = (op: { snapshotKeyedState(): Map<number, unknown> }) => [...op.snapshotKeyedState()].map(([kg, v]) => [kg, entryBytes(v)] as const);

export interface R { k: string; ts: number }
export const count: AggregateFunction<R, number, number> = { createAccumulator: () => 0, add: (a) => a + 1, getResult: (a) => a };
export const asWindowResult = (key: Key, w: TimeWindow, n: unknown) => ({ key, start: w.start, end: w.end, n });

/** A window operator counting records per key (`R.k`), emitting { key, start, end, n }. */
export function windowOp(assigner: WindowAssigner, out: Collector) {
  return new WindowOperator(1, (r) => (r as R).k, assigner, count as AggregateFunction<unknown, unknown, unknown>,
    asWindowResult as (k: unknown, w: TimeWindow, r: unknown) => unknown, MAXP, out);
}
export const feed = (op: Collector, ...rs: Array<[string, number]>) => { for (const [k, ts] of rs) op.collect({ k, ts }, ts); };
