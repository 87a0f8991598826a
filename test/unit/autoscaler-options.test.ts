/**
 * The autoscaler's keys: Flink's names, defaults for in-place rescaling, every bad value refused with
 * an error naming the key (also the checks across two keys), and the README table lists them.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/index.js';
import { DEFAULT_AUTOSCALER_OPTIONS, readAutoscalerOptions } from '../../autoscaler/index.js';
import { configDocBlocks } from '../../cli/config-docs.js';
import { compileJobConfig, configurationWarnings } from '../../jobmaster/job-config.js';

function configError(f: () => unknown): ConfigError {
  try { f(); } catch (err) { if (err instanceof ConfigError) return err; throw err; }
  throw new Error('no ConfigError');
}

describe('autoscaler options', () => {
  it('has defaults for in-place rescaling: seconds to minutes', () => {
    expect(DEFAULT_AUTOSCALER_OPTIONS).toEqual({
      enabled: false, scalingEnabled: true, metricsWindowMs: 30_000, stabilizationMs: 10_000,
      utilizationTarget: 0.7, utilizationMin: 0.5, utilizationMax: 0.85, catchUpMs: 60_000, scaleUpConfirmationMs: 6000,
      scaleDownIntervalMs: 180_000, scaleDownMaxFactor: 0.5, scaleUpMaxFactor: 10, vertexMinParallelism: 1, vertexMaxParallelism: undefined,
      restartTimeMs: undefined, scaleUpBackoffMs: 60_000, effectivenessDetection: true, effectivenessThreshold: 0.1, historySize: 20,
    });
  });

  it('reads Flink\'s key names, durations as strings', () => {
    const o = readAutoscalerOptions({
      'job.autoscaler.enabled': 'true', 'job.autoscaler.scaling.enabled': false, 'job.autoscaler.metrics.window': '1 min',
      'job.autoscaler.scale-down.interval': '5 min', 'job.autoscaler.utilization.target': '0.6', 'job.autoscaler.vertex.max-parallelism': 8,
      'job.autoscaler.restart.time': '3 s',
    });
    expect(o).toMatchObject({ enabled: true, scalingEnabled: false, metricsWindowMs: 60_000, scaleDownIntervalMs: 300_000, utilizationTarget: 0.6, vertexMaxParallelism: 8, restartTimeMs: 3000 });
  });

  it('refuses a bad value with an error naming the key', () => {
    const cases: Array<[string, unknown, string]> = [
      ['job.autoscaler.utilization.target', 1.5, 'job.autoscaler.utilization.target must be a number from 0.01 to 1, got 1.5'],
      ['job.autoscaler.metrics.window', 'soon', 'job.autoscaler.metrics.window must be a duration (milliseconds, or e.g. "500 ms", "2 s"), got "soon"'],
      ['job.autoscaler.metrics.window', 10, 'job.autoscaler.metrics.window must be at least 1000 ms, got 10'],
      ['job.autoscaler.scale-down.max-factor', -0.1, 'job.autoscaler.scale-down.max-factor must be a number from 0 to 1, got -0.1'],
      ['job.autoscaler.vertex.min-parallelism', 0, 'job.autoscaler.vertex.min-parallelism must be an integer from 1 to 32768, got 0'],
      ['job.autoscaler.enabled', 'yes', 'job.autoscaler.enabled must be true or false, got "yes"'],
    ];
    for (const [key, value, message] of cases) {
      const e = configError(() => readAutoscalerOptions({ [key]: value }));
      expect(e.setting).toBe(key);
      expect(e.message).toBe(message);
    }
  });

  it('checks the keys that go together, naming the one given', () => {
    let e = configError(() => readAutoscalerOptions({ 'job.autoscaler.utilization.min': 0.8 }));
    expect(e.setting).toBe('job.autoscaler.utilization.min');
    expect(e.message).toBe('job.autoscaler.utilization.min (0.8) must be at most job.autoscaler.utilization.target (0.7)');
    e = configError(() => readAutoscalerOptions({ 'job.autoscaler.utilization.target': 0.4 }));
    expect(e.setting).toBe('job.autoscaler.utilization.target');
    e = configError(() => readAutoscalerOptions({ 'job.autoscaler.utilization.max': 0.6 }));
    expect(e.setting).toBe('job.autoscaler.utilization.max');
    e = configError(() => readAutoscalerOptions({ 'job.autoscaler.vertex.min-parallelism': 4, 'job.autoscaler.vertex.max-parallelism': 2 }));
    expect(e.setting).toBe('job.autoscaler.vertex.max-parallelism');
    expect(e.message).toBe('job.autoscaler.vertex.max-parallelism (2) must be at least job.autoscaler.vertex.min-parallelism (4)');
    expect(readAutoscalerOptions({ 'job.autoscaler.utilization.min': 0.2, 'job.autoscaler.utilization.target': 0.3, 'job.autoscaler.utilization.max': 0.3 }).utilizationMax).toBe(0.3);
  });

  it('is checked with the rest of a job\'s configuration (the run request, the dispatcher\'s -D), and known', () => {
    expect(compileJobConfig({ 'job.autoscaler.enabled': true }).autoscaler).toMatchObject({ enabled: true, metricsWindowMs: 30_000 });
    const e = configError(() => compileJobConfig({ 'job.autoscaler.scale-up.max-factor': 'lots' }));
    expect(e.setting).toBe('job.autoscaler.scale-up.max-factor');
    expect(configurationWarnings({ 'job.autoscaler.catch-up.duration': '2 min', 'job.autoscaler.utilisation.target': 0.6 })).toEqual([
      'unknown configuration key "job.autoscaler.utilisation.target" ignored; did you mean "job.autoscaler.utilization.target"?',
    ]);
  });

  it('is in the README\'s per-job table', () => {
    const table = configDocBlocks().job!;
    expect(table).toContain('| `job.autoscaler.metrics.window` | `30 s` |');
    expect(table).toContain('| `job.autoscaler.restart.time` | measured |');
    expect(table).toContain('| `job.autoscaler.vertex.max-parallelism` | none |');
  });
});
