/**
 * Dispatcher configuration: every option has a documented default and an
 * environment variable; `compileDispatcherOptions` applies both.
 */
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { compileJobConfig } from '../jobmaster/job-config.js';

export interface DispatcherOptions {
  /** Address the REST API binds. @default '127.0.0.1' (env EBBFLOW_HOST) */
  host?: string;
  /** @default 8081 (env EBBFLOW_PORT); 0 picks a free port */
  port?: number;
  /** @default 'redis://127.0.0.1:6379' (env EBBFLOW_REDIS_URL) */
  redisUrl?: string;
  /** Bundles, logs and checkpoints live here. @default './data' (env EBBFLOW_DATA_DIR) */
  dataDir?: string;
  /** Prefix of every Redis key ebbflow writes. @default 'ebbflow:' (env EBBFLOW_KEY_PREFIX) */
  keyPrefix?: string;
  /** Largest accepted bundle in bytes. @default 104857600 (100 MB) (env EBBFLOW_MAX_UPLOAD_BYTES) */
  maxUploadBytes?: number;
  /** Bearer token required on every API call; mandatory when `host` is not a loopback address. (env EBBFLOW_TOKEN) */
  token?: string;
  /** How long POST /jars/:id/run waits for the job process to accept the job. @default 30000 */
  runTimeoutMs?: number;
  /** Slots per TaskManager for new jobs. @default 1 (env EBBFLOW_TASKMANAGER_SLOTS) */
  slotsPerTaskManager?: number;
  /** Heap cap per TaskManager in MB. @default 512 */
  taskManagerMemoryMb?: number;
  /**
   * The local resource provider's capacity: TaskManager processes one job may run at once; requests
   * beyond it wait (and a rescale that needs more fails after its resource wait timeout).
   * @default 0 = unlimited (env EBBFLOW_LOCAL_MAX_TASKMANAGERS)
   */
  localMaxTaskManagers?: number;
  /** Where jobs get TaskManagers: local child processes or Mesos tasks. @default 'local' (env EBBFLOW_RESOURCE_MANAGER) */
  resourceManager?: 'local' | 'mesos';
  /** Mesos master(s), `host:port` or `http://host:port`, comma-separated (env EBBFLOW_MESOS_MASTER). */
  mesosMaster?: string;
  /** Encoding of the Mesos scheduler API. @default 'protobuf' (env EBBFLOW_MESOS_CONTENT_TYPE) */
  mesosContentType?: 'protobuf' | 'json';
  /**
   * Configuration every job starts from (Flink key names; a job's own flinkConfiguration wins), e.g. the
   * `mesos.*` keys or `jobmanager.rpc.address`. @default {}
   */
  defaultConfiguration?: Record<string, unknown>;
  /**
   * Host names (besides the bind address, localhost, 127.0.0.1 and [::1]) the REST API answers to; other
   * `Host` headers get 403, which defeats DNS rebinding. @default [] (env EBBFLOW_ALLOWED_HOSTS, comma-separated)
   */
  allowedHosts?: string[];
  /** Uploads accepted at once; more get 503. @default 4 (env EBBFLOW_MAX_CONCURRENT_UPLOADS) */
  maxConcurrentUploads?: number;
  /** A request (headers and body) must arrive within this time. @default 300000 (env EBBFLOW_REQUEST_TIMEOUT_MS) */
  requestTimeoutMs?: number;
  /**
   * A job process that dies while its job runs is started again this many times at most (backoff 1 s, 2 s,
   * 4 s, …), restoring from the latest completed checkpoint; then the job fails. @default 3 (env EBBFLOW_JOB_PROCESS_RESTARTS)
   */
  jobProcessRestarts?: number;
  /** A job still planning (running the user's job function) after this long fails. @default 30000 (env EBBFLOW_PLANNING_TIMEOUT_MS) */
  planningTimeoutMs?: number;
  /** A cancelled job process still alive after this long gets SIGTERM, then SIGKILL 5 s later. @default 10000 (env EBBFLOW_CANCEL_GRACE_MS) */
  cancelGraceMs?: number;
  /**
   * TaskManagers one job may have (parallelism ÷ slots per TaskManager, at submission and rescale; the
   * ResourceManager never asks for more). @default max(8, 4 × CPU cores) (env EBBFLOW_MAX_TASKMANAGERS_PER_JOB)
   */
  maxTaskManagersPerJob?: number;
  /**
   * TaskManagers all running jobs together may have (their parallelism ÷ slots); a run that would go
   * past it gets 400. @default max(16, 8 × CPU cores) (env EBBFLOW_MAX_TASKMANAGERS)
   */
  maxTaskManagers?: number;
  /** Arguments of one job, in bytes (UTF-8, all together); more get 400. @default 262144 */
  maxProgramArgsBytes?: number;
  /** Cancel running jobs when the dispatcher shuts down gracefully. @default true */
  cancelJobsOnClose?: boolean;
  /** Log level for the dispatcher's pino logger. @default 'info' (env EBBFLOW_LOG_LEVEL); 'silent' in tests */
  logLevel?: string;
}

export type CompiledDispatcherOptions = Required<Omit<DispatcherOptions, 'token' | 'mesosMaster'>> & { token: string | undefined; mesosMaster: string | undefined };

const env = process.env;
const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

export function compileDispatcherOptions(o: DispatcherOptions = {}): CompiledDispatcherOptions {
  const c: CompiledDispatcherOptions = {
    host: o.host ?? env.EBBFLOW_HOST ?? '127.0.0.1',
    port: o.port ?? num(env.EBBFLOW_PORT) ?? 8081,
    redisUrl: o.redisUrl ?? env.EBBFLOW_REDIS_URL ?? 'redis://127.0.0.1:6379',
    dataDir: resolve(o.dataDir ?? env.EBBFLOW_DATA_DIR ?? './data'),
    keyPrefix: o.keyPrefix ?? env.EBBFLOW_KEY_PREFIX ?? 'ebbflow:',
    maxUploadBytes: o.maxUploadBytes ?? num(env.EBBFLOW_MAX_UPLOAD_BYTES) ?? 100 * 1024 * 1024,
    token: o.token ?? (env.EBBFLOW_TOKEN || undefined),
    runTimeoutMs: o.runTimeoutMs ?? 30000,
    slotsPerTaskManager: o.slotsPerTaskManager ?? num(env.EBBFLOW_TASKMANAGER_SLOTS) ?? 1,
    taskManagerMemoryMb: o.taskManagerMemoryMb ?? 512,
    localMaxTaskManagers: o.localMaxTaskManagers ?? num(env.EBBFLOW_LOCAL_MAX_TASKMANAGERS) ?? 0,
    resourceManager: o.resourceManager ?? (env.EBBFLOW_RESOURCE_MANAGER as 'local' | 'mesos' | undefined) ?? 'local',
    mesosMaster: o.mesosMaster ?? (env.EBBFLOW_MESOS_MASTER || undefined),
    mesosContentType: o.mesosContentType ?? (env.EBBFLOW_MESOS_CONTENT_TYPE as 'protobuf' | 'json' | undefined) ?? 'protobuf',
    defaultConfiguration: o.defaultConfiguration ?? {},
    allowedHosts: o.allowedHosts ?? (env.EBBFLOW_ALLOWED_HOSTS ? env.EBBFLOW_ALLOWED_HOSTS.split(',').map((h) => h.trim()).filter(Boolean) : []),
    maxConcurrentUploads: o.maxConcurrentUploads ?? num(env.EBBFLOW_MAX_CONCURRENT_UPLOADS) ?? 4,
    requestTimeoutMs: o.requestTimeoutMs ?? num(env.EBBFLOW_REQUEST_TIMEOUT_MS) ?? 300_000,
    jobProcessRestarts: o.jobProcessRestarts ?? num(env.EBBFLOW_JOB_PROCESS_RESTARTS) ?? 3,
    planningTimeoutMs: o.planningTimeoutMs ?? num(env.EBBFLOW_PLANNING_TIMEOUT_MS) ?? 30_000,
    cancelGraceMs: o.cancelGraceMs ?? num(env.EBBFLOW_CANCEL_GRACE_MS) ?? 10_000,
    maxProgramArgsBytes: o.maxProgramArgsBytes ?? 256 * 1024,
    maxTaskManagers: o.maxTaskManagers ?? num(env.EBBFLOW_MAX_TASKMANAGERS) ?? Math.max(16, 8 * availableParallelism()),
    maxTaskManagersPerJob: o.maxTaskManagersPerJob ?? num(env.EBBFLOW_MAX_TASKMANAGERS_PER_JOB) ?? Math.max(8, 4 * availableParallelism()),
    cancelJobsOnClose: o.cancelJobsOnClose ?? true,
    logLevel: o.logLevel ?? env.EBBFLOW_LOG_LEVEL ?? 'info',
  };
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) throw new RangeError(`port must be 0..65535, got ${c.port}`);
  if (!Number.isInteger(c.maxUploadBytes) || c.maxUploadBytes < 1) throw new RangeError(`maxUploadBytes must be a positive integer, got ${c.maxUploadBytes}`);
  if (!Number.isInteger(c.localMaxTaskManagers) || c.localMaxTaskManagers < 0) throw new RangeError(`localMaxTaskManagers must be an integer ≥ 0 (0 = unlimited), got ${c.localMaxTaskManagers}`);
  if (!Number.isInteger(c.maxTaskManagersPerJob) || c.maxTaskManagersPerJob < 1) throw new RangeError(`maxTaskManagersPerJob must be a positive integer, got ${c.maxTaskManagersPerJob}`);
  if (!Number.isInteger(c.maxConcurrentUploads) || c.maxConcurrentUploads < 1) throw new RangeError(`maxConcurrentUploads must be a positive integer, got ${c.maxConcurrentUploads}`);
  if (!Number.isInteger(c.requestTimeoutMs) || c.requestTimeoutMs < 1000) throw new RangeError(`requestTimeoutMs must be an integer ≥ 1000, got ${c.requestTimeoutMs}`);
  if (c.resourceManager !== 'local' && c.resourceManager !== 'mesos') throw new RangeError(`resourceManager must be local or mesos, got ${JSON.stringify(c.resourceManager)}`);
  if (c.mesosContentType !== 'protobuf' && c.mesosContentType !== 'json') throw new RangeError(`mesosContentType must be protobuf or json, got ${JSON.stringify(c.mesosContentType)}`);
  if (c.resourceManager === 'mesos' && !c.mesosMaster && !c.defaultConfiguration['mesos.master']) throw new Error('the mesos resource manager needs --mesos-master <host:port> (env EBBFLOW_MESOS_MASTER)');
  try {
    compileJobConfig(c.defaultConfiguration);
  } catch (err) {
    throw new Error(`default job configuration: ${(err as Error).message}`);
  }
  if (!isLoopback(c.host) && !c.token) {
    throw new Error(`refusing to listen on ${c.host} without a token: uploading a bundle runs its code. Set EBBFLOW_TOKEN (or --token), or bind 127.0.0.1`);
  }
  return c;
}
