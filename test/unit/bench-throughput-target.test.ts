/** The throughput benchmark's issue-18 target lines: medians against the same run's baseline median. */
import { describe, expect, it } from 'vitest';
import { median, throughputTargetLines } from '../../bench/throughput-target.js';
import type { Row } from '../../bench/report.js';

const row = (parallelism: number | null, recordsPerSecond: number, recordsPerCpuSecond: number, extra: Partial<Row> = {}): Row => ({
  run: 'r', parallelism, records: 1, seconds: 1, recordsPerSecond, vsBaseline: null, cpuSeconds: 1, recordsPerCpuSecond, latencyMs: null,
  peakRssMb: {}, rssLastToSecondQuarter: null, checkpoints: null, alertsOk: true, alertsCheck: '', checkpointing: parallelism === null ? undefined : true, metrics: parallelism === null ? undefined : true, ...extra,
});

describe('throughput target lines', () => {
  it('takes medians (odd and even counts)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('compares the medians with the baseline median, each part HOLDS or MISSED', () => {
    const rows = [
      row(null, 100, 100), row(null, 300, 100), row(null, 200, 100), // baseline median 200 records/s, 100 records/CPU-s
      row(1, 180, 90), row(1, 170, 90), row(1, 100, 90),             // p=1 median 170: 0.85×
      row(2, 220, 55), row(2, 210, 60), row(2, 190, 65),             // p=2 median 210: 1.05×, vs p=1 1.24×, CPU 0.6×
      row(2, 999, 999, { metrics: false }),                          // not the default configuration: left out
    ];
    const t = throughputTargetLines(rows);
    expect(t.medians.baseline).toEqual({ runs: 3, recordsPerSecond: 200, recordsPerCpuSecond: 100 });
    expect(t.medians.byParallelism[2]).toEqual({ runs: 3, recordsPerSecond: 210, recordsPerCpuSecond: 60 });
    expect(t.text).toContain('- p=1 records/s vs the baseline 0.85× (target ≥ 0.85×, 170 vs 200): HOLDS');
    expect(t.text).toContain('- p=2 records/s vs the baseline 1.05× (target ≥ 1.00×, 210 vs 200): HOLDS');
    expect(t.text).toContain('- p=2 vs p=1 records/s 1.24× (target ≥ 1.25×, 210 vs 170): MISSED');
    expect(t.text).toContain('- p=2 records/CPU-s vs the baseline 0.60× (target ≥ 0.60×, 60 vs 100): HOLDS');
    expect(t.holds).toBe(false);
  });

  it('says what was not measured', () => {
    const t = throughputTargetLines([row(null, 100, 100), row(1, 90, 90)]);
    expect(t.text).toContain('- p=2 records/s vs the baseline: not measured');
    expect(t.holds).toBeNull(); // not all of it measured
  });
});
