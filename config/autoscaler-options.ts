/**
 * The per-job autoscaler keys (a run request's `flinkConfiguration`, the dispatcher's `-D`), with the
 * Flink Kubernetes operator's names where it has one (`job.autoscaler.*`). They are part of
 * JOB_OPTIONS, so the README's per-job table lists them; autoscaler/autoscaler-options.ts reads them
 * (with the checks that involve two keys) into AutoscalerOptions.
 *
 * The defaults are for ebbflow's in-place rescale (about 2 s, nothing restarts), not for Flink's
 * restart-per-rescale (the operator assumes 5 minutes): the windows are seconds to minutes where
 * Flink's are a quarter of an hour to an hour. docs/architecture.md ("The autoscaler") says why each.
 */
import { UPPER_BOUND_MAX_PARALLELISM as MAX_PARALLELISM } from '../state/key-groups.js';
import { MAX_DURATION_MS } from './read-option.js';
import { opt } from './option.js';

const scope = 'job';

export const AUTOSCALER_OPTIONS = {
  autoscalerEnabled: opt.bool({
    key: 'job.autoscaler.enabled', scope, default: false,
    doc: 'the job follows its load: the JobMaster measures each vertex and rescales it in place (see the autoscaler keys below)',
  }),
  autoscalerScalingEnabled: opt.bool({
    key: 'job.autoscaler.scaling.enabled', scope, default: true,
    doc: '`false`: recommend only; the autoscaler computes and shows each vertex\'s parallelism but never rescales',
  }),
  autoscalerMetricsWindow: opt.duration({
    key: 'job.autoscaler.metrics.window', scope, default: 30_000, min: 1000, max: MAX_DURATION_MS, defaultDoc: '`30 s`',
    doc: 'the load and processing rates a scale-down is computed from are averaged over this long (15 samples at the 2 s metrics interval; Flink: 15 min)',
  }),
  autoscalerStabilizationInterval: opt.duration({
    key: 'job.autoscaler.stabilization.interval', scope, default: 10_000, max: MAX_DURATION_MS, defaultDoc: '`10 s`',
    doc: 'after the job starts and after every rescale (the cooldown): metrics are not used and nothing is decided for this long, while new subtasks warm up and held records drain (Flink: 5 min)',
  }),
  autoscalerUtilizationTarget: opt.number({
    key: 'job.autoscaler.utilization.target', scope, default: 0.7, min: 0.01, max: 1,
    doc: 'busy time the chosen parallelism aims at; the rest is headroom for bursts and for draining a backlog',
  }),
  autoscalerUtilizationMin: opt.number({
    key: 'job.autoscaler.utilization.min', scope, default: 0.5, min: 0, max: 1,
    doc: 'below it a vertex is over-provisioned (a scale-down is considered); between min and max nothing changes',
  }),
  autoscalerUtilizationMax: opt.number({
    key: 'job.autoscaler.utilization.max', scope, default: 0.85, min: 0.01, max: 1,
    doc: 'above it a vertex is under-provisioned (a scale-up is considered); 0.85 leaves ±15 % load noise around the target without a rescale',
  }),
  autoscalerCatchUpDuration: opt.duration({
    key: 'job.autoscaler.catch-up.duration', scope, default: 60_000, max: MAX_DURATION_MS, defaultDoc: '`60 s`',
    doc: 'a source\'s backlog (and what arrives during a rescale) must be drained within this long; `0` ignores backlogs (Flink: 30 min)',
  }),
  autoscalerScaleUpConfirmation: opt.duration({
    key: 'job.autoscaler.scale-up.confirmation', scope, default: 6000, max: MAX_DURATION_MS, defaultDoc: '`6 s`',
    doc: 'a scale-up happens once every evaluation for this long wanted one, sized from the rates of this period only (so a step is measured after it, not averaged with the load before it)',
  }),
  autoscalerScaleDownInterval: opt.duration({
    key: 'job.autoscaler.scale-down.interval', scope, default: 180_000, max: MAX_DURATION_MS, defaultDoc: '`3 min`',
    doc: 'a scale-down happens once every evaluation for this long wanted a lower parallelism, to what the last metrics window needs (Flink: 1 h)',
  }),
  autoscalerScaleDownMaxFactor: opt.number({
    key: 'job.autoscaler.scale-down.max-factor', scope, default: 0.5, min: 0, max: 1,
    doc: 'a scale-down step removes at most this share of a vertex\'s subtasks (`0.5`: at most half; `1`: no limit); a step cut short by it is followed by the next after the cooldown and a confirmation period',
  }),
  autoscalerScaleUpMaxFactor: opt.number({
    key: 'job.autoscaler.scale-up.max-factor', scope, default: 10, min: 0, max: 100_000,
    doc: 'a scale-up step adds at most this many times a vertex\'s subtasks (at least one): a guard against a broken measurement',
  }),
  autoscalerVertexMinParallelism: opt.int({
    key: 'job.autoscaler.vertex.min-parallelism', scope, default: 1, min: 1, max: MAX_PARALLELISM,
    doc: 'the autoscaler never runs a vertex below this (nor below the vertex\'s lower bound)',
  }),
  autoscalerVertexMaxParallelism: opt.int({
    key: 'job.autoscaler.vertex.max-parallelism', scope, min: 1, max: MAX_PARALLELISM,
    doc: 'the autoscaler never runs a vertex above this; it also stays within the max parallelism, a Redis Streams source\'s stream count and the vertex\'s upper bound',
  }),
  autoscalerRestartTime: opt.duration({
    key: 'job.autoscaler.restart.time', scope, max: MAX_DURATION_MS, defaultDoc: 'measured',
    doc: 'how long a rescale holds records back, for the catch-up after it; by default the longest of the job\'s last 5 rescales (5 s before the first)',
  }),
  autoscalerScaleUpBackoff: opt.duration({
    key: 'job.autoscaler.scale-up.backoff', scope, default: 60_000, min: 1000, max: MAX_DURATION_MS, defaultDoc: '`60 s`',
    doc: 'after a scale-up the resource provider could not satisfy (resource wait timeout), no scale-up for this long, doubled after each further one (at most 16 times)',
  }),
  autoscalerEffectivenessDetection: opt.bool({
    key: 'job.autoscaler.scaling.effectiveness.detection.enabled', scope, default: true,
    doc: 'check that a scale-up raised the vertex\'s processing capacity; one that did not is recorded and not repeated (Flink: `false`)',
  }),
  autoscalerEffectivenessThreshold: opt.number({
    key: 'job.autoscaler.scaling.effectiveness.threshold', scope, default: 0.1, min: 0, max: 1,
    doc: 'a scale-up is ineffective when the capacity gained is below this share of the gain predicted',
  }),
  autoscalerHistorySize: opt.int({
    key: 'job.autoscaler.history.max.count', scope, default: 20, min: 0, max: 10_000,
    doc: 'the autoscaler\'s decisions kept, with their outcomes',
  }),
};
