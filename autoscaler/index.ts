/**
 * The autoscaler: a job follows its load. The decision (DS2's true processing rates, FLIP-271's
 * target rates, solved over the whole graph in one pass) is a pure function; the policy holds what
 * it must remember between evaluations (windows, cooldowns, intervals, back-offs, history). The
 * JobMaster feeds it samples and carries out what it asks for; see docs/architecture.md.
 */
export { readAutoscalerOptions, checkAutoscalerOptions, autoscalerConfiguration, applyAutoscalerChange, AUTOSCALER_KEYS, DEFAULT_AUTOSCALER_OPTIONS } from './autoscaler-options.js';
export type { AutoscalerOptions } from './autoscaler-options.js';
export { decide, capacityAt, effectiveParallelism } from './decision.js';
export type { Decision, DecisionInput, DecisionOptions, LimitCode, ReasonCode, VertexDecision, VertexInfo, VertexMetrics } from './decision.js';
export { MetricsWindow, samplesOf, slopePerSecond } from './metrics-window.js';
export type { Aggregate, SubtaskSample } from './metrics-window.js';
export { AutoscalerPolicy, DEFAULT_RESTART_TIME_MS, PENDING_LIMIT_MS } from './policy.js';
export type { AutoscalerSample, AutoscalerStatus, Evaluation, RescaleOutcome, WaitCode } from './policy.js';
export { DecisionHistory } from './decision-history.js';
export type { DecisionChange, DecisionOutcome, DecisionRecord, IneffectiveScaling } from './decision-history.js';
