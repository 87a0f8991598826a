/**
 * The autoscaler's settings, read from a job's configuration map (the `job.autoscaler.*` keys declared
 * in config/autoscaler-options.ts). Each key is parsed and range-checked by its declaration; the checks
 * that involve two keys are here. Every problem is a ConfigError naming the key (a run request or a
 * PATCH answers it with 400).
 */
import { AUTOSCALER_OPTIONS as O, closestKey, ConfigError, readKey, type OptionDecl } from '../config/index.js';

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

/** Each option's field and its key's declaration. */
const FIELDS = {
  enabled: O.autoscalerEnabled,
  scalingEnabled: O.autoscalerScalingEnabled,
  metricsWindowMs: O.autoscalerMetricsWindow,
  stabilizationMs: O.autoscalerStabilizationInterval,
  utilizationTarget: O.autoscalerUtilizationTarget,
  utilizationMin: O.autoscalerUtilizationMin,
  utilizationMax: O.autoscalerUtilizationMax,
  catchUpMs: O.autoscalerCatchUpDuration,
  scaleUpConfirmationMs: O.autoscalerScaleUpConfirmation,
  scaleDownIntervalMs: O.autoscalerScaleDownInterval,
  scaleDownMaxFactor: O.autoscalerScaleDownMaxFactor,
  scaleUpMaxFactor: O.autoscalerScaleUpMaxFactor,
  vertexMinParallelism: O.autoscalerVertexMinParallelism,
  vertexMaxParallelism: O.autoscalerVertexMaxParallelism,
  restartTimeMs: O.autoscalerRestartTime,
  scaleUpBackoffMs: O.autoscalerScaleUpBackoff,
  effectivenessDetection: O.autoscalerEffectivenessDetection,
  effectivenessThreshold: O.autoscalerEffectivenessThreshold,
  historySize: O.autoscalerHistorySize,
} as const satisfies Record<keyof AutoscalerOptions, { key: string }>;

/** Every `job.autoscaler.*` key. */
export const AUTOSCALER_KEYS: readonly string[] = Object.values(FIELDS).map((d) => d.key);

/** Reads the autoscaler keys of `conf` (defaults for the absent ones); throws a ConfigError naming a bad key. */
export function readAutoscalerOptions(conf: Record<string, unknown> = {}): AutoscalerOptions {
  const o = Object.fromEntries(Object.entries(FIELDS).map(([field, d]) => [field, readKey(conf, d as OptionDecl<unknown>)])) as unknown as AutoscalerOptions;
  checkAutoscalerOptions(o, conf);
  return o;
}

/** The options as their keys (durations in ms; an option without a value, e.g. no vertex cap, as null): what the REST view shows. */
export function autoscalerConfiguration(o: AutoscalerOptions): Record<string, number | boolean | null> {
  return Object.fromEntries(Object.entries(FIELDS).map(([field, d]) => [d.key, (o[field as keyof AutoscalerOptions] as number | boolean | undefined) ?? null]));
}

/**
 * A runtime change (`PATCH /jobs/:jobid/autoscaler`) applied to the overrides made so far: each key
 * must be a `job.autoscaler.*` key (else a ConfigError naming it, with the closest key); null takes
 * an earlier override back (the job's configured value applies again). `configured` is the job's
 * configuration (with the dispatcher's defaults); the result's options are checked like a run
 * request's, so a bad value or pair throws a ConfigError naming the key.
 */
export function applyAutoscalerChange(configured: Record<string, unknown>, overrides: Record<string, unknown>, change: Record<string, unknown>): { overrides: Record<string, unknown>; options: AutoscalerOptions } {
  const next: Record<string, unknown> = { ...overrides };
  for (const [key, value] of Object.entries(change)) {
    if (!AUTOSCALER_KEYS.includes(key)) {
      const near = closestKey(key, AUTOSCALER_KEYS);
      throw new ConfigError('EBBFLOW_CONFIG_UNKNOWN_KEY', key, `${key} is not an autoscaler setting${near ? ` (did you mean ${near}?)` : ''}; the settings are the job.autoscaler.* keys`);
    }
    if (value === null) delete next[key];
    else next[key] = value;
  }
  const options = readAutoscalerOptions({ ...configured, ...next });
  return { overrides: next, options };
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
