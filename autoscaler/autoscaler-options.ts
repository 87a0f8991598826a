/**
 * The autoscaler's settings, read from a job's configuration map (the `job.autoscaler.*` keys declared
 * in config/autoscaler-options.ts). Each key is parsed and range-checked by its declaration; the checks
 * that involve two keys are here. Every problem is a ConfigError naming the key (a run request or a
 * PATCH answers it with 400).
 */
import { AUTOSCALER_OPTIONS as O, ConfigError, readKey } from '../config/index.js';

export interface AutoscalerOptions {
  /** `job.autoscaler.enabled` */
  enabled: boolean;
  /** `job.autoscaler.scaling.enabled`; false = recommend only. */
  scalingEnabled: boolean;
  metricsWindowMs: number;
  stabilizationMs: number;
  utilizationTarget: number;
  utilizationMin: number;
  utilizationMax: number;
  /** 0: backlogs are ignored. */
  catchUpMs: number;
  scaleUpConfirmationMs: number;
  scaleDownIntervalMs: number;
  scaleDownMaxFactor: number;
  scaleUpMaxFactor: number;
  vertexMinParallelism: number;
  /** Undefined: no autoscaler-wide cap (the vertex's own limits still apply). */
  vertexMaxParallelism: number | undefined;
  /** Undefined: measured from the job's own rescales. */
  restartTimeMs: number | undefined;
  scaleUpBackoffMs: number;
  effectivenessDetection: boolean;
  effectivenessThreshold: number;
  historySize: number;
}

/** Reads the autoscaler keys of `conf` (defaults for the absent ones); throws a ConfigError naming a bad key. */
export function readAutoscalerOptions(conf: Record<string, unknown> = {}): AutoscalerOptions {
  const o: AutoscalerOptions = {
    enabled: readKey(conf, O.autoscalerEnabled)!,
    scalingEnabled: readKey(conf, O.autoscalerScalingEnabled)!,
    metricsWindowMs: readKey(conf, O.autoscalerMetricsWindow)!,
    stabilizationMs: readKey(conf, O.autoscalerStabilizationInterval)!,
    utilizationTarget: readKey(conf, O.autoscalerUtilizationTarget)!,
    utilizationMin: readKey(conf, O.autoscalerUtilizationMin)!,
    utilizationMax: readKey(conf, O.autoscalerUtilizationMax)!,
    catchUpMs: readKey(conf, O.autoscalerCatchUpDuration)!,
    scaleUpConfirmationMs: readKey(conf, O.autoscalerScaleUpConfirmation)!,
    scaleDownIntervalMs: readKey(conf, O.autoscalerScaleDownInterval)!,
    scaleDownMaxFactor: readKey(conf, O.autoscalerScaleDownMaxFactor)!,
    scaleUpMaxFactor: readKey(conf, O.autoscalerScaleUpMaxFactor)!,
    vertexMinParallelism: readKey(conf, O.autoscalerVertexMinParallelism)!,
    vertexMaxParallelism: readKey(conf, O.autoscalerVertexMaxParallelism),
    restartTimeMs: readKey(conf, O.autoscalerRestartTime),
    scaleUpBackoffMs: readKey(conf, O.autoscalerScaleUpBackoff)!,
    effectivenessDetection: readKey(conf, O.autoscalerEffectivenessDetection)!,
    effectivenessThreshold: readKey(conf, O.autoscalerEffectivenessThreshold)!,
    historySize: readKey(conf, O.autoscalerHistorySize)!,
  };
  checkAutoscalerOptions(o, conf);
  return o;
}

/** The defaults of every key. */
export const DEFAULT_AUTOSCALER_OPTIONS: Readonly<AutoscalerOptions> = Object.freeze(readAutoscalerOptions());

/**
 * The checks across keys: min ≤ target ≤ max utilisation, min ≤ max parallelism. The error's setting
 * is the key of the pair the configuration gave (the one to fix), or the first when neither was given.
 */
export function checkAutoscalerOptions(o: AutoscalerOptions, conf: Record<string, unknown> = {}): void {
  type Key = { key: string };
  const check = (ok: boolean, a: Key, av: unknown, relation: string, b: Key, bv: unknown) => {
    if (ok) return;
    const setting = conf[b.key] !== undefined && conf[a.key] === undefined ? b.key : a.key;
    throw new ConfigError('EBBFLOW_CONFIG_RANGE', setting, `${a.key} (${av}) must be ${relation} ${b.key} (${bv})`);
  };
  check(o.utilizationMin <= o.utilizationTarget, O.autoscalerUtilizationMin, o.utilizationMin, 'at most', O.autoscalerUtilizationTarget, o.utilizationTarget);
  check(o.utilizationMax >= o.utilizationTarget, O.autoscalerUtilizationMax, o.utilizationMax, 'at least', O.autoscalerUtilizationTarget, o.utilizationTarget);
  if (o.vertexMaxParallelism !== undefined) {
    check(o.vertexMaxParallelism >= o.vertexMinParallelism, O.autoscalerVertexMaxParallelism, o.vertexMaxParallelism, 'at least', O.autoscalerVertexMinParallelism, o.vertexMinParallelism);
  }
}
