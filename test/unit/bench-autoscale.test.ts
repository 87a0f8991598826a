/**
 * The autoscaling benchmark's pure parts: the load profile and its oracle, the Flink-style policy
 * (FLIP-271's formula, alignment, delayed scale-down, bounds), and the analysis of a row (steps,
 * settling, noisy rescales, convergence, TaskManager-seconds, targets).
 */
import { describe, expect, it } from 'vitest';
import { analyzeRow, taskManagerSeconds, type AnalysisRescale, type AnalysisSample } from '../../bench/autoscale-analysis.js';
import { parseAutoscaleOptions, parseConf, parsePhases } from '../../bench/autoscale-options.js';
import { busiestShare, LoadProfile, oracleFor, oracleParallelism, oracleTaskManagerSeconds, type VertexCapacity } from '../../bench/autoscale-profile.js';
import { alignedParallelism, FLINK_DEFAULTS, FlinkStylePolicy, scaledFlinkOptions, type FlinkOptions, type FlinkVertex } from '../../bench/flink-policy.js';

const SRC: VertexCapacity = { vertexId: 'src', name: 'Source -> Enrich', perSubtask: 500, streams: 8, maxParallelism: 8 };
const WIN: VertexCapacity = { vertexId: 'win', name: 'Window', perSubtask: 50_000, maxParallelism: 128 };
const spec = { nightRate: 150, stepFactor: 8, phases: { night: 100, plateau: 100, ramp: 50, nightAfter: 150 }, noise: 0.15, noisePeriodS: 5, seed: 3 };

describe('load profile', () => {
  it('is night, a step up ×8 with bounded noise, a linear ramp down, night', () => {
    const p = new LoadProfile(spec);
    expect(p.durationS).toBe(400);
    expect(p.rateAt(0)).toBe(150);
    expect(p.rateAt(99.9)).toBe(150);
    for (let t = 100; t < 200; t += 0.5) {
      expect(p.rateAt(t)).toBeGreaterThanOrEqual(1200 * 0.85);
      expect(p.rateAt(t)).toBeLessThanOrEqual(1200 * 1.15);
    }
    // Piecewise constant: one level per noise period.
    expect(p.rateAt(100)).toBe(p.rateAt(104.9));
    expect(p.rateAt(225)).toBeCloseTo((1200 + 150) / 2, 6);
    expect(p.rateAt(250)).toBe(150);
    expect(p.rateAt(400)).toBe(0);
    expect(p.phaseAt(150)).toBe('plateau');
    expect(p.phaseAt(210)).toBe('ramp-down');
    expect(new LoadProfile(spec).rateAt(133)).toBe(p.rateAt(133));
    expect(new LoadProfile({ ...spec, seed: 4 }).rateAt(133)).not.toBe(p.rateAt(133));
  });
});

describe('oracle', () => {
  it('is the smallest parallelism at target utilisation, with whole streams per subtask', () => {
    expect(busiestShare(3, 8)).toBe(3 / 8);
    expect(busiestShare(3)).toBe(1 / 3);
    // 1200/s at 0.7 × 500 per subtask: 3.43 even subtasks; 8 streams make 4 the smallest that suffices (3 reads 3 streams).
    expect(oracleParallelism(SRC, 1200, 0.7)).toEqual({ p: 4, capped: false });
    expect(oracleParallelism({ ...SRC, streams: undefined }, 1200, 0.7)).toEqual({ p: 4, capped: false });
    expect(oracleParallelism({ ...SRC, streams: undefined }, 1000, 0.7)).toEqual({ p: 3, capped: false });
    expect(oracleParallelism(SRC, 1000, 0.7)).toEqual({ p: 4, capped: false });
    expect(oracleParallelism(SRC, 150, 0.7)).toEqual({ p: 1, capped: false });
    expect(oracleParallelism(SRC, 5000, 0.7)).toEqual({ p: 8, capped: true });
    expect(oracleFor([SRC, WIN], 1200, 0.7)).toEqual({ byVertex: { src: 4, win: 1 }, taskManagers: 4, capped: [] });
  });

  it('integrates the TaskManagers the oracle needs over the profile', () => {
    const p = new LoadProfile({ ...spec, noise: 0 });
    // night 100 × 1 + plateau 100 × 4 + ramp: 4 while the rate is above 700 (1200 → 700 takes 50 × 500/1050 s), then 2, then 1 + night 150 × 1.
    const tms = oracleTaskManagerSeconds(p, [SRC, WIN], 0.7);
    expect(tms).toBeGreaterThan(100 + 400 + 150 + 50);
    expect(tms).toBeLessThan(100 + 400 + 150 + 4 * 50);
  });
});

describe('options', () => {
  it('parses phases, built-in keys and the quick profile', () => {
    expect(parsePhases('1,2,3,4')).toEqual({ night: 1, plateau: 2, ramp: 3, nightAfter: 4 });
    expect(() => parsePhases('1,2,3')).toThrow(/four lengths/);
    expect(parseConf('job.autoscaler.scale-down.interval=30 s, job.autoscaler.metrics.window=10s')).toEqual({ 'job.autoscaler.scale-down.interval': '30 s', 'job.autoscaler.metrics.window': '10s' });
    expect(() => parseConf('parallelism.default=3')).toThrow(/only sets job.autoscaler/);
    const quick = parseAutoscaleOptions(['--quick'], {});
    const full = parseAutoscaleOptions([], {});
    const len = (o: typeof quick) => o.phases.night + o.phases.plateau + o.phases.ramp + o.phases.nightAfter;
    expect(len(quick)).toBe(180);
    expect(len(full)).toBe(600);
    expect(full.policies).toEqual(['builtin', 'flink']);
    // The built-in row's scale-down interval fits the compressed night; a key given wins.
    expect(full.builtinConf).toEqual({ 'job.autoscaler.scale-down.interval': '60s' });
    expect(quick.builtinConf).toEqual({ 'job.autoscaler.scale-down.interval': '20s' });
    expect(parseAutoscaleOptions(['--builtin-conf', 'job.autoscaler.scale-down.interval=3min,job.autoscaler.metrics.window=20s'], {}).builtinConf)
      .toEqual({ 'job.autoscaler.scale-down.interval': '3min', 'job.autoscaler.metrics.window': '20s' });
    expect(() => parseAutoscaleOptions(['--policies', 'ds2'], {})).toThrow(/builtin and\/or flink/);
  });
});

describe('Flink-style policy', () => {
  it('aligns to a divisor of the partitions or key groups, never reversing the direction', () => {
    expect(alignedParallelism(1, 4.5, 1, 8, 8)).toBe(8);
    expect(alignedParallelism(1, 3.2, 1, 8, 8)).toBe(4);
    expect(alignedParallelism(8, 0.4, 1, 8, 8)).toBe(4);
    expect(alignedParallelism(4, 0.4, 1, 8, 8)).toBe(2);
    expect(alignedParallelism(2, 0.45, 1, 8, 8)).toBe(1);
    expect(alignedParallelism(1, 3, 1, 200, 128)).toBe(4);
    expect(alignedParallelism(3, 1.5, 1, 200, undefined)).toBe(5);
    // A scale-down whose next divisor up is the current parallelism stays put.
    expect(alignedParallelism(4, 0.8, 1, 8, 8)).toBe(4);
    expect(alignedParallelism(5, 10, 1, 8, 8)).toBe(8);
  });

  it('scales the defaults to the compressed day', () => {
    const f = scaledFlinkOptions(600 / 86_400, 3000, 8);
    expect(f.scaleDownIntervalMs).toBe(25_000);
    expect(f.metricsWindowMs).toBe(6250);
    expect(f.catchUpMs).toBe(12_500);
    expect(f.vertexMaxParallelism).toBe(8);
    expect(scaledFlinkOptions(180 / 86_400, 3000, 8).metricsWindowMs).toBe(3000);
    expect(FLINK_DEFAULTS.targetUtilization).toBe(0.7);
  });

  const opts: FlinkOptions = { ...scaledFlinkOptions(1, 0, 8), metricsWindowMs: 5000, stabilizationMs: 2000, scaleDownIntervalMs: 20_000, catchUpMs: 10_000, restartMs: 2000, lagThresholdMs: 2000 };
  const vertices = (p: number): FlinkVertex[] => [
    { id: 'src', upstream: [], parallelism: p, maxParallelism: 8, partitions: 8 },
    { id: 'win', upstream: ['src'], parallelism: 1, maxParallelism: 128, keyed: true },
  ];
  const sample = (t: number, inRate: number, busyMs: number, backlog: number) => ({
    t, vertices: { src: { inPerSecond: inRate, outPerSecond: inRate, busyMsPerSecond: busyMs, backlog }, win: { inPerSecond: inRate, outPerSecond: 1, busyMsPerSecond: 10 } },
  });

  it('waits for stabilisation and a full window, then scales up with the catch-up terms and alignment', () => {
    const pol = new FlinkStylePolicy(opts, 0);
    expect(pol.evaluate(sample(1000, 500, 1000, 0), vertices(1))).toMatchObject({ action: 'none', code: 'stabilizing' });
    let d;
    // Saturated at 500/s while 1200/s arrive: the backlog grows 700/s.
    for (let t = 2000; t <= 7000; t += 1000) d = pol.evaluate(sample(t, 500, 1000, (t - 2000) * 0.7), vertices(1));
    expect(d).toMatchObject({ action: 'rescale' });
    // Target rate 1200 (read + backlog growth), catch-up 3500/10, restart 1200 × 2/10: (350 + 240 + 1714) / 500 = 4.6 → 5 → aligned to 8.
    expect(d!.action === 'rescale' && d!.parallelism).toEqual({ src: 8 });
    pol.rescaleStarted();
    expect(pol.evaluate(sample(8000, 500, 1000, 5000), vertices(1))).toMatchObject({ action: 'none', code: 'pending' });
  });

  it('scales down only after the scale-down interval, to the highest parallelism wanted in it, and never within the bounds', () => {
    const pol = new FlinkStylePolicy(opts, -10_000);
    // At parallelism 8, 1200/s keep each subtask 30 % busy: below 0.4, outside the bounds; wanted: ⌈8 × 0.4⌉ = 4 (the factor's floor).
    const codes: string[] = [];
    let d;
    for (let t = 0; t <= 25_000; t += 1000) {
      d = pol.evaluate(sample(t, 1200, 300, 0), vertices(8));
      if (d.action === 'none') codes.push(d.code);
      else break;
    }
    expect(codes).toContain('delayed-scale-down');
    expect(d).toMatchObject({ action: 'rescale', parallelism: { src: 4 } });
    // At 4 and 60 % busy: within [0.4, 1.0], nothing.
    const pol2 = new FlinkStylePolicy(opts, -10_000);
    for (let t = 0; t <= 30_000; t += 1000) expect(pol2.evaluate(sample(t, 1200, 600, 0), vertices(4)).action).toBe('none');
  });
});

describe('row analysis', () => {
  const profile = new LoadProfile({ ...spec, noise: 0 });
  const t0 = 1_000_000;
  const at = (s: number) => t0 + s * 1000;
  const p = (src: number) => ({ src, win: 1 });
  function samples(parallelismAt: (s: number) => number, backlogAt: (s: number) => number): AnalysisSample[] {
    return Array.from({ length: 400 }, (_, s) => ({ t: at(s), parallelism: p(parallelismAt(s)), taskManagers: parallelismAt(s), backlog: backlogAt(s) }));
  }
  const rescale = (startS: number, endS: number, from: number, to: number): AnalysisRescale => ({ start: at(startS), end: at(endS), status: 'COMPLETED', from: p(from), to: { src: to } });
  const base = { profile, t0, capacity: [SRC, WIN], target: 0.7, maxOutOfOrdernessMs: 3000, arrivals: [], alertsOk: true, alertsCheck: 'identical' };

  it('an ideal row: one step each way, converged quickly, nothing on the plateau', () => {
    const par = (s: number) => (s < 110 ? 1 : s < 260 ? 4 : 1);
    const r = analyzeRow({ ...base, samples: samples(par, (s) => (s >= 100 && s < 125 ? 2000 : 0)), rescales: [rescale(108, 110, 1, 4), rescale(258, 260, 4, 1)] });
    const [up, down] = r.changes;
    expect(up).toMatchObject({ steps: 1, noisyRescales: 0, chosen: p(4), aboveOracle: false, timeToConvergeS: 25 });
    expect(down).toMatchObject({ steps: 1, chosen: p(1), aboveOracle: false, timeToConvergeS: 10 });
    expect(r.targets.every((t) => t.holds), JSON.stringify(r.targets)).toBe(true);
    expect(r.taskManagerSeconds).toBe(110 + 150 * 4 + 140);
    expect(r.fixedPeakTaskManagerSeconds).toBe(1600);
  });

  it('counts an overshoot and its correction as two steps, a flip on the plateau as noisy, and staying high as above the oracle', () => {
    const par = (s: number) => (s < 105 ? 1 : s < 140 ? 8 : s < 170 ? 4 : s < 180 ? 8 : 4);
    const r = analyzeRow({
      ...base, samples: samples(par, (s) => (s >= 100 && s < 110 ? 900 : 0)),
      rescales: [rescale(103, 105, 1, 8), rescale(138, 140, 8, 4), rescale(168, 170, 4, 8), rescale(178, 180, 8, 4)],
    });
    const [up, down] = r.changes;
    // Settled at 140 s (the first time it had the parallelism it ended with); the flip after it is noise.
    expect(up).toMatchObject({ steps: 2, noisyRescales: 2, settledS: 140, timeToConvergeS: 40, aboveOracle: true });
    expect(down).toMatchObject({ steps: 0, chosen: p(4), timeToConvergeS: null, aboveOracle: true });
    const missed = r.targets.filter((t) => t.holds === false).map((t) => t.name);
    expect(missed).toEqual(['never above the oracle after convergence', '0 rescales during the noisy plateau', '≥ 40 % fewer TaskManager-seconds than the fixed-peak job']);
  });

  it('a step that never drains its backlog has not converged', () => {
    const r = analyzeRow({ ...base, samples: samples(() => 1, (s) => (s >= 100 ? (s - 100) * 500 : 0)), rescales: [] });
    expect(r.changes[0]).toMatchObject({ steps: 0, chosen: p(1), timeToConvergeS: null, aboveOracle: false });
    expect(r.targets.find((t) => t.name.startsWith('converged'))!.holds).toBe(false);
  });

  it('integrates TaskManagers sample and hold', () => {
    const s = [{ t: 1000, parallelism: {}, taskManagers: 1, backlog: 0 }, { t: 3000, parallelism: {}, taskManagers: 4, backlog: 0 }];
    expect(taskManagerSeconds(s, 0, 5000)).toBe(1 + 2 + 8);
    expect(taskManagerSeconds(s, 2000, 4000)).toBe(1 + 4);
  });
});
