/**
 * The fraud-detection job function run against an in-memory environment (test/helpers/fraud-mini-env.ts):
 * its graph, its wiring of source and sink, its output against the reference computation, and the
 * optional enrichment step.
 */
import { describe, it, expect } from 'vitest';
import job, { alertFields, enrichmentLookup, parseArgs } from '../../examples/fraud-detection/job.js';
import { expectedAlerts, type Txn } from '../../examples/fraud-detection/reference.js';
import { endMarkers, generateTransactions } from '../../examples/fraud-detection/generator.js';
import { GraphBuilder } from '../../runtime/graph-builder.js';
import { buildJobGraph } from '../../runtime/job-graph.js';
import { alertToFields, MiniEnv, sortFields, toEntries } from '../helpers/fraud-mini-env.js';

const REQUIRED = ['--input', 'tx-0', '--output', 'alerts'];

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
