/**
 * The autoscaler's metrics window: per-vertex rates from subtask samples, the busiest subtask by its
 * average over the window, a source's backlog and its growth by a least-squares fit.
 */
import { describe, expect, it } from 'vitest';
import { MetricsWindow, samplesOf, slopePerSecond, type SubtaskSample } from '../../autoscaler/index.js';

const s = (vertexId: string, subtask: number, inRate: number, busyMs: number, pendingRecords?: number): SubtaskSample => ({
  vertexId, subtask, recordsInPerSecond: inRate, recordsOutPerSecond: inRate / 2, busyMsPerSecond: busyMs, backPressuredMsPerSecond: 100, pendingRecords,
});

describe('autoscaler metrics window', () => {
  it('sums rates over subtasks and averages them over the samples in the range', () => {
    const w = new MetricsWindow();
    w.add(1000, [s('a', 0, 100, 500, 10), s('a', 1, 50, 300, 20)]);
    w.add(3000, [s('a', 0, 140, 700, 30), s('a', 1, 10, 100, 40)]);
    w.add(5000, [s('a', 0, 60, 300, 50), s('a', 1, 30, 200, 60)]);
    const { metrics, count, spanMs } = w.aggregate(0, 5000);
    expect(count).toBe(3);
    expect(spanMs).toBe(4000);
    const a = metrics.a!;
    expect(a.recordsInPerSecond).toBeCloseTo((150 + 150 + 90) / 3);
    expect(a.recordsOutPerSecond).toBeCloseTo((150 + 150 + 90) / 6);
    expect(a.busyRatio).toBeCloseTo((500 + 300 + 700 + 100 + 300 + 200) / 6000);
    // Subtask 0 averages 0.5, subtask 1 0.2: the busiest is 0.5 (not the 0.7 of one sample).
    expect(a.maxBusyRatio).toBeCloseTo(0.5);
    expect(a.backPressuredRatio).toBeCloseTo(0.1);
    expect(a.backlog).toBe(110);
    expect(a.backlogGrowthPerSecond).toBeCloseTo(20); // 30 → 70 → 110 over 4 s
    // Only the samples after `from`: the last two.
    expect(w.aggregate(1000).count).toBe(2);
    w.dropBefore(3000);
    expect(w.size).toBe(2);
  });

  it('leaves a backlog out while any subtask\'s is unknown', () => {
    const w = new MetricsWindow();
    w.add(1000, [s('a', 0, 100, 500, 10), s('a', 1, 50, 300)]);
    expect(w.aggregate(0).metrics.a!.backlog).toBeUndefined();
    w.add(2000, [s('a', 0, 100, 500, 10), s('a', 1, 50, 300, 5)]);
    expect(w.aggregate(0).metrics.a).toMatchObject({ backlog: 15, backlogGrowthPerSecond: 0 });
  });

  it('fits the slope over all points, so one outlier at an end moves it less than last − first', () => {
    expect(slopePerSecond([[0, 0], [1000, 10], [2000, 20], [3000, 30]])).toBeCloseTo(10);
    expect(slopePerSecond([[0, 0]])).toBe(0);
    const withOutlier = slopePerSecond([[0, 0], [1000, 10], [2000, 20], [3000, 60]]);
    expect(withOutlier).toBeLessThan(20); // last − first: 20/s
  });

  it('reads the metrics collector\'s subtask snapshots', () => {
    const [sample] = samplesOf([{
      vertexId: 'src', subtask: 1, attempt: 0, taskManagerId: 'tm',
      metrics: { numRecordsInPerSecond: 10, numRecordsOutPerSecond: 9, busyTimeMsPerSecond: 400, backPressuredTimeMsPerSecond: 50, pendingRecords: 7 },
    }]);
    expect(sample).toEqual({ vertexId: 'src', subtask: 1, recordsInPerSecond: 10, recordsOutPerSecond: 9, busyMsPerSecond: 400, backPressuredMsPerSecond: 50, pendingRecords: 7 });
  });
});
