/** The decision's input and output (decision.ts). */
import type { AutoscalerOptions } from './autoscaler-options.js';

/** One vertex of the job graph as the decision sees it. */
export interface VertexInfo {
  id: string;
  /** Upstream vertices (the graph's vertices come in topological order, so these come earlier). Empty: a source. */
  upstream: readonly string[];
  /** Its parallelism now. */
  parallelism: number;
  /** The most subtasks it can run (the job's max parallelism). */
  maxParallelism: number;
  /**
   * Bounds the user set (resource requirements). Not the adaptive scheduler's default upper bound,
   * which is the current parallelism and would forbid every scale-up.
   */
  lowerBound?: number;
  upperBound?: number;
  /** A Redis Streams source: how many streams it reads (it never runs more subtasks). */
  streams?: number;
  /** A keyed vertex: its key groups (the job's max parallelism). */
  keyGroups?: number;
  /** Its parallelism cannot change (a collection source). */
  fixed?: boolean;
  /** Vertices joined by forward edges share one parallelism: the same group id. */
  group?: string | number;
}

/** A vertex's metrics over a window (metrics-window.ts aggregates them from subtask samples). */
export interface VertexMetrics {
  /** Summed over subtasks, per second. */
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  /** Busy time ÷ wall time, averaged over subtasks (0..1). */
  busyRatio: number;
  /** Of the busiest subtask (0..1). */
  maxBusyRatio: number;
  backPressuredRatio: number;
  /** Sources: records written to their streams and not yet read (undefined: not known). */
  backlog?: number;
  /** Sources: how fast the backlog grows, records per second (negative while it drains). */
  backlogGrowthPerSecond?: number;
}

export type DecisionOptions = Pick<AutoscalerOptions,
  'utilizationTarget' | 'utilizationMin' | 'utilizationMax' | 'catchUpMs' | 'scaleDownMaxFactor' | 'scaleUpMaxFactor' | 'vertexMinParallelism' | 'vertexMaxParallelism'>;

export interface DecisionInput {
  /** In topological order. */
  vertices: readonly VertexInfo[];
  metrics: Readonly<Record<string, VertexMetrics | undefined>>;
  options: DecisionOptions;
  /** How long a rescale holds records back (what arrives meanwhile must be caught up too). */
  restartTimeMs: number;
}

/** Why a vertex gets its parallelism. */
export type ReasonCode =
  | 'scale-up' | 'scale-down'
  /** Utilisation within [min, max]: no change. */
  | 'within-band'
  /** Outside the band, but the current parallelism is already the smallest sufficient one. */
  | 'optimal'
  /** It should change, but a limit (see `limits`) keeps it where it is. */
  | 'at-limit'
  /** No input: the lowest parallelism allowed. */
  | 'idle'
  | 'no-metrics'
  /** Input but no busy time measured: its processing rate is unknown. */
  | 'no-rate'
  | 'fixed'
  /** Its parallelism is outside its bounds: brought inside. */
  | 'out-of-bounds';

/** What clamped the computed parallelism. */
export type LimitCode =
  | 'streams' | 'upper-bound' | 'vertex-max-parallelism' | 'max-parallelism'
  | 'lower-bound' | 'vertex-min-parallelism' | 'scale-up-factor' | 'scale-down-factor' | 'forward-group';

export interface VertexDecision {
  vertexId: string;
  current: number;
  metrics: VertexMetrics | undefined;
  /** DS2's true processing rate of one subtask: records per busy second (undefined: not measurable). */
  trueProcessingRate: number | undefined;
  /** Busiest-subtask imbalance beyond what the stream or key-group split explains (1: even). */
  skew: number;
  /** Streams or key groups its work comes in (undefined: divides evenly). */
  units: number | undefined;
  /** Records per second it can process at its current parallelism with its busiest subtask fully busy. */
  capacity: number | undefined;
  /** Records per second arriving (propagated from the sources). */
  inputRate: number;
  /** Records per second it must process to drain the backlog within the catch-up duration. */
  catchUpRate: number;
  /** Capacity needed: max(input ÷ target utilisation, catch-up rate). */
  targetRate: number;
  /** Target utilisation × target rate ÷ capacity: the utilisation compared with the band. */
  utilization: number | undefined;
  /** The smallest sufficient parallelism, unclamped. */
  computed: number;
  /** What it asks for within its limits, before the step limits (its current parallelism when no change is due). */
  wanted: number;
  /** The parallelism chosen. */
  parallelism: number;
  reason: ReasonCode;
  limits: LimitCode[];
  /** The reasoning, for people. */
  text: string;
}

export interface Decision {
  vertices: VertexDecision[];
  /** Vertex id → new parallelism, for the vertices that change (empty: no change). */
  changes: Record<string, number>;
  summary: string;
}
