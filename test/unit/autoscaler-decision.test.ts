/**
 * The autoscaler's decision function over hand-made window metrics: each case asserts the parallelism
 * chosen and why (the numbers are worked out in the comments).
 */
import { describe, expect, it } from 'vitest';
import { decide, DEFAULT_AUTOSCALER_OPTIONS, type VertexInfo, type VertexMetrics } from '../../autoscaler/index.js';

const options = { ...DEFAULT_AUTOSCALER_OPTIONS };

function m(inRate: number, busy: number, extra: Partial<VertexMetrics> = {}): VertexMetrics {
  return { recordsInPerSecond: inRate, recordsOutPerSecond: inRate, busyRatio: busy, maxBusyRatio: busy, backPressuredRatio: 0, ...extra };
}

function vertex(id: string, parallelism: number, extra: Partial<VertexInfo> = {}): VertexInfo {
  return { id, upstream: [], parallelism, maxParallelism: 128, ...extra };
}

/** One vertex: its decision. */
function one(v: VertexInfo, metrics: VertexMetrics | undefined, o = options, restartTimeMs = 0) {
  const d = decide({ vertices: [v], metrics: { [v.id]: metrics }, options: o, restartTimeMs });
  return d.vertices[0]!;
}

describe('autoscaler decision', () => {
  it('solves every vertex in one pass from the arrival at the sources, whatever the bottleneck lets the others see', () => {
    // The source reads 100/s at full busy time and its backlog grows 300/s: 400/s arrive. Its true rate
    // is 100/s per subtask; 400/0.7 = 571/s needs 5.7 subtasks, and with 8 streams only 8 do better than 4.
    // The map (100 in, 50 out, busy 0.5: 200/s per subtask) must take 400/s: 571/200 → 3. The sink gets
    // half of it, 200/s at 100/s per subtask: 286/100 → 3. All three in one decision.
    const vertices = [
      vertex('src', 1, { streams: 8 }), vertex('map', 1, { upstream: ['src'] }), vertex('sink', 1, { upstream: ['map'], keyGroups: 128 }),
    ];
    const metrics = {
      src: m(100, 1, { backlog: 3000, backlogGrowthPerSecond: 300 }),
      map: m(100, 0.5, { recordsOutPerSecond: 50 }),
      sink: m(50, 0.5, { recordsOutPerSecond: 0 }),
    };
    const d = decide({ vertices, metrics, options, restartTimeMs: 0 });
    expect(d.changes).toEqual({ src: 8, map: 3, sink: 3 });
    const [src, map, sink] = d.vertices;
    expect(src!.inputRate).toBeCloseTo(400);
    expect(src!.catchUpRate).toBeCloseTo(400 + 3000 / 60);
    expect(src!.trueProcessingRate).toBeCloseTo(100);
    expect(map!.inputRate).toBeCloseTo(400);
    expect(map!.trueProcessingRate).toBeCloseTo(200);
    expect(sink!.inputRate).toBeCloseTo(200);
    expect(d.vertices.map((x) => x.reason)).toEqual(['scale-up', 'scale-up', 'scale-up']);
    expect(src!.text).toContain('backlog 3000');
  });

  it('keeps the parallelism while the utilisation is within [min, max], and takes the smallest sufficient one outside', () => {
    const v = vertex('op', 4);
    // 100/s per subtask at every load (in ÷ (4 × busy)).
    const at = (load: number) => one(v, m(load, load / 400));
    expect(at(240)).toMatchObject({ parallelism: 4, reason: 'within-band' }); // 0.6
    expect(at(300)).toMatchObject({ parallelism: 4, reason: 'within-band', computed: 5 }); // 0.75: 5 would be nearer 0.7, but within the band
    expect(at(350)).toMatchObject({ parallelism: 5, reason: 'scale-up' }); // 0.875 > 0.85: 500/100
    expect(at(150)).toMatchObject({ parallelism: 3, reason: 'scale-down' }); // 0.375 < 0.5: 214/100 → 3
    const small = one(vertex('op', 2), m(75, 75 / 200)); // 0.375, but 1 subtask would be at 0.75 > 0.7
    expect(small).toMatchObject({ parallelism: 2, reason: 'optimal', computed: 2 });
    expect(at(350).utilization).toBeCloseTo(0.875);
  });

  it('asks for the larger of input ÷ target utilisation and the catch-up rate, not their sum', () => {
    const v = vertex('src', 2);
    // 100/s arrive, 100/s per subtask, 6000 behind: catch-up 100 + 6000/60 = 200/s, input at 0.7 = 143/s.
    // 200/s is what 2 subtasks give: no change (FLIP-271's sum, 243/s, would add a third).
    expect(one(v, m(100, 0.5, { backlog: 6000, backlogGrowthPerSecond: 0 }))).toMatchObject({ parallelism: 2, targetRate: 200 });
    // 12000 behind: 300/s to catch up within 60 s → 3.
    expect(one(v, m(100, 0.5, { backlog: 12000, backlogGrowthPerSecond: 0 }))).toMatchObject({ parallelism: 3, reason: 'scale-up' });
    // What arrives during a rescale's hold counts too: 10 s at 100/s is another 1000.
    expect(one(v, m(100, 0.5, { backlog: 12000, backlogGrowthPerSecond: 0 }), options, 10_000).catchUpRate).toBeCloseTo(100 + 13000 / 60);
    // catch-up.duration 0: backlogs are ignored.
    expect(one(v, m(100, 0.5, { backlog: 12000 }), { ...options, catchUpMs: 0 })).toMatchObject({ parallelism: 2 });
  });

  it('sizes a skewed vertex by its busiest subtask, but not for the uneven split of whole streams', () => {
    // 280/s over 4 subtasks at busy 0.5 on average: 140/s per subtask; the busiest is at 0.9, 1.8 times
    // the average. 400/s needed × 1.8 / 140 = 5.14 even subtasks; of 128 key groups 6 subtasks hold at
    // most 22 (5.8 even ones), 5 hold 26 (4.9): 6.
    const v = vertex('op', 4, { keyGroups: 128 });
    const skewed = one(v, m(280, 0.5, { maxBusyRatio: 0.9 }));
    expect(skewed).toMatchObject({ parallelism: 6, reason: 'scale-up' });
    expect(skewed.skew).toBeCloseTo(1.8);
    expect(skewed.text).toContain('skew ×1.80');
    // The same load spread evenly: 0.7 × 400 / 560 = 0.5, within the band.
    expect(one(v, m(280, 0.5, { maxBusyRatio: 0.52 }))).toMatchObject({ parallelism: 4, skew: 1, reason: 'within-band' });
    // 8 streams on 3 subtasks: 3, 3 and 2; the busiest at 1.125 × the average is the split, not skew.
    const split = one(vertex('src', 3, { streams: 8 }), m(240, 0.8, { maxBusyRatio: 0.9 }));
    expect(split.skew).toBe(1);
  });

  it('keeps a source within its stream count, and picks the fewest subtasks for the streams it must split', () => {
    // 4 streams, 4 subtasks at full busy time, 200/s more arriving: 600/0.7 / 100 = 8.6 subtasks needed.
    const capped = one(vertex('src', 4, { streams: 4 }), m(400, 1, { backlog: 0, backlogGrowthPerSecond: 200 }));
    expect(capped).toMatchObject({ parallelism: 4, computed: 9, reason: 'at-limit', limits: ['streams'] });
    expect(capped.text).toContain('its stream count (4)');
    // 8 streams, 3.5 subtasks' worth: 4 (2 streams each), not 5 (still 2 streams on the busiest).
    expect(one(vertex('src', 2, { streams: 8 }), m(200, 1, { backlog: 0, backlogGrowthPerSecond: 45 }))).toMatchObject({ parallelism: 4 });
    // Downstream of a source held at its cap, only what the source can read counts (400/s, not 600/s
    // plus a catch-up it will never get to): the sink, 1000/s per subtask, stays at 1.
    const d = decide({
      vertices: [vertex('src', 4, { streams: 4 }), vertex('sink', 1, { upstream: ['src'] })], options, restartTimeMs: 0,
      metrics: { src: m(400, 1, { backlog: 60_000, backlogGrowthPerSecond: 200 }), sink: m(400, 0.4, { recordsOutPerSecond: 0 }) },
    });
    expect(d.changes).toEqual({});
    expect(d.vertices[1]!.inputRate).toBeCloseTo(400);
    // 5 subtasks' worth: 5, 6 and 7 subtasks still leave 2 streams on one: 8.
    expect(one(vertex('src', 2, { streams: 8 }), m(200, 1, { backlog: 0, backlogGrowthPerSecond: 150 }))).toMatchObject({ parallelism: 8 });
  });

  it('stays within the upper bound, the autoscaler\'s max and the max parallelism, naming the one that held it', () => {
    // 2 subtasks at full busy time, 100/s each, 400/s arriving: 571/100 → 6.
    const load = m(200, 1, { backlog: 0, backlogGrowthPerSecond: 200 });
    expect(one(vertex('op', 3, { upperBound: 3 }), load)).toMatchObject({ parallelism: 3, reason: 'at-limit', limits: ['upper-bound'] });
    expect(one(vertex('op', 2, { upperBound: 4 }), load)).toMatchObject({ parallelism: 4, reason: 'scale-up', limits: ['upper-bound'] });
    expect(one(vertex('op', 2), load, { ...options, vertexMaxParallelism: 5 })).toMatchObject({ parallelism: 5, limits: ['vertex-max-parallelism'] });
    expect(one(vertex('op', 2, { maxParallelism: 4 }), load)).toMatchObject({ parallelism: 4, limits: ['max-parallelism'] });
    // Outside its bounds (the user lowered the upper bound): brought inside, whatever the band says.
    expect(one(vertex('op', 6, { upperBound: 4 }), m(420, 1))).toMatchObject({ parallelism: 4, reason: 'out-of-bounds' });
  });

  it('bounds each step by the scale-up and scale-down max factors', () => {
    const load = m(100, 1, { backlog: 0, backlogGrowthPerSecond: 500 }); // 600/s at 100/s per subtask (p=1): 9
    expect(one(vertex('op', 1), load)).toMatchObject({ parallelism: 9 });
    expect(one(vertex('op', 1), load, { ...options, scaleUpMaxFactor: 1 })).toMatchObject({ parallelism: 2, limits: ['scale-up-factor'] });
    expect(one(vertex('op', 1), load, { ...options, scaleUpMaxFactor: 0 })).toMatchObject({ parallelism: 2, limits: ['scale-up-factor'] });
    // 12 subtasks, 50/s at 100/s each: 1 would do; at most half go per step.
    const quiet = one(vertex('op', 12), m(50, 50 / 1200));
    expect(quiet).toMatchObject({ computed: 1, wanted: 1, parallelism: 6, reason: 'scale-down', limits: ['scale-down-factor'] });
    expect(one(vertex('op', 12), m(50, 50 / 1200), { ...options, scaleDownMaxFactor: 1 })).toMatchObject({ parallelism: 1, limits: [] });
    expect(one(vertex('op', 12), m(50, 50 / 1200), { ...options, scaleDownMaxFactor: 0 })).toMatchObject({ parallelism: 12, reason: 'at-limit', wanted: 1 });
  });

  it('takes an idle vertex to the lowest it may run at, and leaves one it cannot measure alone', () => {
    expect(one(vertex('op', 4), m(0, 0))).toMatchObject({ parallelism: 2, wanted: 1, reason: 'idle' });
    expect(one(vertex('op', 4, { lowerBound: 3 }), m(0, 0))).toMatchObject({ parallelism: 3, wanted: 3, limits: ['lower-bound'] });
    expect(one(vertex('op', 4), m(0, 0), { ...options, vertexMinParallelism: 2, scaleDownMaxFactor: 1 })).toMatchObject({ parallelism: 2, limits: ['vertex-min-parallelism'] });
    expect(one(vertex('op', 4), m(100, 0))).toMatchObject({ parallelism: 4, reason: 'no-rate' });
    expect(one(vertex('op', 4), undefined)).toMatchObject({ parallelism: 4, reason: 'no-metrics' });
    expect(one(vertex('op', 1, { fixed: true }), m(1000, 1))).toMatchObject({ parallelism: 1, reason: 'fixed' });
  });

  it('runs vertices joined by forward edges at one parallelism, the largest any of them needs', () => {
    const vertices = [vertex('a', 2, { group: 'g' }), vertex('b', 2, { upstream: ['a'], group: 'g' })];
    // 210/s arrive. a does 200/s per subtask (300/200 → 2, within its band); b only 50/s: 300/50 → 6.
    const d = decide({
      vertices, options, restartTimeMs: 0,
      metrics: { a: m(100, 0.25, { backlog: 0, backlogGrowthPerSecond: 110 }), b: m(100, 1) },
    });
    expect(d.changes).toEqual({ a: 6, b: 6 });
    expect(d.vertices[0]!.limits).toContain('forward-group');
  });
});
