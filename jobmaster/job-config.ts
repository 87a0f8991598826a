/**
 * Per-job settings, given in the run request's `flinkConfiguration` map with
 * Flink's key names, so Flink users recognise them; the keys are declared in
 * config/job-options.ts (with the address keys and every resource provider's
 * keys). Durations accept a number of milliseconds or a string like "500 ms",
 * "2 s", "1 min". Bad values are refused with a ConfigError naming the key; keys
 * ebbflow does not know are ignored with a warning naming the closest known key.
 */
import { readAutoscalerOptions, type AutoscalerOptions } from '../autoscaler/index.js';
import { ADDRESS_OPTIONS, ConfigError, JOB_OPTIONS as O, parseAddressSettings, readKey, unknownKeyWarning } from '../config/index.js';
import { providerKeyOptions, RESOURCE_PROVIDERS, type ResourceProvider } from '../resourcemanager/index.js';
import { localPath, storageFor } from '../runtime/checkpoint/checkpoint-storage.js';
import { isS3Path, normalizeS3Path } from '../runtime/checkpoint/s3-location.js';
import type { S3Settings } from '../runtime/checkpoint/s3-settings.js';
import type { InternalSslSettings } from '../runtime/network/tls.js';

/** A configuration error (the same class as every ConfigError; the run request answers it with 400). */
export { ConfigError as JobConfigError } from '../config/index.js';

export type RestartStrategy =
  | { type: 'none' }
  | { type: 'fixed-delay'; attempts: number; delayMs: number }
  | { type: 'exponential-delay'; attempts: number; initialBackoffMs: number; maxBackoffMs: number; multiplier: number };

export interface JobConfig {
  /** `execution.checkpointing.interval`; 0 disables checkpoints. @default 1000 */
  checkpointIntervalMs: number;
  /** `execution.checkpointing.trigger-on-caught-up`: a checkpoint at once when the sources caught up with a burst. @default true */
  checkpointOnCaughtUp: boolean;
  /** `execution.checkpointing.trigger-on-output`: a checkpoint at once for sparse output waiting in an exactly-once sink. @default true */
  checkpointOnOutput: boolean;
  /** `taskmanager.node.max-semi-space-size` (MiB, 0: Node's); read here so that a bad value fails the submission, used by the providers. */
  taskManagerSemiSpaceMb: number;
  /** `execution.checkpointing.timeout` @default 60000 */
  checkpointTimeoutMs: number;
  /** `ebbflow.storage.timeout`: deadline of each checkpoint storage call. @default 60000 */
  storageTimeoutMs: number;
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
  /** `ebbflow.metrics.enabled`: collect and publish the job's metrics. @default true */
  metricsEnabled: boolean;
  /** `metrics.fetcher.update-interval`: how often the metrics snapshot is published. @default 2000 */
  metricsIntervalMs: number;
  /** `ebbflow.rpc.max-frame-size`: largest JobMaster ↔ TaskManager message, in bytes. @default 16 MiB */
  rpcMaxFrameBytes: number;
  /** `ebbflow.network.max-frame-size`: largest data frame between TaskManagers, in bytes. @default 64 MiB */
  networkMaxFrameBytes: number;
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
  /** `web.adaptive-scheduler.rescale-history.size`: rescales kept in the job's history (0: none recorded). @default 20 */
  rescaleHistorySize: number;
  /** `rescale.migration.max-batch-bytes`: state moved per barrier of an in-place rescale; 0 = all at once. @default 2 MiB */
  rescaleMaxBatchBytes: number;
  /** `rescale.migration.pace`: a batch's checkpoint as soon as the one before is loaded, or in place of the next periodic one. @default 'immediate' */
  rescaleMigrationPace: 'immediate' | 'checkpoint-interval';
  /** `resourcemanager.start-worker.retry-interval`: after a TaskManager is lost, wait before requesting another. @default 0 */
  workerRetryIntervalMs: number;
  /** `taskmanager.registration.timeout`: how long a TaskManager that lost its JobMaster waits for a new one (0: exits at once). @default 30000 */
  taskManagerRegistrationTimeoutMs: number;
  /** `resourcemanager.previous-worker.recovery.timeout`: how long a new job process waits for the earlier one's TaskManagers. @default 5000 */
  previousWorkerRecoveryTimeoutMs: number;
  /** `security.ssl.internal.*`: mutual TLS on the internal channels; undefined when off. @default off */
  internalSsl: InternalSslSettings | undefined;
  /** `job.autoscaler.*` (checked here so a bad value refuses the run request). @default off */
  autoscaler: AutoscalerOptions;
  /** `s3.*`: how `s3://` checkpoint and savepoint locations are reached. @default AWS, the SDK's credential chain */
  s3: S3Settings;
}

/** Every key a job's configuration may hold: the job keys, the address keys and each provider's keys (the registered ones by default). */
export function knownConfigurationKeys(providers: readonly ResourceProvider[] = RESOURCE_PROVIDERS): string[] {
  return [...Object.values(O), ...Object.values(ADDRESS_OPTIONS), ...providerKeyOptions(providers)].map((d) => d.key);
}

/** Warnings about the keys of a configuration map ebbflow does not know (they are ignored), each with the closest known key. */
export function configurationWarnings(raw: Record<string, unknown> | undefined, providers: readonly ResourceProvider[] = RESOURCE_PROVIDERS): string[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const known = knownConfigurationKeys(providers);
  return Object.keys(raw).filter((k) => !known.includes(k)).map((k) => unknownKeyWarning(k, known));
}

/**
 * A checkpoint or savepoint directory: a path or `file://` URL (given as a local path), or an
 * `s3://bucket/prefix` URL (normalised); other schemes are refused.
 */
function storageDir(c: Record<string, unknown>, d: typeof O.checkpointDir): string | undefined {
  const dir = readKey(c, d);
  if (dir === undefined) return undefined;
  try {
    storageFor(dir, DEFAULT_S3);
    return isS3Path(dir) ? normalizeS3Path(dir) : localPath(dir);
  } catch (err) {
    throw new ConfigError('EBBFLOW_CONFIG_INVALID', d.key, `${d.key}: ${(err as Error).message}`);
  }
}

const DEFAULT_S3: S3Settings = { pathStyle: false };

/** `s3.*`: an access key and a secret key go together. */
export function readS3Settings(c: Record<string, unknown>): S3Settings {
  const accessKey = readKey(c, O.s3AccessKey);
  const secretKey = readKey(c, O.s3SecretKey);
  if ((accessKey === undefined) !== (secretKey === undefined)) {
    const missing = accessKey === undefined ? O.s3AccessKey : O.s3SecretKey;
    throw new ConfigError('EBBFLOW_CONFIG_MISSING', missing.key, `${missing.key} is required with ${missing === O.s3AccessKey ? O.s3SecretKey.key : O.s3AccessKey.key}`);
  }
  const endpoint = readKey(c, O.s3Endpoint)?.trim();
  return {
    pathStyle: readKey(c, O.s3PathStyle)!,
    ...(endpoint ? { endpoint } : {}), ...(readKey(c, O.s3Region) ? { region: readKey(c, O.s3Region) } : {}),
    ...(accessKey !== undefined ? { accessKey, secretKey } : {}),
  };
}

/** `security.ssl.internal.*`: with `enabled`, the keystore and truststore are required. */
function internalSsl(c: Record<string, unknown>): InternalSslSettings | undefined {
  if (!readKey(c, O.internalSslEnabled)) return undefined;
  const keystore = readKey(c, O.internalSslKeystore);
  const truststore = readKey(c, O.internalSslTruststore);
  for (const [d, v] of [[O.internalSslKeystore, keystore], [O.internalSslTruststore, truststore]] as const) {
    if (v === undefined) throw new ConfigError('EBBFLOW_CONFIG_MISSING', d.key, `${d.key} is required when ${O.internalSslEnabled.key} is true`);
  }
  return { keystore: keystore!, truststore: truststore!, keyPassword: readKey(c, O.internalSslKeyPassword) };
}

function restartStrategy(c: Record<string, unknown>): RestartStrategy {
  switch (readKey(c, O.restartStrategy)) {
    case 'none': return { type: 'none' };
    case 'exponential-delay': return {
      type: 'exponential-delay',
      attempts: readKey(c, O.exponentialAttempts)!,
      initialBackoffMs: readKey(c, O.exponentialInitialBackoff)!,
      maxBackoffMs: readKey(c, O.exponentialMaxBackoff)!,
      multiplier: readKey(c, O.exponentialMultiplier)!,
    };
    default: return { type: 'fixed-delay', attempts: readKey(c, O.fixedDelayAttempts)!, delayMs: readKey(c, O.fixedDelay)! };
  }
}

/**
 * Validates a `flinkConfiguration` map and applies defaults: the job keys, the address keys and the
 * keys of every registered resource provider are checked (a bad value throws a ConfigError naming
 * the key); unknown keys are ignored (see configurationWarnings).
 */
export function compileJobConfig(raw: Record<string, unknown> | undefined, providers: readonly ResourceProvider[] = RESOURCE_PROVIDERS): JobConfig {
  const c: Record<string, unknown> = raw ?? {};
  if (typeof c !== 'object' || Array.isArray(c)) throw new ConfigError('EBBFLOW_CONFIG_TYPE', 'flinkConfiguration', 'flinkConfiguration must be an object of key → value');
  parseAddressSettings(c);
  for (const p of providers) p.validate(c);
  return {
    checkpointIntervalMs: readKey(c, O.checkpointInterval)!,
    checkpointOnCaughtUp: readKey(c, O.checkpointOnCaughtUp)!,
    checkpointOnOutput: readKey(c, O.checkpointOnOutput)!,
    taskManagerSemiSpaceMb: readKey(c, O.taskManagerSemiSpaceMb)!,
    checkpointTimeoutMs: readKey(c, O.checkpointTimeout)!,
    storageTimeoutMs: readKey(c, O.storageTimeout)!,
    checkpointsRetained: readKey(c, O.checkpointsRetained)!,
    tolerableCheckpointFailures: readKey(c, O.tolerableCheckpointFailures)!,
    checkpointDir: storageDir(c, O.checkpointDir),
    savepointDir: storageDir(c, O.savepointDir),
    restartStrategy: restartStrategy(c),
    maxParallelism: readKey(c, O.maxParallelism),
    heartbeatTimeoutMs: readKey(c, O.heartbeatTimeout)!,
    heartbeatIntervalMs: readKey(c, O.heartbeatInterval)!,
    metricsEnabled: readKey(c, O.metricsEnabled)!,
    metricsIntervalMs: readKey(c, O.metricsInterval)!,
    rpcMaxFrameBytes: readKey(c, O.rpcMaxFrameSize)!,
    networkMaxFrameBytes: readKey(c, O.networkMaxFrameSize)!,
    resourceWaitTimeoutMs: readKey(c, O.resourceWaitTimeout),
    resourceStabilizationTimeoutMs: readKey(c, O.resourceStabilizationTimeout)!,
    rescaleHistorySize: readKey(c, O.rescaleHistorySize)!,
    rescaleMaxBatchBytes: readKey(c, O.rescaleMaxBatchBytes)!,
    rescaleMigrationPace: readKey(c, O.rescaleMigrationPace)!,
    workerRetryIntervalMs: readKey(c, O.workerRetryInterval)!,
    taskManagerRegistrationTimeoutMs: readKey(c, O.taskManagerRegistrationTimeout)!,
    previousWorkerRecoveryTimeoutMs: readKey(c, O.previousWorkerRecoveryTimeout)!,
    internalSsl: internalSsl(c),
    autoscaler: readAutoscalerOptions(c),
    s3: readS3Settings(c),
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
