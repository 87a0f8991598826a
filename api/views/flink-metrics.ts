/**
 * Flink's metric REST answers from metrics snapshots (metadata/job-metrics.ts): the component
 * "stores" Flink's MetricStore has (a job, a vertex with `<subtask>.<name>` ids, a subtask, a
 * TaskManager), the list or values of one store (MetricCollectionResponseBody) and the aggregation
 * over several (AggregatedMetricsResponseBody), with Flink's rules:
 *
 * - without `get`: the names available, `[{"id"}]` (over several stores: their union);
 * - `get=a,b` on one store: `[{"id","value"}]`, value a string, names the store lacks left out;
 * - `get=a,b` aggregated: `[{"id","min","max","avg","sum","skew"}]` (numbers), only the `agg` asked
 *   for (none: all five); a requested name that no store has makes the whole answer `[]` (Flink's
 *   AbstractAggregatingMetricsHandler does exactly this);
 * - skew is Flink's DoubleDataSkew: mean absolute deviation over the mean, in percent, capped at 100,
 *   and 0 when the mean is 0.
 *
 * A watermark of Long.MIN_VALUE (no watermark yet; JSON numbers carry it as -9223372036854776000)
 * reads as Flink's string "-9223372036854775808" in a value, and as that number in an aggregate.
 */
import type { JobMetricsSnapshot, SplitMetrics, SubtaskMetricsSnapshot } from '../../metadata/index.js';
import { isNoWatermark } from '../../metadata/index.js';
import { badRequest } from '../errors.js';

/** One component's metrics by name (Flink's ComponentMetricStore). */
export type MetricStore = Record<string, number>;

export const AGGREGATIONS = ['min', 'max', 'avg', 'sum', 'skew'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export interface MetricValue { id: string; value: string }
export interface AggregatedMetric { id: string; min?: number; max?: number; avg?: number; sum?: number; skew?: number }

/** Java's Long.MIN_VALUE as a JS number (what a snapshot holds for "no watermark yet"). */

/** A comma-separated query value as its non-empty, trimmed parts (absent: none). */
export function parseList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** `agg=min,max`: Flink's modes in any case; anything else is a 400 naming it, as Flink's "Not a valid aggregation". */
export function parseAggregations(raw: string | undefined): Aggregation[] {
  const out: Aggregation[] = [];
  const bad: string[] = [];
  for (const a of parseList(raw)) {
    const m = AGGREGATIONS.find((x) => x === a.toLowerCase());
    if (!m) bad.push(`Not a valid aggregation: ${a} (one of ${AGGREGATIONS.join(', ')})`);
    else if (!out.includes(m)) out.push(m);
  }
  if (bad.length) throw badRequest(bad);
  return out;
}

/**
 * `subtasks=0-2,4`: Flink's inclusive integer ranges, as a test of a subtask index (undefined: no
 * filter). Invalid parts are a 400 here, where Flink only logs them.
 */
export function parseSubtaskRanges(raw: string | undefined): ((subtask: number) => boolean) | undefined {
  const parts = parseList(raw);
  if (!parts.length) return undefined;
  const ranges = parts.map((p) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) throw badRequest(`the query parameter "subtasks" must be a comma-separated list of subtask indexes or ranges like 0-2, got "${p}"`);
    return [Number(m[1]), Number(m[2] ?? m[1])] as const;
  });
  return (i) => ranges.some(([from, to]) => i >= from && i <= to);
}

/** A metric value as Flink's REST API writes it: a string, integers without a fraction, Long.MIN_VALUE exactly. */
export function formatValue(v: number): string {
  if (isNoWatermark(v)) return '-9223372036854775808';
  if (Number.isInteger(v)) return BigInt(v).toString();
  return String(v);
}

/** Flink's DoubleDataSkew. */
export function skew(values: number[]): number {
  if (!values.length) return 0;
  const avg = values.reduce((a, b) => a + b, 0) / values.length;
  if (avg === 0) return 0;
  const avgDev = values.reduce((a, v) => a + Math.abs(avg - v), 0) / values.length;
  return Math.min((avgDev / avg) * 100, 100);
}

/** One store: the names it has, or the values of the names asked for (missing ones left out). */
export function metricCollection(store: MetricStore | undefined, get: string[]): Array<{ id: string } | MetricValue> {
  if (!store) return [];
  if (!get.length) return Object.keys(store).map((id) => ({ id }));
  return [...new Set(get)].filter((id) => Object.hasOwn(store, id)).map((id) => ({ id, value: formatValue(store[id]!) }));
}

/** Several stores aggregated (see the file's comment for Flink's rules). */
export function aggregateMetrics(stores: MetricStore[], get: string[], aggs: Aggregation[]): Array<{ id: string } | AggregatedMetric> {
  if (!get.length) return [...new Set(stores.flatMap((s) => Object.keys(s)))].map((id) => ({ id }));
  const modes = aggs.length ? aggs : AGGREGATIONS;
  const out: AggregatedMetric[] = [];
  for (const id of get) {
    const values = stores.filter((s) => Object.hasOwn(s, id)).map((s) => s[id]!).filter((v) => typeof v === 'number' && !Number.isNaN(v));
    if (!values.length) return [];
    const m: AggregatedMetric = { id };
    for (const mode of modes) m[mode] = aggregate(mode, values);
    out.push(m);
  }
  return out;
}

function aggregate(mode: Aggregation, values: number[]): number {
  switch (mode) {
    case 'min': return Math.min(...values);
    case 'max': return Math.max(...values);
    case 'sum': return values.reduce((a, b) => a + b, 0);
    case 'avg': return values.reduce((a, b) => a + b, 0) / values.length;
    case 'skew': return skew(values);
  }
}

/** A subtask's store: its metrics, plus per split (ebbflow) `splits.<stream>.pendingRecords` and `.numRecordsInPerSecond`. */
export function subtaskStore(s: SubtaskMetricsSnapshot): MetricStore {
  const out: MetricStore = {};
  for (const [k, v] of Object.entries(s.metrics)) if (typeof v === 'number') out[k] = v;
  for (const sp of s.splits ?? []) {
    out[`splits.${sp.stream}.pendingRecords`] = sp.pendingRecords;
    out[`splits.${sp.stream}.numRecordsInPerSecond`] = sp.numRecordsInPerSecond;
  }
  return out;
}

/** The subtasks of one vertex in a snapshot, by subtask index. */
export function vertexSubtasks(snapshot: JobMetricsSnapshot | undefined, vertexId: string): SubtaskMetricsSnapshot[] {
  return (snapshot?.subtasks ?? []).filter((s) => s.vertexId === vertexId).sort((a, b) => a.subtask - b.subtask);
}

/** Flink's task store of a vertex: every subtask's metrics as `<subtask>.<name>`. */
export function vertexStore(snapshot: JobMetricsSnapshot | undefined, vertexId: string): MetricStore | undefined {
  if (!snapshot) return undefined;
  const out: MetricStore = {};
  for (const s of vertexSubtasks(snapshot, vertexId)) {
    for (const [k, v] of Object.entries(subtaskStore(s))) out[`${s.subtask}.${k}`] = v;
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numbers = (v: unknown): Record<string, number> => (isObject(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'number')) as Record<string, number> : {});

/**
 * A snapshot as read from Redis, with every part the views use present and every metric a number
 * (a snapshot from an older or newer job process may lack parts; those read as empty).
 */
export function normalizeSnapshot(raw: unknown): JobMetricsSnapshot | undefined {
  if (!isObject(raw)) return undefined;
  const subtasks = Array.isArray(raw.subtasks) ? raw.subtasks.filter(isObject) : [];
  return {
    jobId: String(raw.jobId ?? ''),
    timestamp: typeof raw.timestamp === 'number' ? raw.timestamp : 0,
    job: numbers(raw.job),
    subtasks: subtasks.filter((s) => typeof s.vertexId === 'string' && typeof s.subtask === 'number').map((s) => ({
      vertexId: s.vertexId as string, subtask: s.subtask as number, attempt: typeof s.attempt === 'number' ? s.attempt : 0,
      taskManagerId: typeof s.taskManagerId === 'string' ? s.taskManagerId : '',
      metrics: numbers(s.metrics),
      ...(Array.isArray(s.splits) ? { splits: s.splits.filter((sp): sp is SplitMetrics => isObject(sp) && typeof sp.stream === 'string') } : {}),
    })),
    taskManagers: isObject(raw.taskManagers) ? Object.fromEntries(Object.entries(raw.taskManagers).map(([k, v]) => [k, numbers(v)])) : {},
    history: Array.isArray(raw.history)
      ? raw.history.filter(isObject).filter((p) => typeof p.timestamp === 'number' && isObject(p.vertices)) as unknown as JobMetricsSnapshot['history']
      : [],
  };
}
