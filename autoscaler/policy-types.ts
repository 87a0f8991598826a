/** What the policy (policy.ts) takes and answers. */
import type { Decision, VertexDecision, VertexInfo } from './decision-types.js';
import type { DecisionRecord } from './decision-history.js';
import type { SubtaskSample } from './metrics-window.js';

/** One evaluation's input: the graph with its current parallelism and bounds, and each subtask's rates now. */
export interface AutoscalerSample {
  vertices: readonly VertexInfo[];
  subtasks: readonly SubtaskSample[];
}

/** Why an evaluation asks for nothing. */
export type WaitCode =
  | 'disabled' | 'stabilizing' | 'collecting' | 'rescale-pending' | 'no-change'
  | 'confirming-scale-up' | 'waiting-scale-down-interval' | 'backoff' | 'ineffective' | 'recommend-only';

export type Evaluation =
  | { action: 'rescale'; decisionId: number; parallelism: Record<string, number>; reason: string; decision: Decision }
  | { action: 'none'; code: WaitCode; reason: string; decision?: Decision; recommended?: Record<string, number> };

/** What a finished rescale did. */
export interface RescaleOutcome {
  /** Parallelism per vertex after it (all vertices, or at least the ones that changed). */
  parallelism: Record<string, number>;
  durationMs: number;
  /** How long records were held back (RescaleResult.maxHoldMs); the restart time measured. */
  holdMs?: number;
  requestId?: string;
}

/** The autoscaler's state and reasoning, for GET /jobs/:jobid/autoscaler, the console and the CLI. */
export interface AutoscalerStatus {
  enabled: boolean;
  recommendOnly: boolean;
  stabilizingUntil: number | undefined;
  backoffUntil: number | undefined;
  restartTimeMs: number;
  /** The decision whose rescale is under way. */
  pendingDecision: number | undefined;
  /** Parallelisms a scale-up to which was ineffective (not asked for again). */
  ineffective: Array<{ vertexId: string; parallelism: number }>;
  /** The last evaluation's per-vertex metrics, rates, parallelism and reason. */
  vertices: VertexDecision[];
  /** Newest first. */
  decisions: DecisionRecord[];
}
