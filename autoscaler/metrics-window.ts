/**
 * The samples the autoscaler decides on: per subtask, its rates as the JobMaster's metrics collector
 * computed them (records in/out per second, busy and back-pressured ms per second, a source's
 * backlog), one set per evaluation, kept for the metrics window. A range of them aggregates into
 * per-vertex VertexMetrics (decision.ts).
 */
import type { SubtaskMetricsSnapshot } from '../metadata/index.js';
import type { VertexMetrics } from './decision-types.js';

export interface SubtaskSample {
  vertexId: string;
  subtask: number;
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  /** 0..1000 */
  busyMsPerSecond: number;
  backPressuredMsPerSecond: number;
  /** Sources: entries written to its streams and not yet read; undefined when not known. */
  pendingRecords?: number;
}

/** The samples of a metrics snapshot's subtasks (JobMetricsSnapshot.subtasks). */
export function samplesOf(subtasks: readonly SubtaskMetricsSnapshot[]): SubtaskSample[] {
  return subtasks.map((s) => ({
    vertexId: s.vertexId,
    subtask: s.subtask,
    recordsInPerSecond: s.metrics.numRecordsInPerSecond ?? 0,
    recordsOutPerSecond: s.metrics.numRecordsOutPerSecond ?? 0,
    busyMsPerSecond: s.metrics.busyTimeMsPerSecond ?? 0,
    backPressuredMsPerSecond: s.metrics.backPressuredTimeMsPerSecond ?? 0,
    pendingRecords: s.metrics.pendingRecords,
  }));
}

interface Sample { at: number; subtasks: readonly SubtaskSample[] }

export interface Aggregate {
  metrics: Record<string, VertexMetrics>;
  /** Samples aggregated. */
  count: number;
  /** Time from the first to the last of them (ms). */
  spanMs: number;
}

export class MetricsWindow {
  private samples: Sample[] = [];

  add(at: number, subtasks: readonly SubtaskSample[]): void {
    this.samples.push({ at, subtasks });
  }

  /** Forgets the samples taken before `at`. */
  dropBefore(at: number): void {
    while (this.samples.length && this.samples[0]!.at < at) this.samples.shift();
  }

  clear(): void { this.samples = []; }

  get size(): number { return this.samples.length; }

  /** Per vertex, over the samples taken after `from` up to `to` (inclusive). */
  aggregate(from: number, to: number = Infinity): Aggregate {
    const range = this.samples.filter((s) => s.at > from && s.at <= to);
    const acc = new Map<string, VertexAcc>();
    for (const s of range) {
      const seen = new Map<string, { inRate: number; outRate: number; backlog: number | undefined; known: boolean }>();
      for (const t of s.subtasks) {
        const a = acc.get(t.vertexId) ?? newAcc();
        acc.set(t.vertexId, a);
        a.busy += t.busyMsPerSecond / 1000;
        a.backPressured += t.backPressuredMsPerSecond / 1000;
        a.reports++;
        const per = a.perSubtask.get(t.subtask) ?? { busy: 0, n: 0 };
        per.busy += t.busyMsPerSecond / 1000;
        per.n++;
        a.perSubtask.set(t.subtask, per);
        const v = seen.get(t.vertexId) ?? { inRate: 0, outRate: 0, backlog: 0, known: true };
        v.inRate += t.recordsInPerSecond;
        v.outRate += t.recordsOutPerSecond;
        if (t.pendingRecords === undefined || t.pendingRecords < 0) v.known = false;
        else v.backlog = (v.backlog ?? 0) + t.pendingRecords;
        seen.set(t.vertexId, v);
      }
      for (const [id, v] of seen) {
        const a = acc.get(id)!;
        a.inRate += v.inRate;
        a.outRate += v.outRate;
        a.samples++;
        // A backlog only counts when every subtask's is known (a sum over some would understate it).
        if (v.known) a.backlog.push([s.at, v.backlog!]);
      }
    }
    const metrics: Record<string, VertexMetrics> = {};
    for (const [id, a] of acc) {
      const m: VertexMetrics = {
        recordsInPerSecond: a.inRate / a.samples,
        recordsOutPerSecond: a.outRate / a.samples,
        busyRatio: a.busy / a.reports,
        maxBusyRatio: Math.max(...[...a.perSubtask.values()].map((p) => p.busy / p.n)),
        backPressuredRatio: a.backPressured / a.reports,
      };
      const last = a.backlog[a.backlog.length - 1];
      if (last) {
        m.backlog = last[1];
        m.backlogGrowthPerSecond = slopePerSecond(a.backlog);
      }
      metrics[id] = m;
    }
    const spanMs = range.length ? range[range.length - 1]!.at - range[0]!.at : 0;
    return { metrics, count: range.length, spanMs };
  }
}

interface VertexAcc {
  inRate: number; outRate: number; samples: number;
  busy: number; backPressured: number; reports: number;
  perSubtask: Map<number, { busy: number; n: number }>;
  backlog: Array<[number, number]>;
}

const newAcc = (): VertexAcc => ({ inRate: 0, outRate: 0, samples: 0, busy: 0, backPressured: 0, reports: 0, perSubtask: new Map(), backlog: [] });

/**
 * The least-squares slope of (time ms, value) points, per second; 0 with fewer than two points.
 * A fit over all points rather than last − first, so one noisy reading at either end does not swing it.
 */
export function slopePerSecond(points: ReadonlyArray<readonly [number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mt = points.reduce((s, [t]) => s + t, 0) / n;
  const mv = points.reduce((s, [, v]) => s + v, 0) / n;
  let num = 0, den = 0;
  for (const [t, v] of points) { num += (t - mt) * (v - mv); den += (t - mt) ** 2; }
  return den > 0 ? (num / den) * 1000 : 0;
}
