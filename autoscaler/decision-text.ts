/** The decision's reasoning in words, one line per vertex (the history, the REST view, the job's log). */
import type { DecisionOptions, LimitCode, VertexDecision } from './decision-types.js';

const EPS = 1e-9;
const num = (x: number) => (x >= 100 ? Math.round(x).toString() : x.toFixed(x >= 10 ? 1 : 2));
const pct = (x: number) => `${Math.round(x * 100)} %`;

function limitText(d: VertexDecision, l: LimitCode, o: DecisionOptions): string {
  switch (l) {
    case 'streams': return `its stream count (${d.units})`;
    case 'upper-bound': return 'its upper bound';
    case 'vertex-max-parallelism': return `job.autoscaler.vertex.max-parallelism (${o.vertexMaxParallelism})`;
    case 'max-parallelism': return 'its max parallelism';
    case 'lower-bound': return 'its lower bound';
    case 'vertex-min-parallelism': return `job.autoscaler.vertex.min-parallelism (${o.vertexMinParallelism})`;
    case 'scale-up-factor': return `job.autoscaler.scale-up.max-factor (${o.scaleUpMaxFactor})`;
    case 'scale-down-factor': return `job.autoscaler.scale-down.max-factor (${o.scaleDownMaxFactor})`;
    case 'forward-group': return 'its forward group';
  }
}

export function explain(d: VertexDecision, o: DecisionOptions): string {
  const m = d.metrics;
  const facts: string[] = [];
  if (m) {
    facts.push(`input ${num(d.inputRate)}/s`);
    if (d.catchUpRate > d.inputRate * (1 + EPS) && (m.backlog ?? 0) > 0) facts.push(`backlog ${num(m.backlog!)} → catch-up ${num(d.catchUpRate)}/s`);
    facts.push(`busy ${pct(m.busyRatio)}${m.maxBusyRatio > m.busyRatio * 1.05 ? ` (busiest ${pct(m.maxBusyRatio)})` : ''}`);
    if (d.trueProcessingRate !== undefined) facts.push(`true rate ${num(d.trueProcessingRate)}/s per subtask`);
    if (d.skew > 1) facts.push(`skew ×${d.skew.toFixed(2)}`);
    if (d.utilization !== undefined) facts.push(`utilisation ${d.utilization.toFixed(2)}`);
  }
  const limited = d.limits.length ? ` (limited by ${d.limits.map((l) => limitText(d, l, o)).join(', ')})` : '';
  const band = `[${o.utilizationMin}, ${o.utilizationMax}]`;
  const verdict = ((): string => {
    switch (d.reason) {
      case 'within-band': return `within ${band}: stays at ${d.current}`;
      case 'optimal': return `outside ${band}, but ${d.current} is the fewest subtasks at utilisation ${o.utilizationTarget}`;
      case 'at-limit': return `needs ${d.computed}, stays at ${d.current}${limited}`;
      case 'idle': return `no input: ${d.current} → ${d.parallelism}${limited}`;
      case 'no-metrics': return `no metrics: stays at ${d.current}`;
      case 'no-rate': return `no busy time measured: stays at ${d.current}`;
      case 'fixed': return `its parallelism cannot change: stays at ${d.current}`;
      case 'out-of-bounds': return `outside its limits: ${d.current} → ${d.parallelism}${limited}`;
      default: return `needs ${num(d.targetRate)}/s at utilisation ${o.utilizationTarget}: ${d.computed} subtasks; ${d.current} → ${d.parallelism}${limited}`;
    }
  })();
  return `${d.vertexId}: ${[...facts, verdict].join(', ')}`;
}
