/**
 * A tiny in-memory StreamEnvironment for running the fraud-detection job function in unit tests
 * (final-watermark semantics, no late data), and converters between transactions, alerts and the
 * stream entries it reads and writes.
 */
import type { Alert, Txn } from '../../examples/fraud-detection/reference.js';
import type {
  AggregateFunction, DataStream, KeyValue, RedisStreamSinkOptions, RedisStreamSourceOptions, SinkDescriptor, StreamEntry,
  StreamEnvironment, TimeWindow, WindowAssigner, WindowResultFunction,
} from '../../sdk/index.js';

type Op = { kind: 'map' | 'filter'; fn: (r: unknown) => unknown } | {
  kind: 'window'; key: (r: unknown) => KeyValue; sizeMs: number;
  agg: AggregateFunction<unknown, unknown, unknown>; result?: WindowResultFunction<KeyValue, unknown, unknown>;
};

export class MiniEnv implements StreamEnvironment {
  readonly parallelism = 1;
  jobName = '';
  source?: RedisStreamSourceOptions;
  ops: Op[] = [];
  sink?: RedisStreamSinkOptions<unknown>;
  readonly windows = {
    tumbling: (sizeMs: number): WindowAssigner => ({ kind: 'tumbling-event-time', sizeMs }),
    sliding: (): WindowAssigner => { throw new Error('not used'); },
  };
  setJobName(name: string): void { this.jobName = name; }
  fromRedisStreams(options: RedisStreamSourceOptions): DataStream<StreamEntry> { this.source = options; return this.stream(); }
  fromElements<T>(): DataStream<T> { throw new Error('not used'); }
  redisStreamSink<T>(options: RedisStreamSinkOptions<T>): SinkDescriptor<T> {
    return { kind: 'redis-stream', name: 'sink', options } as unknown as SinkDescriptor<T>;
  }
  fileSink<T>(): SinkDescriptor<T> { throw new Error('not used'); }
  private stream<T>(): DataStream<T> {
    const env = this;
    const ds: DataStream<T> = {
      map: (fn) => { env.ops.push({ kind: 'map', fn: fn as (r: unknown) => unknown }); return ds as never; },
      filter: (fn) => { env.ops.push({ kind: 'filter', fn: fn as (r: unknown) => unknown }); return ds; },
      flatMap: () => { throw new Error('not used'); },
      rebalance: () => { throw new Error('not used'); },
      forward: () => { throw new Error('not used'); },
      keyBy: (key) => ({
        process: () => { throw new Error('not used'); },
        window: (assigner) => ({
          reduce: () => { throw new Error('not used'); },
          aggregate: (agg, result) => {
            env.ops.push({
              kind: 'window', key: key as (r: unknown) => KeyValue, sizeMs: assigner.sizeMs,
              agg: agg as AggregateFunction<unknown, unknown, unknown>, result: result as WindowResultFunction<KeyValue, unknown, unknown>,
            });
            return ds as never;
          },
        }),
      }),
      sinkTo: (sink) => { env.sink = (sink as unknown as { options: RedisStreamSinkOptions<unknown> }).options; },
    };
    return ds;
  }

  /** Runs entries (in per-stream order) through the pipeline; windows fire up to the final watermark. */
  run(entries: StreamEntry[]): Record<string, string>[] {
    const wmStrategy = this.source!.watermarks!;
    const maxTs = new Map<string, number>();
    let records: Array<{ v: unknown; ts: number }> = entries.map((e) => {
      const ts = wmStrategy.timestamp(e);
      if (Number.isFinite(ts)) maxTs.set(e.stream, Math.max(maxTs.get(e.stream) ?? -Infinity, ts));
      return { v: e, ts };
    });
    const wm = Math.min(...this.source!.streams.map((s) => (maxTs.get(s) ?? -Infinity) - (wmStrategy.maxOutOfOrdernessMs ?? 0)));
    for (const op of this.ops) {
      if (op.kind === 'map') records = records.map((r) => ({ v: op.fn(r.v), ts: r.ts }));
      else if (op.kind === 'filter') records = records.filter((r) => op.fn(r.v));
      else if (op.kind === 'window') {
        const panes = new Map<string, { key: KeyValue; window: TimeWindow; acc: unknown }>();
        for (const r of records) {
          const key = op.key(r.v);
          const start = Math.floor(r.ts / op.sizeMs) * op.sizeMs;
          const id = `${String(key)}|${start}`;
          const pane = panes.get(id) ?? { key, window: { start, end: start + op.sizeMs }, acc: op.agg.createAccumulator() };
          pane.acc = op.agg.add(pane.acc, r.v);
          panes.set(id, pane);
        }
        records = [...panes.values()]
          .filter((p) => p.window.end <= wm)
          .map((p) => {
            const res = op.agg.getResult(p.acc);
            return { v: op.result ? op.result(p.key, p.window, res) : res, ts: p.window.end - 1 };
          });
      }
    }
    return records.map((r) => {
      const f = this.sink!.fields(r.v);
      return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, String(v)]));
    });
  }
}

export function toEntries(txns: Txn[]): StreamEntry[] {
  return txns.map((x, i) => ({ stream: x.stream, id: `${i}-0`, fields: { from: x.from, to: x.to, amount: x.amount, ts: String(x.ts) } }));
}

export function alertToFields(a: Alert): Record<string, string> {
  return { from: a.from, to: a.to, windowStart: String(a.windowStart), windowEnd: String(a.windowEnd), total: a.total, count: String(a.count) };
}

export const sortFields = (rows: Record<string, string>[]) =>
  [...rows].sort((a, b) => Number(a.windowStart) - Number(b.windowStart) || (a.from! < b.from! ? -1 : a.from! > b.from! ? 1 : 0) || (a.to! < b.to! ? -1 : a.to! > b.to! ? 1 : 0));
