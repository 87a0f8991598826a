import { describe, it, expect } from 'vitest';
import job, { alertFields, enrichmentLookup, formatCents, parseArgs, parseCents, parseTimestamp } from '../../examples/fraud-detection/job.js';
import {
  expectedAlerts, finalWatermark, possiblyLateRecords, referenceCents, referenceFormat, type Alert, type Txn,
} from '../../examples/fraud-detection/reference.js';
import { endMarkers, generateTransactions, mulberry32 } from '../../examples/fraud-detection/generator.js';
import { formatAlert } from '../../examples/fraud-detection/alert-monitor.js';
import { GraphBuilder } from '../../runtime/graph-builder.js';
import { buildJobGraph } from '../../runtime/job-graph.js';
import type {
  AggregateFunction, DataStream, KeyValue, RedisStreamSinkOptions, RedisStreamSourceOptions, SinkDescriptor, StreamEntry,
  StreamEnvironment, TimeWindow, WindowAssigner, WindowResultFunction,
} from '../../sdk/index.js';

const REQUIRED = ['--input', 'tx-0', '--output', 'alerts'];

describe('parseCents / formatCents', () => {
  it('parses exact cents without floats', () => {
    expect(parseCents('12.30')).toBe(1230);
    expect(parseCents('12')).toBe(1200);
    expect(parseCents('12.3')).toBe(1230);
    expect(parseCents('0.05')).toBe(5);
    expect(parseCents('0.01')).toBe(1);
    expect(parseCents('0')).toBe(0);
    expect(parseCents('007.10')).toBe(710);
    expect(parseCents('10000.01')).toBe(1_000_001);
    // 0.29 * 100 === 28.999999999999996 in floating point
    expect(parseCents('0.29')).toBe(29);
    expect(parseCents('1.15')).toBe(115);
    expect(parseCents('90071992547409.91')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects invalid amounts', () => {
    for (const bad of ['', '-1', '-0.01', '+1', '1.234', '12.', '.5', '1e3', ' 1', '1 ', 'abc', '1,00', '1.2.3', '0x10', 'NaN', 'Infinity', '90071992547409.92']) {
      expect(parseCents(bad), bad).toBeNull();
    }
    expect(parseCents(undefined as unknown as string)).toBeNull();
  });

  it('formats with two decimal places', () => {
    expect(formatCents(1_000_001)).toBe('10000.01');
    expect(formatCents(5)).toBe('0.05');
    expect(formatCents(0)).toBe('0.00');
    expect(formatCents(1230)).toBe('12.30');
    expect(formatCents(100)).toBe('1.00');
    expect(formatCents(-5)).toBe('-0.05');
    expect(formatCents(Number.MAX_SAFE_INTEGER)).toBe('90071992547409.91');
    expect(() => formatCents(1.5)).toThrow();
    expect(() => formatCents(NaN)).toThrow();
  });

  it('round-trips and agrees with the independent reference implementation', () => {
    const rng = mulberry32(7);
    for (let i = 0; i < 2000; i++) {
      const cents = Math.floor(rng() * 10_000_000_000);
      const s = formatCents(cents);
      expect(parseCents(s)).toBe(cents);
      expect(referenceCents(s)).toBe(BigInt(cents));
      expect(referenceFormat(BigInt(cents))).toBe(s);
    }
    for (const s of ['', '-1', '1.234', '12.', '.5', '1e3', 'abc', '12', '12.3', '0.05']) {
      const a = parseCents(s);
      const b = referenceCents(s);
      expect(a === null ? null : BigInt(a), s).toBe(b);
    }
  });

  it('parses timestamps as non-negative integer strings', () => {
    expect(parseTimestamp('1700000000000')).toBe(1_700_000_000_000);
    expect(parseTimestamp('0')).toBe(0);
    for (const bad of [undefined, '', '-1', '1.5', '1e3', ' 1', 'abc']) expect(parseTimestamp(bad), String(bad)).toBeNull();
  });
});

describe('parseArgs', () => {
  it('applies defaults', () => {
    expect(parseArgs(REQUIRED)).toEqual({
      redis: 'redis://127.0.0.1:6379',
      inputs: ['tx-0'],
      output: 'alerts',
      windowMs: 10000,
      thresholdCents: 1_000_000,
      maxOutOfOrdernessMs: 5000,
    });
  });

  it('parses every flag, comma lists and --flag=value', () => {
    expect(
      parseArgs([
        '--redis', 'redis://h:6380/2', '--input', 'a, b,c', '--output=out', '--window-ms', '60000',
        '--threshold', '2500.5', '--max-out-of-orderness-ms=0',
      ]),
    ).toEqual({ redis: 'redis://h:6380/2', inputs: ['a', 'b', 'c'], output: 'out', windowMs: 60000, thresholdCents: 250050, maxOutOfOrdernessMs: 0 });
  });

  it('throws a usage error on missing or invalid arguments', () => {
    expect(() => parseArgs([])).toThrow(/--input is required[\s\S]*usage:/);
    expect(() => parseArgs(['--input', 'a'])).toThrow(/--output is required/);
    expect(() => parseArgs(['--output', 'o'])).toThrow(/--input is required/);
    expect(() => parseArgs(['--input', ',', '--output', 'o'])).toThrow(/at least one stream/);
    expect(() => parseArgs([...REQUIRED, '--window-ms', '0'])).toThrow(/--window-ms/);
    expect(() => parseArgs([...REQUIRED, '--window-ms', 'ten'])).toThrow(/--window-ms/);
    expect(() => parseArgs([...REQUIRED, '--window-ms', '1.5'])).toThrow(/--window-ms/);
    expect(() => parseArgs([...REQUIRED, '--max-out-of-orderness-ms', '-1'])).toThrow(/--max-out-of-orderness-ms/);
    expect(() => parseArgs([...REQUIRED, '--threshold', 'lots'])).toThrow(/--threshold/);
    expect(() => parseArgs([...REQUIRED, '--threshold', '-5'])).toThrow(/--threshold/);
    expect(() => parseArgs([...REQUIRED, '--threshold'])).toThrow(/--threshold needs a value/);
    expect(() => parseArgs(['--input', '--output', 'o'])).toThrow(/--input needs a value/);
    expect(() => parseArgs([...REQUIRED, '--bogus', '1'])).toThrow(/unknown argument "--bogus"/);
  });
});

describe('reference computation', () => {
  const opts = { windowMs: 10000, thresholdCents: 1_000_000, maxOutOfOrdernessMs: 5000, streams: ['s1', 's2'] };
  const t = (stream: string, from: string, to: string, amount: string, ts: number): Txn => ({ stream, from, to, amount, ts });
  // Per-stream order as written. Final watermark = min(s1: 25000-5000, s2: 27000-5000) = 20000.
  const tiny: Txn[] = [
    t('s1', 'A', 'B', '6000.00', 1000),
    t('s2', 'A', 'B', '4000', 2000), // A->B [0,10000) = 10000.00 exactly: no alert
    t('s1', 'A', 'C', '9999.99', 3000),
    t('s2', 'A', 'C', '0.02', 9999), // A->C [0,10000) = 10000.01: alert
    t('s1', 'C', 'D', '5000', 4000),
    t('s1', 'C', 'D', '5000.5', 5000), // C->D [0,10000) = 10000.50: alert
    t('s2', 'A', 'B', 'abc', 15000), // dropped (but its ts counts for the watermark)
    t('s2', 'A', 'B', '-5000.00', 15000), // dropped
    t('s2', 'A', 'B', '12000.001', 16000), // dropped: three decimals
    t('s1', 'A', 'C', '20000', 12000), // A->C [10000,20000) = 20000.00: alert (end 20000 <= wm 20000)
    t('s1', 'X', 'Y', '50000.00', 21000), // X->Y [20000,30000): end 30000 > wm 20000: not fired
    t('s1', 'D', 'E', '1.00', 25000),
    t('s2', 'X', 'Z', '1.00', 27000),
  ];

  it('computes hand-checked alerts', () => {
    expect(finalWatermark(tiny, opts.streams, opts.maxOutOfOrdernessMs)).toBe(20000);
    const expected: Alert[] = [
      { from: 'A', to: 'C', windowStart: 0, windowEnd: 10000, total: '10000.01', count: 2 },
      { from: 'C', to: 'D', windowStart: 0, windowEnd: 10000, total: '10000.50', count: 2 },
      { from: 'A', to: 'C', windowStart: 10000, windowEnd: 20000, total: '20000.00', count: 1 },
    ];
    expect(expectedAlerts(tiny, opts)).toEqual(expected);
  });

  it('fires nothing while a listed stream has no entries', () => {
    expect(finalWatermark(tiny, ['s1', 's2', 's3'], 5000)).toBe(-Infinity);
    expect(expectedAlerts(tiny, { ...opts, streams: ['s1', 's2', 's3'] })).toEqual([]);
  });

  it('fires the last windows once end markers pass them', () => {
    const all = [...tiny, ...endMarkers(opts.streams, 27000 + opts.windowMs + opts.maxOutOfOrdernessMs)];
    const alerts = expectedAlerts(all, opts);
    expect(alerts.map((a) => `${a.windowStart} ${a.from}->${a.to} ${a.total}`)).toEqual([
      '0 A->C 10000.01', '0 C->D 10000.50', '10000 A->C 20000.00', '20000 X->Y 50000.00',
    ]);
  });

  it('respects a custom threshold (strictly greater)', () => {
    const alerts = expectedAlerts(tiny, { ...opts, thresholdCents: 1_000_050 });
    expect(alerts.map((a) => `${a.from}->${a.to}@${a.windowStart}`)).toEqual(['A->C@10000']);
  });

  it('refuses input that could contain late data', () => {
    const late = [t('s1', 'A', 'B', '1.00', 30000), t('s1', 'A', 'B', '1.00', 9000), t('s2', 'A', 'B', '1.00', 30000)];
    expect(possiblyLateRecords(late, opts)).toHaveLength(1);
    expect(() => expectedAlerts(late, opts)).toThrow(/late/);
  });
});

describe('generator', () => {
  const streams = ['tx-0', 'tx-1', 'tx-2', 'tx-3'];

  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateTransactions({ seed: 42, count: 3000, streams });
    const b = generateTransactions({ seed: 42, count: 3000, streams });
    const c = generateTransactions({ seed: 43, count: 3000, streams });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toHaveLength(3000);
  });

  it('produces valid transactions with bounded disorder per stream', () => {
    const maxDisorderMs = 2000;
    const txns = generateTransactions({ seed: 1, count: 5000, streams, maxDisorderMs });
    const maxSeen = new Map<string, number>();
    for (const x of txns) {
      expect(streams).toContain(x.stream);
      expect(parseCents(x.amount)).not.toBeNull();
      expect(parseCents(x.amount)!).toBeGreaterThan(0);
      expect(Number.isSafeInteger(x.ts)).toBe(true);
      expect(x.from).not.toBe(x.to);
      const m = maxSeen.get(x.stream) ?? -Infinity;
      expect(x.ts).toBeGreaterThanOrEqual(m - maxDisorderMs);
      maxSeen.set(x.stream, Math.max(m, x.ts));
    }
    expect(new Set(txns.map((x) => x.stream)).size).toBe(4);
    const small = txns.filter((x) => parseCents(x.amount)! <= 50_000).length;
    expect(small / txns.length).toBeGreaterThan(0.9);
  });

  it('produces alerts under the reference semantics (count 5000 over 4 streams)', () => {
    const opts = { windowMs: 10000, thresholdCents: 1_000_000, maxOutOfOrdernessMs: 5000, streams };
    for (const seed of [42, 1, 2, 3]) {
      const txns = generateTransactions({ seed, count: 5000, streams });
      const alerts = expectedAlerts(txns, opts);
      expect(alerts.length, `seed ${seed}`).toBeGreaterThan(0);
      // With end markers every window holding data fires, so there can only be more alerts.
      const maxTs = Math.max(...txns.map((x) => x.ts));
      const withMarkers = expectedAlerts([...txns, ...endMarkers(streams, maxTs + opts.windowMs + opts.maxOutOfOrdernessMs)], opts);
      expect(withMarkers.length).toBeGreaterThanOrEqual(alerts.length);
      expect(withMarkers.some((a) => a.from === 'marker')).toBe(false);
    }
  });
});

describe('alert monitor', () => {
  it('formats one alert per line', () => {
    expect(
      formatAlert({ from: 'acct-7', to: 'acct-12', windowStart: '1795586400000', windowEnd: '1795586410000', total: '12345.67', count: '9' }),
    ).toBe('ALERT acct-7 -> acct-12  window 2026-11-25T06:00:00.000Z..+10s  total $12345.67 in 9 transfers');
  });
});

// --------------------------------------------------------------------------------------------------------------------
// Runs the job function itself against a tiny in-memory environment (final-watermark semantics, no late data) and
// checks that its output entries equal the reference computation.

type Op = { kind: 'map' | 'filter'; fn: (r: unknown) => unknown } | {
  kind: 'window'; key: (r: unknown) => KeyValue; sizeMs: number;
  agg: AggregateFunction<unknown, unknown, unknown>; result?: WindowResultFunction<KeyValue, unknown, unknown>;
};

class MiniEnv implements StreamEnvironment {
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

function toEntries(txns: Txn[]): StreamEntry[] {
  return txns.map((x, i) => ({ stream: x.stream, id: `${i}-0`, fields: { from: x.from, to: x.to, amount: x.amount, ts: String(x.ts) } }));
}

function alertToFields(a: Alert): Record<string, string> {
  return { from: a.from, to: a.to, windowStart: String(a.windowStart), windowEnd: String(a.windowEnd), total: a.total, count: String(a.count) };
}

const sortFields = (rows: Record<string, string>[]) =>
  [...rows].sort((a, b) => Number(a.windowStart) - Number(b.windowStart) || (a.from! < b.from! ? -1 : a.from! > b.from! ? 1 : 0) || (a.to! < b.to! ? -1 : a.to! > b.to! ? 1 : 0));

describe('job function', () => {
  it('builds a valid graph with the runtime GraphBuilder', async () => {
    const g = new GraphBuilder(2);
    await job(g, ['--input', 'a,b', '--output', 'alerts']);
    expect(g.jobName).toBe('Fraud Detection');
    expect(g.transformations.length).toBeGreaterThanOrEqual(6);
    expect(() => job(new GraphBuilder(1), ['--output', 'alerts'])).toThrow(/--input is required/);
  });

  it('wires the source and sink from the arguments', () => {
    const env = new MiniEnv();
    job(env, ['--redis', 'redis://x:1', '--input', 'a,b', '--output', 'alerts', '--max-out-of-orderness-ms', '700']);
    expect(env.jobName).toBe('Fraud Detection');
    expect(env.source).toMatchObject({ url: 'redis://x:1', streams: ['a', 'b'], startFrom: 'earliest' });
    expect(env.source!.watermarks!.maxOutOfOrdernessMs).toBe(700);
    expect(env.source!.watermarks!.timestamp({ stream: 'a', id: '1-0', fields: { ts: '123' } })).toBe(123);
    expect(env.sink).toMatchObject({ url: 'redis://x:1', stream: 'alerts' });
    expect(alertFields({ from: 'a', to: 'b', windowStart: 0, windowEnd: 10, cents: 1_000_001, count: 3 })).toEqual({
      from: 'a', to: 'b', windowStart: '0', windowEnd: '10', total: '10000.01', count: '3',
    });
  });

  it('matches the reference on the hand-made example', () => {
    const tiny: Txn[] = [
      { stream: 's1', from: 'A', to: 'C', amount: '9999.99', ts: 3000 },
      { stream: 's2', from: 'A', to: 'C', amount: '0.02', ts: 9999 },
      { stream: 's2', from: 'A', to: 'B', amount: '10000', ts: 9000 },
      { stream: 's2', from: 'A', to: 'B', amount: 'bad', ts: 9500 },
      { stream: 's1', from: 'A', to: 'C', amount: '20000', ts: 12000 },
      { stream: 's1', from: 'D', to: 'E', amount: '1.00', ts: 25000 },
      { stream: 's2', from: 'X', to: 'Z', amount: '1.00', ts: 27000 },
    ];
    const env = new MiniEnv();
    job(env, ['--input', 's1,s2', '--output', 'alerts']);
    const got = sortFields(env.run(toEntries(tiny)));
    const want = expectedAlerts(tiny, { windowMs: 10000, thresholdCents: 1_000_000, maxOutOfOrdernessMs: 5000, streams: ['s1', 's2'] });
    expect(want).toHaveLength(2);
    expect(got).toEqual(want.map(alertToFields));
  });

  it('matches the reference on generated data', () => {
    const streams = ['tx-0', 'tx-1', 'tx-2', 'tx-3'];
    const txns = generateTransactions({ seed: 42, count: 5000, streams });
    const maxTs = Math.max(...txns.map((x) => x.ts));
    for (const input of [txns, [...txns, ...endMarkers(streams, maxTs + 15000)]]) {
      for (const args of [[], ['--threshold', '5000', '--window-ms', '5000', '--max-out-of-orderness-ms', '3000']]) {
        const env = new MiniEnv();
        job(env, ['--input', streams.join(','), '--output', 'alerts', ...args]);
        const p = parseArgs(['--input', 'x', '--output', 'y', ...args]);
        const want = expectedAlerts(input, { windowMs: p.windowMs, thresholdCents: p.thresholdCents, maxOutOfOrdernessMs: p.maxOutOfOrdernessMs, streams });
        expect(want.length).toBeGreaterThan(0);
        expect(sortFields(env.run(toEntries(input)))).toEqual(want.map(alertToFields));
      }
    }
  });
});

describe('enrichment step (--enrich-latency-ms)', () => {
  const ENRICH = ['--enrich-latency-ms', '20', '--enrich-batch', '5'];

  it('is off by default and parses its flags and the source batch size', () => {
    expect(parseArgs(REQUIRED).enrich).toBeUndefined();
    expect(parseArgs(REQUIRED).batchSize).toBeUndefined();
    expect(parseArgs([...REQUIRED, '--enrich-latency-ms', '0']).enrich).toBeUndefined();
    expect(parseArgs([...REQUIRED, '--enrich-latency-ms', '7']).enrich).toEqual({ latencyMs: 7, batch: 10 });
    expect(parseArgs([...REQUIRED, ...ENRICH, '--batch-size=25'])).toMatchObject({ enrich: { latencyMs: 20, batch: 5 }, batchSize: 25 });
    expect(() => parseArgs([...REQUIRED, '--enrich-latency-ms', '-1'])).toThrow(/--enrich-latency-ms must be a non-negative integer/);
    expect(() => parseArgs([...REQUIRED, '--enrich-latency-ms', '5', '--enrich-batch', '0'])).toThrow(/--enrich-batch must be a positive integer number of records/);
    expect(() => parseArgs([...REQUIRED, '--batch-size', '1.5'])).toThrow(/--batch-size must be a positive integer number of entries/);
  });

  it('waits the latency once per batch of records and passes every record on unchanged', () => {
    const waits: number[] = [];
    const at: number[] = [];
    let n = 0;
    const lookup = enrichmentLookup<{ i: number }>(30, 4, (ms) => { waits.push(ms); at.push(n); });
    const out = Array.from({ length: 10 }, (_, i) => { n = i + 1; const r = { i }; expect(lookup(r)).toBe(r); return r.i; });
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // One lookup per 4 records: after the 4th and the 8th; the last 2 wait for their batch to fill.
    expect(waits).toEqual([30, 30]);
    expect(at).toEqual([4, 8]);
    expect(() => enrichmentLookup(0, 4)).toThrow(RangeError);
    expect(() => enrichmentLookup(5, 0)).toThrow(RangeError);
  });

  it('really sleeps: a batch takes at least the latency', () => {
    const lookup = enrichmentLookup<number>(25, 3);
    const t0 = performance.now();
    for (let i = 0; i < 6; i++) lookup(i);
    // Two lookups of 25 ms; a timer never fires early, so this lower bound holds under any load.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(49);
  });

  it('chains into the source vertex: the graph keeps two vertices, the first one ending in the enrichment', async () => {
    const plain = new GraphBuilder(1);
    await job(plain, REQUIRED);
    const enriched = new GraphBuilder(1);
    await job(enriched, [...REQUIRED, ...ENRICH]);
    const gp = buildJobGraph(plain.transformations, { name: 'p', parallelism: 1, maxParallelism: 128 });
    const ge = buildJobGraph(enriched.transformations, { name: 'e', parallelism: 1, maxParallelism: 128 });
    expect(gp.vertices.map((v) => v.operatorNames)).toEqual([
      ['Redis Streams Source', 'Parse Transfer', 'Drop Invalid'], ['Window(Tumbling 10000ms, Sum per Pair)', 'Over Threshold', 'Alerts Sink'],
    ]);
    expect(ge.vertices).toHaveLength(2);
    expect(ge.vertices[0]!.operatorNames).toEqual(['Redis Streams Source', 'Parse Transfer', 'Drop Invalid', 'Enrich (lookup 20 ms per 5)']);
    expect(ge.vertices[1]!.operatorNames).toEqual(gp.vertices[1]!.operatorNames);
  });

  it('passes --batch-size to the source, and leaves the source options alone without it', () => {
    const env = new MiniEnv();
    job(env, [...REQUIRED, '--batch-size', '25']);
    expect(env.source!.batchSize).toBe(25);
    const plain = new MiniEnv();
    job(plain, REQUIRED);
    expect(plain.source).not.toHaveProperty('batchSize');
  });

  it('produces exactly the reference alerts with the enrichment on', () => {
    const streams = ['tx-0', 'tx-1', 'tx-2', 'tx-3'];
    const txns = generateTransactions({ seed: 11, count: 3000, streams });
    const maxTs = Math.max(...txns.map((x) => x.ts));
    const input = [...txns, ...endMarkers(streams, maxTs + 15000)];
    const env = new MiniEnv();
    job(env, ['--input', streams.join(','), '--output', 'alerts', '--enrich-latency-ms', '1', '--enrich-batch', '500']);
    expect(env.ops.filter((o) => o.kind === 'map')).toHaveLength(2);
    const want = expectedAlerts(input, { windowMs: 10000, thresholdCents: 1_000_000, maxOutOfOrdernessMs: 5000, streams });
    expect(want.length).toBeGreaterThan(0);
    expect(sortFields(env.run(toEntries(input)))).toEqual(want.map(alertToFields));
  });
});
