/**
 * Per-job settings, given in the run request's `flinkConfiguration` map with
 * Flink's key names, so Flink users recognise them. Durations accept a number
 * of milliseconds or a string like "500 ms", "2 s", "1 min". Unknown keys and
 * bad values are refused with a message naming the key.
 */
import { ADDRESS_KEYS, MESOS_KEYS, validateResourceKeys } from '../resourcemanager/mesos/mesos-config.js';
import { localPath, storageFor } from '../runtime/checkpoint/checkpoint-storage.js';

export type RestartStrategy =
  | { type: 'none' }
  | { type: 'fixed-delay'; attempts: number; delayMs: number }
  | { type: 'exponential-delay'; attempts: number; initialBackoffMs: number; maxBackoffMs: number; multiplier: number };

export interface JobConfig {
  /** `execution.checkpointing.interval`; 0 disables checkpoints. @default 1000 */
  checkpointIntervalMs: number;
  /** `execution.checkpointing.timeout` @default 60000 */
  checkpointTimeoutMs: number;
  /** `state.checkpoints.num-retained` @default 3 */
  checkpointsRetained: number;
  /** `execution.checkpointing.tolerable-failed-checkpoints`: consecutive failures tolerated before the job fails. @default 10 */
  tolerableCheckpointFailures: number;
  /** `state.checkpoints.dir`: checkpoints go to <dir>/<jobId>/chk-<n>. @default <dataDir>/checkpoints */
  checkpointDir: string | undefined;
  /** `state.savepoints.dir` @default <dataDir>/savepoints */
  savepointDir: string | undefined;
  /** `restart-strategy.type` and its options. @default fixed-delay, 5 attempts, 1 s */
  restartStrategy: RestartStrategy;
  /** `pipeline.max-parallelism` @default derived from the parallelism (at least 128) */
  maxParallelism: number | undefined;
  /** `heartbeat.timeout`: a TaskManager silent this long is lost. @default 5000 */
  heartbeatTimeoutMs: number;
  /** `heartbeat.interval` @default 1000 */
  heartbeatIntervalMs: number;
  /**
   * `jobmanager.adaptive-scheduler.resource-wait-timeout`: how long a start, restart or rescale waits for
   * the TaskManagers it needs before it fails. @default the dispatcher's slot request timeout (60 s)
   */
  resourceWaitTimeoutMs: number | undefined;
  /**
   * `jobmanager.adaptive-scheduler.resource-stabilization-timeout`: with fewer slots than the requirements
   * ask for but enough for their lower bounds, wait this long for more before running with what there is
   * (also before scaling back up when slots return). @default 10000
   */
  resourceStabilizationTimeoutMs: number;
  /** `resourcemanager.start-worker.retry-interval`: after a TaskManager is lost, wait before requesting another. @default 0 */
  workerRetryIntervalMs: number;
}

export const DEFAULT_JOB_CONFIG: JobConfig = {
  checkpointIntervalMs: 1000,
  checkpointTimeoutMs: 60000,
  checkpointsRetained: 3,
  tolerableCheckpointFailures: 10,
  checkpointDir: undefined,
  savepointDir: undefined,
  restartStrategy: { type: 'fixed-delay', attempts: 5, delayMs: 1000 },
  maxParallelism: undefined,
  heartbeatTimeoutMs: 5000,
  heartbeatIntervalMs: 1000,
  resourceWaitTimeoutMs: undefined,
  resourceStabilizationTimeoutMs: 10000,
  workerRetryIntervalMs: 0,
};

export class JobConfigError extends Error {
  override readonly name = 'JobConfigError';
}

const UNITS: Record<string, number> = { ms: 1, milli: 1, millis: 1, s: 1000, sec: 1000, second: 1000, seconds: 1000, min: 60000, m: 60000, minute: 60000, minutes: 60000, h: 3600000, hour: 3600000, hours: 3600000 };

/** Node's timers hold at most 2^31 − 1 ms (about 24.8 days); longer delays fire at once. */
export const MAX_DURATION_MS = 2_147_483_647;

export function parseDuration(key: string, v: unknown): number {
  let ms: number | undefined;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) ms = Math.round(v);
  else if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
    const unit = m?.[2]?.toLowerCase() || 'ms';
    if (m && UNITS[unit] !== undefined) ms = Math.round(Number(m[1]) * UNITS[unit]!);
  }
  if (ms === undefined) throw new JobConfigError(`${key} must be a duration (milliseconds, or e.g. "500 ms", "2 s"), got ${short(v)}`);
  if (ms > MAX_DURATION_MS) throw new JobConfigError(`${key} must be at most ${MAX_DURATION_MS} ms (about 24.8 days), got ${short(v)}`);
  return ms;
}

function atLeast(key: string, ms: number, min: number): number {
  if (ms < min) throw new JobConfigError(`${key} must be at least ${min} ms, got ${ms}`);
  return ms;
}

/** A value for an error message, cut short (values may be huge or deeply nested). */
function short(v: unknown): string {
  let text: string;
  try { text = JSON.stringify(v) ?? String(v); } catch { text = typeof v; }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function parseInt(key: string, v: unknown, min: number, max = 1_000_000): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new JobConfigError(`${key} must be an integer from ${min} to ${max}, got ${short(v)}`);
  return n;
}

function parseNumber(key: string, v: unknown, min: number, max = 1000): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) throw new JobConfigError(`${key} must be a number from ${min} to ${max}, got ${short(v)}`);
  return n;
}

/** A checkpoint or savepoint directory: a path or `file://` URL (given as a local path); other schemes are refused. */
function parseStorageDir(key: string, v: unknown): string {
  if (typeof v !== 'string' || !v.trim()) throw new JobConfigError(`${key} must be a directory path, got ${short(v)}`);
  try {
    storageFor(v);
  } catch (err) {
    throw new JobConfigError(`${key}: ${(err as Error).message}`);
  }
  return localPath(v);
}

const KEYS = [
  'execution.checkpointing.interval', 'execution.checkpointing.timeout', 'state.checkpoints.num-retained',
  'execution.checkpointing.tolerable-failed-checkpoints', 'state.checkpoints.dir', 'state.savepoints.dir', 'restart-strategy.type',
  'restart-strategy.fixed-delay.attempts', 'restart-strategy.fixed-delay.delay', 'restart-strategy.exponential-delay.attempts',
  'restart-strategy.exponential-delay.initial-backoff', 'restart-strategy.exponential-delay.max-backoff',
  'restart-strategy.exponential-delay.backoff-multiplier', 'pipeline.max-parallelism', 'heartbeat.timeout', 'heartbeat.interval',
  'jobmanager.adaptive-scheduler.resource-wait-timeout', 'jobmanager.adaptive-scheduler.resource-stabilization-timeout',
  'resourcemanager.start-worker.retry-interval',
] as const;

/** Keys of the resource provider and of the addresses (resourcemanager/mesos/mesos-config.ts reads them). */
const RESOURCE_KEYS: readonly string[] = [...MESOS_KEYS, ...ADDRESS_KEYS];

/** Validates a `flinkConfiguration` map and applies defaults. */
export function compileJobConfig(raw: Record<string, unknown> | undefined): JobConfig {
  const c: Record<string, unknown> = raw ?? {};
  if (typeof c !== 'object' || Array.isArray(c)) throw new JobConfigError('flinkConfiguration must be an object of key → value');
  for (const k of Object.keys(c)) {
    if (!(KEYS as readonly string[]).includes(k) && !RESOURCE_KEYS.includes(k)) throw new JobConfigError(`unknown configuration key "${k}"; known keys: ${[...KEYS, ...RESOURCE_KEYS].join(', ')}`);
  }
  try {
    validateResourceKeys(c);
  } catch (err) {
    throw new JobConfigError((err as Error).message);
  }
  const d = DEFAULT_JOB_CONFIG;
  const get = <T>(k: (typeof KEYS)[number], parse: (key: string, v: unknown) => T, def: T): T => (c[k] === undefined ? def : parse(k, c[k]));
  const type = get('restart-strategy.type', (k, v) => {
    const s = String(v).toLowerCase().replace('fixeddelay', 'fixed-delay').replace('exponentialdelay', 'exponential-delay');
    if (!['none', 'disable', 'off', 'fixed-delay', 'exponential-delay'].includes(s)) throw new JobConfigError(`${k} must be none, fixed-delay or exponential-delay, got ${short(v)}`);
    return ['disable', 'off'].includes(s) ? 'none' : s;
  }, d.restartStrategy.type);
  let restartStrategy: RestartStrategy;
  if (type === 'none') restartStrategy = { type: 'none' };
  else if (type === 'exponential-delay') {
    restartStrategy = {
      type: 'exponential-delay',
      attempts: get('restart-strategy.exponential-delay.attempts', (k, v) => parseInt(k, v, 0), 10),
      initialBackoffMs: get('restart-strategy.exponential-delay.initial-backoff', parseDuration, 1000),
      maxBackoffMs: get('restart-strategy.exponential-delay.max-backoff', parseDuration, 60000),
      multiplier: get('restart-strategy.exponential-delay.backoff-multiplier', (k, v) => parseNumber(k, v, 1), 2),
    };
  } else {
    restartStrategy = {
      type: 'fixed-delay',
      attempts: get('restart-strategy.fixed-delay.attempts', (k, v) => parseInt(k, v, 0), 5),
      delayMs: get('restart-strategy.fixed-delay.delay', parseDuration, 1000),
    };
  }
  const checkpointIntervalMs = get('execution.checkpointing.interval', parseDuration, d.checkpointIntervalMs);
  if (checkpointIntervalMs > 0 && checkpointIntervalMs < 10) throw new JobConfigError(`execution.checkpointing.interval must be 0 (off) or at least 10 ms, got ${checkpointIntervalMs}`);
  return {
    checkpointIntervalMs,
    checkpointTimeoutMs: get('execution.checkpointing.timeout', parseDuration, d.checkpointTimeoutMs),
    checkpointsRetained: get('state.checkpoints.num-retained', (k, v) => parseInt(k, v, 1), d.checkpointsRetained),
    tolerableCheckpointFailures: get('execution.checkpointing.tolerable-failed-checkpoints', (k, v) => parseInt(k, v, 0), d.tolerableCheckpointFailures),
    checkpointDir: get('state.checkpoints.dir', parseStorageDir, d.checkpointDir),
    savepointDir: get('state.savepoints.dir', parseStorageDir, d.savepointDir),
    restartStrategy,
    maxParallelism: get('pipeline.max-parallelism', (k, v) => parseInt(k, v, 1, 32768), d.maxParallelism),
    heartbeatTimeoutMs: get('heartbeat.timeout', (k, v) => atLeast(k, parseDuration(k, v), 100), d.heartbeatTimeoutMs),
    heartbeatIntervalMs: get('heartbeat.interval', (k, v) => atLeast(k, parseDuration(k, v), 10), d.heartbeatIntervalMs),
    resourceWaitTimeoutMs: get('jobmanager.adaptive-scheduler.resource-wait-timeout', parseDuration, d.resourceWaitTimeoutMs),
    resourceStabilizationTimeoutMs: get('jobmanager.adaptive-scheduler.resource-stabilization-timeout', parseDuration, d.resourceStabilizationTimeoutMs),
    workerRetryIntervalMs: get('resourcemanager.start-worker.retry-interval', parseDuration, d.workerRetryIntervalMs),
  };
}

/** Delay before restart number `attempt` (1-based), or undefined when no attempt is left. */
export function restartDelay(s: RestartStrategy, attempt: number): number | undefined {
  switch (s.type) {
    case 'none': return undefined;
    case 'fixed-delay': return attempt <= s.attempts ? s.delayMs : undefined;
    case 'exponential-delay':
      return attempt <= s.attempts ? Math.min(s.maxBackoffMs, s.initialBackoffMs * s.multiplier ** (attempt - 1)) : undefined;
  }
}
