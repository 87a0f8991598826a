/**
 * The dispatcher's options (and the CLI client's): property name, environment
 * variable, command-line flag with its help text, type, default, range, doc.
 * dispatcher/dispatcher-options.ts compiles them, cli/main.ts builds its flags
 * from them, and the README's dispatcher table is generated from here. The
 * order is the README's and `ebbflow dispatcher --help`'s. Each resource
 * provider declares its own dispatcher options (flags that give its keys a
 * dispatcher-wide default); the dispatcher lists them after `resourceManager`
 * (resourcemanager/providers.ts).
 */
import { availableParallelism } from 'node:os';
import { MAX_DURATION_MS } from './read-option.js';
import { opt } from './option.js';

const scope = 'dispatcher';

/** The shortest token (ignoring surrounding whitespace) the dispatcher takes when it binds beyond loopback. */
export const MIN_REMOTE_TOKEN_LENGTH = 16;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DISPATCHER_OPTIONS = {
  host: opt.string({
    key: 'host', scope, env: 'EBBFLOW_HOST', cli: { flags: '--host <host>', help: 'bind address (env EBBFLOW_HOST)' },
    default: '127.0.0.1', doc: 'bind address; anything but loopback requires a token',
  }),
  port: opt.int({
    key: 'port', scope, env: 'EBBFLOW_PORT', cli: { flags: '--port <port>', help: 'port (env EBBFLOW_PORT)' },
    default: 8081, min: 0, max: 65535, doc: 'REST port',
  }),
  redisUrl: opt.string({
    key: 'redisUrl', scope, env: 'EBBFLOW_REDIS_URL', cli: { flags: '--redis <url>', help: 'Redis URL (env EBBFLOW_REDIS_URL)' },
    default: 'redis://127.0.0.1:6379', doc: 'job registry, submission queue, demo streams',
  }),
  dataDir: opt.string({
    key: 'dataDir', scope, env: 'EBBFLOW_DATA_DIR', cli: { flags: '--data-dir <dir>', help: 'bundles, logs and checkpoints (env EBBFLOW_DATA_DIR)' },
    default: './data', doc: 'bundles (`jars/`) and logs (`logs/<jobid>/`)',
  }),
  keyPrefix: opt.string({
    key: 'keyPrefix', scope, env: 'EBBFLOW_KEY_PREFIX', cli: { flags: '--key-prefix <prefix>', help: 'prefix of Redis keys (env EBBFLOW_KEY_PREFIX)' },
    default: 'ebbflow:', doc: 'prefix of every Redis key ebbflow writes',
  }),
  maxUploadBytes: opt.int({
    key: 'maxUploadBytes', scope, env: 'EBBFLOW_MAX_UPLOAD_BYTES', cli: { flags: '--max-upload-bytes <n>', help: 'largest accepted bundle (env EBBFLOW_MAX_UPLOAD_BYTES)' },
    default: 100 * 1024 * 1024, min: 1, max: 2 ** 40, doc: 'larger uploads get 413',
  }),
  maxJars: opt.int({
    key: 'maxJars', scope, env: 'EBBFLOW_MAX_JARS', cli: { flags: '--max-jars <n>', help: 'bundles stored at most (env EBBFLOW_MAX_JARS)' },
    default: 500, min: 0, max: 1_000_000, defaultDoc: '`500` (`0`: no limit)',
    doc: 'bundles the dispatcher stores at most (uploads in progress count); one more upload gets 507 until one is deleted',
  }),
  maxJarBytesTotal: opt.int({
    key: 'maxJarBytesTotal', scope, env: 'EBBFLOW_MAX_JAR_BYTES_TOTAL', cli: { flags: '--max-jar-bytes-total <n>', help: 'uploaded bytes of all stored bundles together (env EBBFLOW_MAX_JAR_BYTES_TOTAL)' },
    default: 10 * 1024 ** 3, min: 0, max: 2 ** 50, defaultDoc: '`10737418240` (10 GiB; `0`: no limit)',
    doc: 'the uploaded sizes of all stored bundles together, uploads in progress included (an archive\'s extracted copy, at most 4× its size, is not counted); an upload that would pass it gets 507',
  }),
  token: opt.string({
    key: 'token', scope, env: 'EBBFLOW_TOKEN', cli: { flags: '--token <token>', help: 'bearer token (env EBBFLOW_TOKEN)', global: true },
    doc: `clients send \`Authorization: Bearer <token>\`; required beyond loopback, then at least ${MIN_REMOTE_TOKEN_LENGTH} characters (not counting surrounding whitespace); never whitespace only`,
  }),
  slotsPerTaskManager: opt.int({ key: 'slotsPerTaskManager', scope, env: 'EBBFLOW_TASKMANAGER_SLOTS', default: 1, min: 1, max: 1024, doc: 'slots per TaskManager' }),
  localMaxTaskManagers: opt.int({
    key: 'localMaxTaskManagers', scope, env: 'EBBFLOW_LOCAL_MAX_TASKMANAGERS', default: 0, min: 0, max: 1_000_000, defaultDoc: '`0` (unlimited)',
    doc: 'the local resource provider\'s capacity: TaskManager processes one job may run at once; further requests wait',
  }),
  allowedHosts: opt.list({
    key: 'allowedHosts', scope, env: 'EBBFLOW_ALLOWED_HOSTS',
    cli: { flags: '--allowed-hosts <names>', help: 'more host names the API answers to, comma-separated (env EBBFLOW_ALLOWED_HOSTS)' },
    default: () => [], defaultDoc: 'none', doc: 'more host names the API answers to (comma-separated); any other `Host` gets 403 (DNS rebinding)',
  }),
  maxConcurrentUploads: opt.int({
    key: 'maxConcurrentUploads', scope, env: 'EBBFLOW_MAX_CONCURRENT_UPLOADS', default: 4, min: 1, max: 10_000, doc: 'uploads taken at once; more get 503 with `Retry-After`',
  }),
  requestTimeoutMs: opt.duration({
    key: 'requestTimeoutMs', scope, env: 'EBBFLOW_REQUEST_TIMEOUT_MS', default: 300_000, min: 1000, max: MAX_DURATION_MS,
    defaultDoc: '`300000`', doc: 'a request (headers and body) must arrive within this time; headers within 30 s',
  }),
  minBodyRateBytesPerS: opt.int({
    key: 'minBodyRateBytesPerS', scope, env: 'EBBFLOW_MIN_BODY_RATE_BYTES_PER_S', default: 1024, min: 0, max: 1 << 30, defaultDoc: '`1024` (`0`: no minimum)',
    doc: 'a request body that arrives slower than this over a window gets 408 and its upload slot is freed (slow clients cannot hold the upload slots)',
  }),
  minBodyRateWindowMs: opt.duration({
    key: 'minBodyRateWindowMs', scope, env: 'EBBFLOW_MIN_BODY_RATE_WINDOW_MS', default: 30_000, min: 100, max: MAX_DURATION_MS,
    defaultDoc: '`30000`', doc: 'the window the minimum body rate is measured over: bytes of the last window ÷ its length',
  }),
  savepointAllowedDirs: opt.list({
    key: 'savepointAllowedDirs', scope, env: 'EBBFLOW_SAVEPOINT_ALLOWED_DIRS',
    cli: { flags: '--savepoint-allowed-dirs <dirs>', help: 'more directories savepoints and checkpoints may be written under, comma-separated (env EBBFLOW_SAVEPOINT_ALLOWED_DIRS)' },
    default: () => [], defaultDoc: 'none (the data directory and the `-D` `state.checkpoints.dir`/`state.savepoints.dir` are always allowed)',
    doc: 'Flink\'s `state.savepoints.allowed-dirs`: more directories (comma-separated) a savepoint\'s `target-directory` and a job\'s `state.checkpoints.dir`/`state.savepoints.dir` may lie under; anything else gets 400 (`..` and symbolic links are resolved first); `s3://bucket/prefix` locations allow what is under them',
  }),
  jobstoreExpirationTime: opt.int({
    key: 'jobstoreExpirationTime', scope, env: 'EBBFLOW_JOBSTORE_EXPIRATION_TIME', cli: { flags: '--jobstore-expiration-time <s>', help: 'seconds a finished job is kept (env EBBFLOW_JOBSTORE_EXPIRATION_TIME)' },
    default: 3600, min: 1, max: 10 * 365 * 24 * 3600, defaultDoc: '`3600` (1 h)',
    doc: 'Flink\'s `jobstore.expiration-time`, in seconds: a finished, cancelled or failed job (its record, operations and logs) is removed this long after it ended; running jobs are never removed; checkpoints and savepoints stay',
  }),
  jobstoreMaxCapacity: opt.int({
    key: 'jobstoreMaxCapacity', scope, env: 'EBBFLOW_JOBSTORE_MAX_CAPACITY', cli: { flags: '--jobstore-max-capacity <n>', help: 'ended jobs kept at most (env EBBFLOW_JOBSTORE_MAX_CAPACITY)' },
    default: 1000, min: 0, max: 1_000_000,
    doc: 'Flink\'s `jobstore.max-capacity`: ended jobs kept at most; beyond it the ones that ended first are removed (Flink\'s default is unbounded)',
  }),
  maxTaskManagers: opt.int({
    key: 'maxTaskManagers', scope, env: 'EBBFLOW_MAX_TASKMANAGERS', default: () => Math.max(16, 8 * availableParallelism()), min: 1, max: 1_000_000,
    defaultDoc: 'max(16, 8 × CPU cores)', doc: 'TaskManagers all jobs not ended together may have, reserved per job atomically in Redis (`<prefix>capacity:taskmanagers`) and released when the job ends; a run, rescale or resource-requirements lower bound past it gets 400',
  }),
  maxTaskManagersPerJob: opt.int({
    key: 'maxTaskManagersPerJob', scope, env: 'EBBFLOW_MAX_TASKMANAGERS_PER_JOB', default: () => Math.max(8, 4 * availableParallelism()), min: 1, max: 1_000_000,
    defaultDoc: 'max(8, 4 × CPU cores)', doc: 'TaskManagers one job may have (parallelism ÷ slots); larger runs, rescales and resource-requirements lower bounds get 400',
  }),
  jobProcessRestarts: opt.int({
    key: 'jobProcessRestarts', scope, env: 'EBBFLOW_JOB_PROCESS_RESTARTS', default: 3, min: 0, max: 1000,
    doc: 'a job process that dies while its job runs is started again this often (backoff 1 s, 2 s, 4 s); the new one restores from the newest completed checkpoint and takes over the job\'s TaskManagers, recorded in `/exceptions`; then the job fails',
  }),
  jobProcessLeaseMs: opt.duration({
    key: 'jobProcessLeaseMs', scope, env: 'EBBFLOW_JOB_PROCESS_LEASE_MS', default: 10_000, min: 500, max: MAX_DURATION_MS,
    defaultDoc: '`10000`', doc: 'TTL of each job process\'s lease in Redis (`<prefix>job:<id>:lease`, renewed every quarter of it): the leading dispatcher treats a running job whose lease ran out as lost wherever its process ran (dead, hung, or on a lost host), kills it if it is on its own host, and starts the job again like a job process that died; a replaced process that comes back stops at its next renew',
  }),
  planningTimeoutMs: opt.duration({
    key: 'planningTimeoutMs', scope, env: 'EBBFLOW_PLANNING_TIMEOUT_MS', default: 30_000, min: 1, max: MAX_DURATION_MS,
    defaultDoc: '`30000`', doc: 'a job whose job function has not built its dataflow by then fails, and its process is killed',
  }),
  cancelGraceMs: opt.duration({
    key: 'cancelGraceMs', scope, env: 'EBBFLOW_CANCEL_GRACE_MS', default: 10_000, min: 0, max: MAX_DURATION_MS,
    defaultDoc: '`10000`', doc: 'a cancelled job process still alive after this gets SIGTERM, then SIGKILL 5 s later; the job ends CANCELED',
  }),
  resourceManager: opt.string({
    key: 'resourceManager', scope, env: 'EBBFLOW_RESOURCE_MANAGER',
    cli: { flags: '--resource-manager <kind>', help: 'where TaskManagers run: local or mesos (env EBBFLOW_RESOURCE_MANAGER)' },
    default: 'local', doc: '`local` (TaskManagers are child processes of the job process) or `mesos` (Mesos tasks)',
  }),
  defaultConfiguration: opt.map({
    key: 'defaultConfiguration', scope, cliDoc: '-D key=value',
    cli: { flags: '-D, --conf <key=value>', help: 'configuration every job starts from, Flink key names (repeatable), e.g. -D mesos.resourcemanager.tasks.cpus=0.5' },
    default: () => ({}), defaultDoc: 'none', doc: 'configuration every job starts from, Flink key names (repeatable); a job\'s `flinkConfiguration` wins',
  }),
  haType: opt.enum(['none', 'redis'] as const, {
    key: 'haType', scope, env: 'EBBFLOW_HA_TYPE', flinkKey: 'high-availability.type',
    cli: { flags: '--high-availability <type>', help: 'none, or redis: several dispatchers, one leader (env EBBFLOW_HA_TYPE)' },
    default: 'none',
    doc: 'Flink\'s `high-availability.type` (also `-D high-availability.type=redis`): `redis` runs this dispatcher as one of several against the same Redis and HA storage, one of them leader (docs/ha.md); `none`: a single dispatcher',
  }),
  haStorageDir: opt.string({
    key: 'haStorageDir', scope, env: 'EBBFLOW_HA_STORAGE_DIR', flinkKey: 'high-availability.storageDir', expected: 'a directory path or s3://bucket/prefix URL',
    cli: { flags: '--ha-storage-dir <dir>', help: 'directory or s3://bucket/prefix every dispatcher reads and writes (env EBBFLOW_HA_STORAGE_DIR)' },
    doc: 'Flink\'s `high-availability.storageDir`, required with HA: a directory every dispatcher reaches (shared), or `s3://bucket/prefix` (reached with the dispatcher\'s `-D s3.*` keys or AWS_* environment); bundles and default checkpoints and savepoints go to `<storageDir>/<cluster-id>/`, and with a directory job specs and job logs too, instead of the data directory (docs/ha.md)',
  }),
  haClusterId: opt.string({
    key: 'haClusterId', scope, env: 'EBBFLOW_HA_CLUSTER_ID', flinkKey: 'high-availability.cluster-id', default: 'default',
    cli: { flags: '--ha-cluster-id <id>', help: 'the cluster the dispatchers elect a leader of (env EBBFLOW_HA_CLUSTER_ID)' },
    check: (v) => (/^[A-Za-z0-9._-]+$/.test(v) ? undefined : 'must be letters, digits, ".", "_" or "-"'),
    doc: 'Flink\'s `high-availability.cluster-id`: dispatchers with the same Redis key prefix and cluster id elect one leader (`<prefix>ha:<cluster-id>:leader`); also the storage directory\'s sub-directory',
  }),
  haLeaseDurationMs: opt.duration({
    key: 'haLeaseDurationMs', scope, env: 'EBBFLOW_HA_LEASE_DURATION', flinkKey: 'high-availability.redis.lease-duration', default: 15_000, min: 100, max: MAX_DURATION_MS,
    cli: { flags: '--ha-lease-duration <duration>', help: 'TTL of the leader lease in Redis (env EBBFLOW_HA_LEASE_DURATION)' },
    defaultDoc: '`15000` ms', doc: 'the leader lease\'s TTL in Redis: a leader that dies is replaced this long after its last renew (plus up to 1 ms)',
  }),
  haRenewDeadlineMs: opt.duration({
    key: 'haRenewDeadlineMs', scope, env: 'EBBFLOW_HA_RENEW_DEADLINE', flinkKey: 'high-availability.redis.renew-deadline', default: 10_000, min: 50, max: MAX_DURATION_MS,
    cli: { flags: '--ha-renew-deadline <duration>', help: 'a leader not renewed within this steps down (env EBBFLOW_HA_RENEW_DEADLINE)' },
    defaultDoc: '`10000` ms', doc: 'a leader whose renews have not succeeded for this long (counted from sending the last good one, on its own clock) stops leading; shorter than the lease, so it stops before anyone else can lead',
  }),
  haRetryPeriodMs: opt.duration({
    key: 'haRetryPeriodMs', scope, env: 'EBBFLOW_HA_RETRY_PERIOD', flinkKey: 'high-availability.redis.retry-period', default: 2_000, min: 10, max: MAX_DURATION_MS,
    cli: { flags: '--ha-retry-period <duration>', help: 'how often the leader renews and standbys look (env EBBFLOW_HA_RETRY_PERIOD)' },
    defaultDoc: '`2000` ms', doc: 'how often the leader renews its lease and a standby reads who leads (a standby also tries right when the lease\'s TTL runs out); shorter than the renew deadline',
  }),
  haWriteForwarding: opt.enum(['proxy', 'redirect'] as const, {
    key: 'haWriteForwarding', scope, env: 'EBBFLOW_HA_WRITE_FORWARDING', default: 'proxy',
    cli: { flags: '--ha-write-forwarding <mode>', help: 'proxy or redirect: what a standby does with a write (env EBBFLOW_HA_WRITE_FORWARDING)' },
    doc: 'what a standby does with a write request (POST, PUT, PATCH, DELETE): `proxy` forwards it to the leader and streams the answer back; `redirect` answers 307 with `Location` on the leader; reads are served by every dispatcher',
  }),
  haForwardTimeoutMs: opt.duration({
    key: 'haForwardTimeoutMs', scope, env: 'EBBFLOW_HA_FORWARD_TIMEOUT', default: 60_000, min: 1000, max: MAX_DURATION_MS,
    cli: { flags: '--ha-forward-timeout <duration>', help: 'a write forwarded to the leader is given up after this long without a byte either way (env EBBFLOW_HA_FORWARD_TIMEOUT)' },
    defaultDoc: '`60000` ms', doc: 'HA, `proxy` forwarding: a forwarded write whose connection to the leader stays silent this long (a paused or cut-off leader) is given up with 504 (the connection is closed if the answer had begun); longer than `runTimeoutMs`, the longest a leader waits before it answers',
  }),
  restAdvertisedUrl: opt.string({
    key: 'restAdvertisedUrl', scope, env: 'EBBFLOW_REST_ADVERTISED_URL',
    cli: { flags: '--rest-advertised-url <url>', help: 'the URL other dispatchers reach this one at (env EBBFLOW_REST_ADVERTISED_URL)' },
    defaultDoc: '`http://<host>:<port>` as bound', doc: 'HA: the REST URL the other dispatchers forward writes to while this one leads (Flink\'s `rest.address`/`rest.port`); required when bound to every address',
  }),
  logLevel: opt.enum(LOG_LEVELS, { key: 'logLevel', scope, env: 'EBBFLOW_LOG_LEVEL', default: 'info', doc: 'level of the dispatcher\'s log (pino)' }),
  runTimeoutMs: opt.duration({ key: 'runTimeoutMs', scope, default: 30_000, min: 1, max: MAX_DURATION_MS, doc: 'how long POST /jars/:id/run waits for the job process to accept the job' }),
  taskManagerMemoryMb: opt.int({ key: 'taskManagerMemoryMb', scope, default: 512, min: 32, max: 1 << 20, doc: 'heap cap per TaskManager in MB' }),
  maxProgramArgsBytes: opt.int({ key: 'maxProgramArgsBytes', scope, default: 256 * 1024, min: 0, max: 1 << 30, doc: 'arguments of one job, in bytes (UTF-8, all together); more get 400' }),
  cancelJobsOnClose: opt.bool({ key: 'cancelJobsOnClose', scope, default: true, doc: 'cancel running jobs when the dispatcher shuts down gracefully' }),
};

/** Options of the CLI's client commands (submit, jobs, cancel, scale). */
export const CLIENT_OPTIONS = {
  url: opt.string({
    key: 'url', scope: 'client', env: 'EBBFLOW_URL', cli: { flags: '--url <url>', help: 'dispatcher REST URL for client commands; several comma-separated (HA)', global: true },
    default: 'http://127.0.0.1:8081', doc: 'the dispatcher the client commands talk to; with HA several, comma-separated: each is tried in turn when one cannot be reached, and a write waits out an election',
  }),
};
