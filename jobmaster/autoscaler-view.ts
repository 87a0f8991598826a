/**
 * The autoscaler's state in openapi.yaml's AutoscalerInfo shape: what the job process publishes
 * (metadata/autoscaler-state.ts) and `GET /jobs/:jobid/autoscaler` serves. Pure: the policy's
 * status, the graph as the decision saw it, the names and the settings go in; JSON-safe numbers come
 * out (a rate that is not finite reads as null, or 0 where the shape has no null).
 */
import { autoscalerConfiguration, DEFAULT_RESTART_TIME_MS, type AutoscalerOptions, type AutoscalerStatus, type DecisionChange, type DecisionRecord, type VertexDecision, type VertexInfo } from '../autoscaler/index.js';
import type { AutoscalerInfo } from '../metadata/index.js';

export type AutoscalerVertexView = AutoscalerInfo['vertices'][number];
export type AutoscalerDecisionView = AutoscalerInfo['decisions'][number];
export type EvaluationNote = NonNullable<AutoscalerInfo['lastEvaluation']>;

const round = (x: number): number => Math.round(x * 1000) / 1000;
const orNull = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? round(x) : null);
const finite = (x: number): number => (Number.isFinite(x) ? round(x) : 0);
const int = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? Math.round(x) : null);

function vertexView(v: VertexInfo, name: string, d: VertexDecision | undefined): AutoscalerVertexView {
  const bounds = { lowerBound: v.lowerBound ?? null, upperBound: v.upperBound ?? null, maxParallelism: v.maxParallelism, streams: v.streams ?? null, fixed: v.fixed === true };
  if (!d) {
    return {
      vertexId: v.id, name, parallelism: v.parallelism, bounds, metrics: null, trueProcessingRate: null, skew: 1, capacity: null,
      inputRate: 0, catchUpRate: 0, targetRate: 0, utilization: null, computed: v.parallelism, wanted: v.parallelism, recommended: v.parallelism,
      reason: v.fixed ? 'fixed' : 'no-metrics', limits: [], text: `${v.id}: no decision yet`,
    };
  }
  const m = d.metrics;
  return {
    vertexId: v.id, name, parallelism: v.parallelism, bounds,
    metrics: m ? {
      recordsInPerSecond: finite(m.recordsInPerSecond), recordsOutPerSecond: finite(m.recordsOutPerSecond), busyRatio: finite(m.busyRatio),
      maxBusyRatio: finite(m.maxBusyRatio), backPressuredRatio: finite(m.backPressuredRatio), backlog: orNull(m.backlog), backlogGrowthPerSecond: orNull(m.backlogGrowthPerSecond),
    } : null,
    trueProcessingRate: orNull(d.trueProcessingRate), skew: finite(d.skew), capacity: orNull(d.capacity),
    inputRate: finite(d.inputRate), catchUpRate: finite(d.catchUpRate), targetRate: finite(d.targetRate), utilization: orNull(d.utilization),
    computed: d.computed, wanted: d.wanted, recommended: d.parallelism, reason: d.reason, limits: [...d.limits], text: d.text,
  };
}

export function decisionView(r: DecisionRecord): AutoscalerDecisionView {
  return {
    id: r.id, timestamp: r.timestamp,
    changes: r.changes.map((c) => ({ vertexId: c.vertexId, from: c.from, to: c.to, reason: c.reason, limits: [...c.limits], text: c.text })),
    outcome: r.outcome, requestId: r.requestId ?? null, endedAt: r.endedAt ?? null, error: r.error ?? null,
    result: r.result ? { parallelism: { ...r.result.parallelism }, durationMs: Math.round(r.result.durationMs) } : null,
    ineffective: r.ineffective ? r.ineffective.map((i) => ({ ...i, capacityBefore: finite(i.capacityBefore), capacityAfter: finite(i.capacityAfter), predicted: finite(i.predicted) })) : null,
  };
}

/** A decision as published, back into the policy's record (a restarted job process takes up its history). */
export function decisionFromView(v: AutoscalerDecisionView): DecisionRecord {
  const r: DecisionRecord = {
    id: v.id, timestamp: v.timestamp, outcome: v.outcome as DecisionRecord['outcome'],
    changes: v.changes.map((c) => ({ vertexId: c.vertexId, from: c.from, to: c.to, reason: c.reason as DecisionChange['reason'], limits: [...c.limits] as DecisionChange['limits'], text: c.text })),
  };
  if (v.requestId !== null) r.requestId = v.requestId;
  if (v.endedAt !== null) r.endedAt = v.endedAt;
  if (v.error !== null) r.error = v.error;
  if (v.result) r.result = { parallelism: { ...v.result.parallelism }, durationMs: v.result.durationMs };
  if (v.ineffective) r.ineffective = v.ineffective.map((i) => ({ ...i }));
  return r;
}

export interface AutoscalerViewInput {
  jobId: string;
  options: AutoscalerOptions;
  overrides: Record<string, unknown>;
  status: AutoscalerStatus;
  /** The graph as the last evaluation saw it (current parallelism, the user's bounds). */
  vertices: readonly VertexInfo[];
  names: ReadonlyMap<string, string>;
  lastEvaluation: EvaluationNote | undefined;
  now: number;
}

export function autoscalerView(i: AutoscalerViewInput): AutoscalerInfo {
  const s = i.status;
  const decided = new Map(s.vertices.map((d) => [d.vertexId, d]));
  return {
    jobId: i.jobId, enabled: s.enabled, recommendOnly: s.recommendOnly, updatedAt: i.now, lastEvaluation: i.lastEvaluation ?? null,
    stabilizingUntil: int(s.stabilizingUntil), backoffUntil: int(s.backoffUntil), restartTimeMs: Math.round(s.restartTimeMs),
    pendingDecision: s.pendingDecision ?? null, ineffective: s.ineffective.map((x) => ({ ...x })),
    options: autoscalerConfiguration(i.options), overrides: overridesView(i.overrides),
    vertices: i.vertices.map((v) => vertexView(v, i.names.get(v.id) ?? v.id, decided.get(v.id))),
    decisions: s.decisions.map(decisionView),
  };
}

/** Before the job process published anything: the settings from the job's configuration, nothing decided. */
export function unpublishedAutoscalerView(jobId: string, options: AutoscalerOptions, overrides: Record<string, unknown> = {}): AutoscalerInfo {
  return {
    jobId, enabled: options.enabled, recommendOnly: !options.scalingEnabled, updatedAt: null, lastEvaluation: null,
    stabilizingUntil: null, backoffUntil: null, restartTimeMs: options.restartTimeMs ?? DEFAULT_RESTART_TIME_MS, pendingDecision: null, ineffective: [],
    options: autoscalerConfiguration(options), overrides: overridesView(overrides), vertices: [], decisions: [],
  };
}

/** The overrides as given (they were checked when given: strings, numbers, booleans). */
export function overridesView(o: Record<string, unknown>): AutoscalerInfo['overrides'] {
  const out: AutoscalerInfo['overrides'] = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  return out;
}
