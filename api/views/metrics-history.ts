/**
 * GET /jobs/:jobid/metrics/history (ebbflow, for the web console's charts): the snapshot's recent
 * per-vertex points as one array per series, aligned with `timestamps`. A value the point does not
 * have (a vertex missing from it, `pendingRecords` of a vertex that is not a source, a watermark
 * before the first one) is null, so every array has one entry per timestamp.
 */
import type { JobMetricsSnapshot, JobRecord, VertexHistoryPoint } from '../../metadata/index.js';
import { isNoWatermark } from '../../metadata/index.js';

export const HISTORY_SERIES = ['numRecordsInPerSecond', 'numRecordsOutPerSecond', 'busyTimeMsPerSecond', 'backPressuredTimeMsPerSecond', 'currentInputWatermark', 'pendingRecords'] as const;
export type HistorySeries = (typeof HISTORY_SERIES)[number];

export interface MetricsHistory {
  timestamps: number[];
  vertices: Record<string, Record<HistorySeries, Array<number | null>>>;
}

/** Below this a watermark is Long.MIN_VALUE, "none yet". */

function value(p: VertexHistoryPoint | undefined, s: HistorySeries): number | null {
  const v = p?.[s];
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  if (s === 'currentInputWatermark' && isNoWatermark(v)) return null;
  return v;
}

/** The job's vertices (in the job's order, then any the history names that the record does not), empty before the first snapshot. */
export function metricsHistory(job: JobRecord, snapshot: JobMetricsSnapshot | undefined): MetricsHistory {
  const points = snapshot?.history ?? [];
  const ids = [...new Set([...job.vertices.map((v) => v.id), ...points.flatMap((p) => Object.keys(p.vertices))])];
  const vertices: MetricsHistory['vertices'] = {};
  for (const id of ids) {
    vertices[id] = Object.fromEntries(HISTORY_SERIES.map((s) => [s, points.map((p) => value(p.vertices[id], s))])) as Record<HistorySeries, Array<number | null>>;
  }
  return { timestamps: points.map((p) => p.timestamp), vertices };
}
