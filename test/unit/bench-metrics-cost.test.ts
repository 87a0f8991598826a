import { describe, expect, it } from 'vitest';
import { metricsCostLines, type Row } from '../../bench/report.js';

/** A job row of `seconds` (1 s of start-up) over 1M records, `cpu` CPU-seconds. */
function row(pair: number, metrics: boolean, seconds: number, cpu = seconds / 2, parallelism = 2): Row {
  const records = 1_000_000;
  return {
    run: `p${parallelism}`, parallelism, checkpointing: true, metrics, pair, records, seconds, recordsPerSecond: records / seconds, vsBaseline: 1,
    cpuSeconds: cpu, recordsPerCpuSecond: records / cpu, latencyMs: null, peakRssMb: {}, rssLastToSecondQuarter: null, startupSeconds: 1,
    checkpoints: null, alertsOk: true, alertsCheck: 'identical',
  };
}

describe('bench metrics cost', () => {
  it('takes the pairs of a parallelism together: the median of their drops, and the pooled sums, start-up excluded', () => {
    // Steady seconds: on 10 + 12 = 22, off 11 + 11 = 22 → no drop, although each pair alone says ±10 %.
    const c = metricsCostLines([row(1, true, 11), row(1, false, 12), row(2, false, 12), row(2, true, 13)]);
    expect(c.groups).toHaveLength(1);
    expect(c.groups[0]!.pairs).toBe(2);
    expect(c.groups[0]!.pooledRateDropPct).toBeCloseTo(0, 6);
    expect(c.drops.map((d) => Math.round(d.rateDropPct))).toEqual([-10, 8]);
    expect(c.groups[0]!.medianRateDropPct).toBeCloseTo(-0.83, 2);
    expect(c.groups[0]!.verdict).toBe('holds');
    expect(c.text).toContain('HOLDS');
  });

  it('misses when even the low end of the noise band is above 3 %', () => {
    const c = metricsCostLines([row(1, true, 13), row(1, false, 11), row(2, false, 11), row(2, true, 13.2), row(3, true, 12.8), row(3, false, 11)]);
    expect(c.groups[0]!.pooledRateDropPct).toBeGreaterThan(15);
    expect(c.groups[0]!.noisePct).toBeLessThan(5);
    expect(c.groups[0]!.verdict).toBe('missed');
  });

  it('says "not shown" when the noise is larger than the drop', () => {
    // Drops 28.6 %, 4.8 %, -25 %: the median is over 3 %, the spread far larger.
    const c = metricsCostLines([row(1, true, 15), row(1, false, 11), row(2, false, 11), row(2, true, 11.5), row(3, true, 9), row(3, false, 11)]);
    expect(c.groups[0]!.medianRateDropPct).toBeCloseTo(4.8, 1);
    expect(c.groups[0]!.noisePct!).toBeGreaterThan(c.groups[0]!.medianRateDropPct - 3);
    expect(c.groups[0]!.verdict).toBe('not shown');
    expect(c.text).toContain('NOT SHOWN');
  });

  it('one stalled run does not decide: the median holds where the pooled sum would not', () => {
    // Three pairs within ±1 %, one "on" run stalled to twice its time.
    const c = metricsCostLines([
      row(1, true, 11), row(1, false, 11), row(2, false, 11), row(2, true, 11.1),
      row(3, true, 10.9), row(3, false, 11), row(4, false, 11), row(4, true, 21),
    ]);
    expect(c.groups[0]!.pooledRateDropPct).toBeGreaterThan(15);
    expect(Math.abs(c.groups[0]!.medianRateDropPct)).toBeLessThan(1);
    expect(c.groups[0]!.verdict).toBe('holds');
  });

  it('keeps parallelisms apart, and a single pair over 3 % is missed', () => {
    const c = metricsCostLines([row(1, true, 11, 5, 1), row(1, false, 11, 5, 1), row(2, true, 14), row(2, false, 11)]);
    expect(c.groups.map((g) => [g.parallelism, g.verdict])).toEqual([[1, 'holds'], [2, 'missed']]);
    expect(c.groups[1]!.noisePct).toBeUndefined();
  });
});
