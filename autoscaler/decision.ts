/**
 * The autoscaler's decision: a pure function from the job graph, each vertex's metrics over a window
 * and the options to each vertex's parallelism, with the numbers and the reason behind it.
 *
 * DS2 (Kalavri et al., OSDI 2018) and FLIP-271, solved for the whole graph in one pass:
 * - A subtask's true processing rate is what it processes per second of busy time:
 *   C = records in ÷ (parallelism × average busy ratio). It does not depend on the load, so it is
 *   measured at any load, and it excludes time spent idle or back-pressured.
 * - A source's input rate is what arrives: records read + backlog growth (what it could not read).
 *   The rate a vertex must process is propagated down the graph, in topological order: a vertex's
 *   input is its upstream vertices' output (their input × their observed output/input ratio, at most
 *   what they can process within their limits), scaled by how much of that output this vertex
 *   observed receiving.
 * - The capacity needed is max(input ÷ target utilisation, catch-up rate), where the catch-up rate
 *   = input + (backlog + input × restart time) ÷ catch-up duration. FLIP-271 adds the two terms; but
 *   the headroom the target utilisation leaves already drains a backlog, so adding them buys
 *   subtasks for a backlog the headroom alone drains within the catch-up duration, and those are
 *   scaled down again later: a rescale twice for nothing. The maximum asks for what both need.
 * - Parallelism = the smallest p whose capacity covers it. A subtask's share of the work comes in
 *   whole streams (a Redis Streams source) or key groups (a keyed vertex), so p subtasks work like
 *   units ÷ ⌈units ÷ p⌉ even ones (8 streams: 5 subtasks are no faster than 4). A busiest subtask
 *   busier than that split explains (skew over 10 %) is assumed to stay as uneven.
 * - No change while the utilisation at the current parallelism is within [min, max] utilisation.
 *   A change lands at or below the target; where that is below the band, the parallelism is already
 *   the smallest sufficient one, which the next decision keeps ('optimal'): nothing flips back.
 */
import { explain } from './decision-text.js';
import type { Decision, DecisionInput, DecisionOptions, LimitCode, ReasonCode, VertexDecision, VertexInfo, VertexMetrics } from './decision-types.js';

export type { Decision, DecisionInput, DecisionOptions, LimitCode, ReasonCode, VertexDecision, VertexInfo, VertexMetrics } from './decision-types.js';

/** Residual skew below this is measurement noise, not imbalance. */
const SKEW_TOLERANCE = 1.1;
/** Below this busy ratio, a processing rate cannot be measured from busy time. */
const MIN_BUSY_RATIO = 0.005;
const EPS = 1e-9;

/** How many even subtasks `p` subtasks work like when the work comes in `units` whole pieces. */
export function effectiveParallelism(p: number, units?: number): number {
  return units ? units / Math.ceil(units / p) : p;
}

/** What a vertex of this decision could process at parallelism `p` (records/s; undefined when its rate is unknown). */
export function capacityAt(d: Pick<VertexDecision, 'trueProcessingRate' | 'skew' | 'units'>, p: number): number | undefined {
  return d.trueProcessingRate === undefined ? undefined : (effectiveParallelism(p, d.units) * d.trueProcessingRate) / d.skew;
}

/** The smallest p ≥ 1 with effectiveParallelism(p) ≥ `subtasks` (fractional even subtasks needed). */
function smallestParallelism(subtasks: number, units?: number): number {
  let p = Math.max(1, Math.ceil(subtasks - EPS));
  if (units) while (p < units && effectiveParallelism(p, units) < subtasks - EPS) p++;
  return p;
}

export function decide(input: DecisionInput): Decision {
  const { options: o } = input;
  const catchUpS = o.catchUpMs / 1000;
  const restartS = input.restartTimeMs / 1000;
  // Per vertex: its output rate now (observed), and the output rates it is to produce (input and catch-up).
  const out = new Map<string, { observed: number; input: number; catchUp: number }>();
  const decisions: VertexDecision[] = [];
  for (const v of input.vertices) {
    const m = input.metrics[v.id];
    const observedIn = m?.recordsInPerSecond ?? 0;
    let inputRate: number, catchUpRate: number;
    if (v.upstream.length === 0) {
      inputRate = Math.max(0, observedIn + (m?.backlogGrowthPerSecond ?? 0));
      const backlog = Math.max(0, m?.backlog ?? 0);
      catchUpRate = catchUpS > 0 ? inputRate + (backlog + inputRate * restartS) / catchUpS : inputRate;
    } else {
      let observed = 0, inp = 0, cu = 0;
      for (const id of v.upstream) {
        const o2 = out.get(id);
        if (o2) { observed += o2.observed; inp += o2.input; cu += o2.catchUp; }
      }
      // The share of its upstream vertices' output this vertex receives (1 when nothing was observed).
      const share = observed > 0 && m ? observedIn / observed : 1;
      inputRate = inp * share;
      catchUpRate = cu * share;
    }
    const d = decideVertex(v, m, inputRate, catchUpRate, o);
    decisions.push(d);
    // Downstream gets no more than this vertex can process at the parallelism it may have (a source
    // held at its stream count cannot pass on a backlog it cannot read); step limits aside, which
    // the next decision lifts.
    const most = capacityAt(d, d.wanted) ?? Infinity;
    const selectivity = m && observedIn > 0 ? m.recordsOutPerSecond / observedIn : 1;
    out.set(v.id, { observed: m?.recordsOutPerSecond ?? 0, input: Math.min(inputRate, most) * selectivity, catchUp: Math.min(catchUpRate, most) * selectivity });
  }
  unifyForwardGroups(input.vertices, decisions);
  const changes: Record<string, number> = {};
  for (const d of decisions) if (d.parallelism !== d.current) changes[d.vertexId] = d.parallelism;
  const moved = decisions.filter((d) => d.parallelism !== d.current);
  const summary = moved.length
    ? `rescale ${moved.map((d) => `${d.vertexId} ${d.current} → ${d.parallelism}`).join(', ')}`
    : `no change: ${[...new Set(decisions.map((d) => d.reason))].join(', ')}`;
  return { vertices: decisions, changes, summary };
}

function decideVertex(v: VertexInfo, m: VertexMetrics | undefined, inputRate: number, catchUpRate: number, o: DecisionOptions): VertexDecision {
  const u = o.utilizationTarget;
  const p = v.parallelism;
  const units = v.streams ?? v.keyGroups;
  const targetRate = Math.max(inputRate / u, catchUpRate);
  let trueRate: number | undefined;
  let skew = 1;
  if (m && m.recordsInPerSecond > 0 && m.busyRatio >= MIN_BUSY_RATIO) {
    trueRate = m.recordsInPerSecond / (p * m.busyRatio);
    // The busiest subtask's excess over the even split's, beyond what whole streams or key groups explain.
    const structural = p / effectiveParallelism(p, units);
    const residual = m.maxBusyRatio / m.busyRatio / structural;
    skew = residual >= SKEW_TOLERANCE ? residual : 1;
  }
  const d: VertexDecision = {
    vertexId: v.id, current: p, metrics: m, trueProcessingRate: trueRate, skew, units, capacity: undefined,
    inputRate, catchUpRate, targetRate, utilization: undefined, computed: p, wanted: p, parallelism: p, reason: 'within-band', limits: [], text: '',
  };
  d.capacity = capacityAt(d, p);
  if (d.capacity !== undefined) d.utilization = (u * targetRate) / d.capacity;
  else if (targetRate === 0) d.utilization = 0;

  // Limits: the tightest upper one (the most specific named on a tie), then the lower ones.
  const uppers: Array<[LimitCode, number | undefined]> = [
    ['streams', v.streams], ['upper-bound', v.upperBound], ['vertex-max-parallelism', o.vertexMaxParallelism], ['max-parallelism', v.maxParallelism],
  ];
  const upper = Math.max(1, Math.min(...uppers.map(([, x]) => x ?? Infinity)));
  const lowers: Array<[LimitCode, number]> = [['lower-bound', v.lowerBound ?? 1], ['vertex-min-parallelism', o.vertexMinParallelism]];
  const lower = Math.min(upper, Math.max(...lowers.map(([, x]) => x)));
  const clamp = (x: number): number => {
    if (x > upper) d.limits.push(uppers.find(([, b]) => b === upper)![0]);
    else if (x < lower) d.limits.push(lowers.find(([, b]) => b === lower)?.[0] ?? uppers.find(([, b]) => b === upper)![0]);
    return Math.min(upper, Math.max(lower, x));
  };

  if (v.fixed) return finish(d, 'fixed', o);
  if (!m) return finish(d, p > upper || p < lower ? 'out-of-bounds' : 'no-metrics', o, clamp(p));
  if (targetRate === 0) d.computed = 1;
  else if (trueRate === undefined) return finish(d, p > upper || p < lower ? 'out-of-bounds' : 'no-rate', o, clamp(p));
  else d.computed = smallestParallelism((targetRate * skew) / trueRate, units);
  const bounded = clamp(d.computed);
  if (p > upper || p < lower) return finish(d, 'out-of-bounds', o, bounded);
  if (inBand(d, o)) { d.limits = []; return finish(d, 'within-band', o); }
  if (bounded === p) return finish(d, d.computed === p ? 'optimal' : 'at-limit', o);
  if (targetRate === 0) return finish(d, 'idle', o, bounded);
  return finish(d, bounded > p ? 'scale-up' : 'scale-down', o, bounded);
}

const inBand = (d: VertexDecision, o: DecisionOptions) =>
  d.utilization !== undefined && d.utilization >= o.utilizationMin - EPS && d.utilization <= o.utilizationMax + EPS;

/** Sets the reason, what it wants, the step-limited parallelism and the text. */
function finish(d: VertexDecision, reason: ReasonCode, o: DecisionOptions, wanted = d.current): VertexDecision {
  d.reason = reason;
  d.wanted = wanted;
  let p = wanted;
  if (reason !== 'out-of-bounds') {
    const most = Math.max(d.current + 1, Math.floor(d.current * (1 + o.scaleUpMaxFactor) + EPS));
    const least = Math.ceil(d.current * (1 - o.scaleDownMaxFactor) - EPS);
    if (p > most) { p = most; d.limits.push('scale-up-factor'); }
    if (p < least) { p = least; d.limits.push('scale-down-factor'); }
    if (p === d.current && wanted !== d.current) d.reason = 'at-limit';
  }
  d.parallelism = p;
  d.text = explain(d, o);
  return d;
}

/**
 * Vertices joined by forward edges run at one parallelism: the group takes its largest member's
 * (so no member falls behind), within the tightest upper limit of its members.
 */
function unifyForwardGroups(vertices: readonly VertexInfo[], decisions: VertexDecision[]): void {
  const groups = new Map<string | number, number[]>();
  vertices.forEach((v, i) => { if (v.group !== undefined) groups.set(v.group, [...(groups.get(v.group) ?? []), i]); });
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const cap = Math.min(...members.map((i) => Math.min(vertices[i]!.streams ?? Infinity, vertices[i]!.upperBound ?? Infinity, vertices[i]!.maxParallelism)));
    const p = Math.min(cap, Math.max(...members.map((i) => decisions[i]!.parallelism)));
    const wanted = Math.min(cap, Math.max(...members.map((i) => decisions[i]!.wanted)));
    for (const i of members) {
      const d = decisions[i]!;
      if (d.parallelism === p && d.wanted === wanted) continue;
      d.parallelism = p;
      d.wanted = wanted;
      d.limits.push('forward-group');
      if (p > d.current) d.reason = 'scale-up';
      else if (p < d.current) d.reason = 'scale-down';
      d.text = `${d.text}; its forward group runs at ${p}`;
    }
  }
}
