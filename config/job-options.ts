/**
 * The per-job keys (a run request's `flinkConfiguration`, with Flink's names):
 * checkpoints, restarts, heartbeats, scheduling, frame limits, the autoscaler. jobmaster/job-config.ts reads
 * them into a JobConfig; the README's per-job table is generated from here.
 */
import { UPPER_BOUND_MAX_PARALLELISM } from '../state/key-groups.js';
import { DEFAULT_STORAGE_TIMEOUT_MS } from '../runtime/checkpoint/storage-deadline.js';
import { MAX_DURATION_MS } from './read-option.js';
import { opt } from './option.js';
import { AUTOSCALER_OPTIONS } from './autoscaler-options.js';

const scope = 'job';

/** `restart-strategy.type` values, with Flink's other spellings. */
export const RESTART_STRATEGIES = ['none', 'fixed-delay', 'exponential-delay'] as const;

/** Every per-job key, by what it sets. */
export const JOB_OPTIONS = {
  checkpointInterval: opt.duration({
    key: 'execution.checkpointing.interval', scope, default: 1000, max: MAX_DURATION_MS,
    check: (ms) => (ms > 0 && ms < 10 ? 'must be 0 (off) or at least 10 ms' : undefined),
    defaultDoc: '`1000` ms', doc: 'how often a checkpoint starts; `0` disables checkpoints and exactly-once output',
  }),
  checkpointOnCaughtUp: opt.bool({
    key: 'execution.checkpointing.trigger-on-caught-up', scope, default: true,
    doc: 'with periodic checkpoints, start one at once when every source subtask that was behind its input (reading full batches) has caught up, instead of at the next interval, and count the interval from then: the output of a burst is published (exactly-once sinks) as soon as it is processed; a steady input that sources keep up with triggers nothing extra',
  }),
  checkpointOnOutput: opt.bool({
    key: 'execution.checkpointing.trigger-on-output', scope, default: true,
    doc: 'with periodic checkpoints, start one at once when an exactly-once sink gets output after a checkpoint that took none (sparse output such as the alerts of a window that just fired), instead of letting it wait for the next interval, and count the interval from then; output that flows at every checkpoint triggers nothing extra',
  }),
  checkpointTimeout: opt.duration({
    key: 'execution.checkpointing.timeout', scope, default: 60000, max: MAX_DURATION_MS,
    doc: 'a checkpoint or savepoint not complete by then (its `_metadata` written) fails; a savepoint waits at most this long for the checkpoint in progress',
  }),
  storageTimeout: opt.duration({
    key: 'ebbflow.storage.timeout', scope, default: DEFAULT_STORAGE_TIMEOUT_MS, min: 100, max: MAX_DURATION_MS, defaultDoc: '`60 s`',
    doc: 'deadline of each checkpoint storage call (mkdir, open, write, read, list, delete) of the JobMaster and TaskManagers; one past it fails its checkpoint, savepoint, rescale or restore with `EBBFLOW_STORAGE_TIMEOUT`',
  }),
  tolerableCheckpointFailures: opt.int({
    key: 'execution.checkpointing.tolerable-failed-checkpoints', scope, default: 10, min: 0, max: 1_000_000,
    doc: 'consecutive failed checkpoints tolerated before the job fails',
  }),
  checkpointsRetained: opt.int({ key: 'state.checkpoints.num-retained', scope, default: 3, min: 1, max: 1_000_000, doc: 'completed checkpoints kept' }),
  checkpointDir: opt.string({
    key: 'state.checkpoints.dir', scope, expected: 'a directory path', check: (v) => (v.trim() ? undefined : 'must be a directory path'),
    defaultDoc: '`<data-dir>/checkpoints`', doc: 'checkpoints go to `<dir>/<jobid>/chk-<n>` (a path, a `file://` URL, or `s3://bucket/prefix`)',
  }),
  savepointDir: opt.string({
    key: 'state.savepoints.dir', scope, expected: 'a directory path', check: (v) => (v.trim() ? undefined : 'must be a directory path'),
    defaultDoc: '`<data-dir>/savepoints`', doc: 'where savepoints go (a path, a `file://` URL, or `s3://bucket/prefix`)',
  }),
  // S3 for `s3://` state locations, with the names of Flink's S3 filesystems (runtime/checkpoint/s3-settings.ts).
  s3Endpoint: opt.string({
    key: 's3.endpoint', scope, expected: 'an http:// or https:// URL',
    check: (v) => (/^https?:\/\/[^\s/@]+(\/[^\s]*)?$/i.test(v.trim()) ? undefined : 'must be an http:// or https:// URL without user info (credentials go in s3.access-key and s3.secret-key)'),
    defaultDoc: 'AWS S3', doc: 'the S3-compatible store `s3://` locations are on (MinIO, Ceph RGW: e.g. `http://127.0.0.1:9000`)',
  }),
  s3PathStyle: opt.bool({
    key: 's3.path.style.access', scope, default: false,
    doc: 'address buckets as `<endpoint>/<bucket>` instead of `<bucket>.<endpoint>` (most S3-compatible stores want `true`)',
  }),
  s3Region: opt.string({
    key: 's3.region', scope, defaultDoc: '`AWS_REGION`, else `us-east-1`', doc: 'the region requests are signed for',
  }),
  s3AccessKey: opt.string({
    key: 's3.access-key', scope, defaultDoc: 'the AWS SDK\'s default chain', doc: 'access key id for `s3://` locations (with `s3.secret-key`); unset, credentials come from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` or `~/.aws/`',
  }),
  s3SecretKey: opt.string({
    key: 's3.secret-key', scope, defaultDoc: 'the AWS SDK\'s default chain', doc: 'secret access key (masked in answers and logs; TaskManagers get it in their registration answer, never in argv or their environment)',
  }),
  restartStrategy: opt.enum(RESTART_STRATEGIES, {
    key: 'restart-strategy.type', scope, default: 'fixed-delay',
    aliases: { disable: 'none', off: 'none', fixeddelay: 'fixed-delay', exponentialdelay: 'exponential-delay' },
    doc: 'what a failure does: restart after a fixed delay, with an exponential backoff, or fail the job',
  }),
  fixedDelayAttempts: opt.int({ key: 'restart-strategy.fixed-delay.attempts', scope, default: 5, min: 0, max: 1_000_000, doc: 'restarts before the job fails' }),
  fixedDelay: opt.duration({ key: 'restart-strategy.fixed-delay.delay', scope, default: 1000, max: MAX_DURATION_MS, defaultDoc: '`1 s`', doc: 'wait before each restart' }),
  exponentialAttempts: opt.int({ key: 'restart-strategy.exponential-delay.attempts', scope, default: 10, min: 0, max: 1_000_000, doc: 'restarts before the job fails' }),
  exponentialInitialBackoff: opt.duration({
    key: 'restart-strategy.exponential-delay.initial-backoff', scope, default: 1000, max: MAX_DURATION_MS, defaultDoc: '`1 s`', doc: 'wait before the first restart',
  }),
  exponentialMaxBackoff: opt.duration({
    key: 'restart-strategy.exponential-delay.max-backoff', scope, default: 60000, max: MAX_DURATION_MS, defaultDoc: '`60 s`', doc: 'the longest wait',
  }),
  exponentialMultiplier: opt.number({
    key: 'restart-strategy.exponential-delay.backoff-multiplier', scope, default: 2, min: 1, max: 1000, doc: 'each wait is the previous one times this',
  }),
  maxParallelism: opt.int({
    key: 'pipeline.max-parallelism', scope, min: 1, max: UPPER_BOUND_MAX_PARALLELISM,
    defaultDoc: '`max(128, roundUpPow2(1.5 × parallelism))`', doc: 'key groups: the most subtasks a keyed vertex can ever run (fixed for the job\'s life)',
  }),
  heartbeatInterval: opt.duration({ key: 'heartbeat.interval', scope, default: 1000, min: 10, max: MAX_DURATION_MS, defaultDoc: '`1000` ms', doc: 'how often TaskManagers send heartbeats' }),
  heartbeatTimeout: opt.duration({
    key: 'heartbeat.timeout', scope, default: 5000, min: 100, max: MAX_DURATION_MS, defaultDoc: '`5000` ms', doc: 'a TaskManager silent this long is lost (and killed)',
  }),
  metricsEnabled: opt.bool({
    key: 'ebbflow.metrics.enabled', scope, default: true,
    doc: 'collect the job\'s metrics: subtasks count records, bytes and busy/idle/back-pressured time, TaskManagers send them on their heartbeats, and the JobMaster publishes a snapshot for the REST API and the web console; `false` measures nothing',
  }),
  metricsInterval: opt.duration({
    key: 'metrics.fetcher.update-interval', scope, default: 2000, min: 100, max: MAX_DURATION_MS, defaultDoc: '`2 s`',
    doc: 'how often the JobMaster publishes the job\'s metrics snapshot (rates over the last heartbeat interval, 5 minutes of per-vertex history); what the REST API and the web console show is at most this old',
  }),
  rpcMaxFrameSize: opt.int({
    key: 'ebbflow.rpc.max-frame-size', scope, default: 16 * 1024 * 1024, min: 1024, max: 2 ** 31 - 1, defaultDoc: '`16777216` (16 MiB)',
    doc: 'largest JobMaster ↔ TaskManager message, in bytes; a peer declaring a longer one is disconnected',
  }),
  networkMaxFrameSize: opt.int({
    key: 'ebbflow.network.max-frame-size', scope, default: 64 * 1024 * 1024, min: 1024, max: 2 ** 31 - 1, defaultDoc: '`67108864` (64 MiB)',
    doc: 'largest batch of records between TaskManagers, in bytes; a peer declaring a longer one is disconnected',
  }),
  resourceWaitTimeout: opt.duration({
    key: 'jobmanager.adaptive-scheduler.resource-wait-timeout', scope, max: MAX_DURATION_MS,
    defaultDoc: '`60 s`', doc: 'how long a start, restart or rescale waits for the TaskManagers it needs before failing',
  }),
  resourceStabilizationTimeout: opt.duration({
    key: 'jobmanager.adaptive-scheduler.resource-stabilization-timeout', scope, default: 10000, max: MAX_DURATION_MS, defaultDoc: '`10 s`',
    doc: 'with fewer slots than asked for but enough for the lower bounds, wait this long for more before running with what there is (and before scaling back up)',
  }),
  rescaleMaxBatchBytes: opt.int({
    key: 'rescale.migration.max-batch-bytes', scope, default: 2 * 1024 * 1024, min: 0, max: 2 ** 40, defaultDoc: '`2097152` (2 MiB)',
    doc: 'an in-place rescale moves its key groups in batches of at most this much state (by the sizes of the latest checkpoint; a single heavier key group goes alone), one checkpoint barrier per batch, so only the batch in flight is held back; `0` moves everything at one barrier',
  }),
  rescaleMigrationPace: opt.enum(['immediate', 'checkpoint-interval'] as const, {
    key: 'rescale.migration.pace', scope, default: 'immediate',
    doc: 'when the checkpoints of an in-place rescale\'s batches are taken: `immediate`, each as soon as the batch before it is loaded (a rescale takes about batches × a checkpoint\'s duration, and the extra checkpoints load the job meanwhile); `checkpoint-interval`, each in place of the next periodic checkpoint, so the job takes no more checkpoints than usual and output keeps its cadence, and a rescale takes about batches × the interval',
  }),
  rescaleHistorySize: opt.int({
    key: 'web.adaptive-scheduler.rescale-history.size', scope, default: 20, min: 0, max: 10_000,
    doc: 'rescales of the job kept for `GET /jobs/:jobid/rescales/*` (every trigger: requests, requirement changes, scaling back up); `0` records none (Flink\'s key; its default is `0`)',
  }),
  workerRetryInterval: opt.duration({
    key: 'resourcemanager.start-worker.retry-interval', scope, default: 0, max: MAX_DURATION_MS, defaultDoc: '`0`',
    doc: 'after a TaskManager is lost, wait this long before requesting a replacement',
  }),
  taskManagerRegistrationTimeout: opt.duration({
    key: 'taskmanager.registration.timeout', scope, default: 30000, max: MAX_DURATION_MS, defaultDoc: '`30 s`',
    doc: 'how long a TaskManager that lost its JobMaster (its job process died or hung) waits for a new JobMaster of the job (found in Redis) before it exits; meanwhile it cancels its subtasks, and a new job process re-registers and reuses it; `0`: exit with the JobMaster',
  }),
  taskManagerSemiSpaceMb: opt.int({
    key: 'taskmanager.node.max-semi-space-size', scope, default: 0, min: 0, max: 1024, defaultDoc: '`0` (Node\'s own)',
    doc: 'MiB of each of a TaskManager\'s young-generation semi-spaces (Node\'s `--max-semi-space-size`); a larger young generation makes the per-record garbage of a busy TaskManager cheaper to collect; `0`: Node\'s default (16 MiB)',
  }),
  previousWorkerRecoveryTimeout: opt.duration({
    key: 'resourcemanager.previous-worker.recovery.timeout', scope, default: 5000, max: MAX_DURATION_MS, defaultDoc: '`5 s`',
    doc: 'how long a new job process waits for the TaskManagers of the one before it to re-register before it requests new ones for those that did not',
  }),
  // Flink's internal SSL keys; Node reads PEM, so the "stores" are PEM files (docs/security.md).
  internalSslEnabled: opt.bool({
    key: 'security.ssl.internal.enabled', scope, default: false,
    doc: 'mutual TLS on the JobMaster ↔ TaskManager RPC and the TaskManagers\' data connections (the HMAC handshake runs inside it)',
  }),
  internalSslKeystore: opt.string({
    key: 'security.ssl.internal.keystore', scope, expected: 'a PEM file path', check: (v) => (v.trim() ? undefined : 'must be a PEM file path'),
    doc: 'PEM file with the private key and certificate every job process and TaskManager presents (the same path on every host)',
  }),
  internalSslTruststore: opt.string({
    key: 'security.ssl.internal.truststore', scope, expected: 'a PEM file path', check: (v) => (v.trim() ? undefined : 'must be a PEM file path'),
    doc: 'PEM file of the CA certificates a peer\'s certificate must chain to (use a CA for this purpose only)',
  }),
  internalSslKeyPassword: opt.string({
    key: 'security.ssl.internal.key-password', scope, doc: 'passphrase of an encrypted private key in the keystore (masked in answers and logs)',
  }),
  // `job.autoscaler.*` (config/autoscaler-options.ts; read by autoscaler/autoscaler-options.ts).
  ...AUTOSCALER_OPTIONS,
};
