/**
 * What the JobSupervisor is configured with (the dispatcher's options a job process is started with,
 * its registry, launcher, leases and timings) and the spec it hands each job process. Separate so
 * that the supervisor's parts (job-adoption.ts, job-restarts.ts) and tests name these types without
 * the supervisor itself.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobRecord, JobRegistry } from '../metadata/index.js';
import type { JobLeaseStore } from '../metadata/job-lease.js';
import type { JobSpec } from '../jobmaster/job-spec.js';
import type { CompiledDispatcherOptions } from './dispatcher-options.js';
import type { JobProcessLauncher } from './job-process-launcher.js';

/** The registry calls the supervisor makes; `JobRegistry` has them, tests pass an in-memory fake. */
export type SupervisorRegistry = Pick<JobRegistry, 'get' | 'transition' | 'update' | 'jobKey'> & Partial<Pick<JobRegistry, 'claimLaunch'>> & {
  /** Only for the Mesos framework teardown of a job gone for good (see `reap` in job-supervisor.ts). */
  readonly redis?: Redis;
};

/** Cleans up what a job gone for good left behind (on Mesos: its framework and tasks). */
export type JobCleanup = (rec: JobRecord) => Promise<void>;

/** The dispatcher's options a job process is started with (config/dispatcher-options-table.ts says what each is). */
type JobProcessSettings = Pick<CompiledDispatcherOptions,
  'redisUrl' | 'keyPrefix' | 'dataDir' | 'slotsPerTaskManager' | 'taskManagerMemoryMb' | 'localMaxTaskManagers' | 'resourceManager' | 'providerDefaults' | 'defaultConfiguration'>;

export interface JobSupervisorOptions extends JobProcessSettings {
  registry: SupervisorRegistry;
  /** Restarts of a job process that died while its job ran (then the job fails). @default the jobProcessRestarts option's */
  jobProcessRestarts?: number;
  /** TaskManagers one job may have. @default 0 = unlimited */
  maxTaskManagersPerJob?: number;
  /** TaskManagers all jobs may have together (a job's autoscaler reserves within it). @default 0 = unlimited */
  maxTaskManagers?: number;
  /** A job still INITIALIZING (planning: user code) after this long is killed and FAILED. @default the planningTimeoutMs option's */
  planningTimeoutMs?: number;
  /** After a cancel, SIGTERM a job process still alive after this long, then SIGKILL 5 s later. @default the cancelGraceMs option's */
  cancelGraceMs?: number;
  /** How long a failing registry call is retried before what it would write is logged as lost. @default 60000 */
  registryRetryMs?: number;
  /** Starts job processes. @default ForkJobProcessLauncher (child_process.fork of dist/jobmaster/main.js) */
  launcher?: JobProcessLauncher;
  /**
   * HA: every start of a job process is first claimed in the registry under the leader's epoch (fenced),
   * and the process records itself only if its claim still stands (dispatcher/fenced-job-process.ts), so
   * a deposed leader can never start a job twice. The fence key and the epoch to claim with.
   */
  fencedLaunch?: { fenceKey: string; epoch(): string };
  /** Called once a job whose process is gone has ended for good. @default the Mesos framework teardown (`reap` in job-supervisor.ts) */
  cleanupJob?: JobCleanup;
  /**
   * Job-process leases (metadata/job-lease.ts): with them, a job whose process holds no lease any more
   * (dead or hung, on this host or another) is lost like one whose process exited. Without: pids only.
   */
  leases?: Pick<JobLeaseStore, 'holders'>;
  /** The leases' TTL. @default the jobProcessLeaseMs option's */
  jobProcessLeaseMs?: number;
  logger: Logger;
}

/** The spec a job process of `rec` is started with; `recoveryAttempt` > 0 restores a job whose process died. */
export function jobSpecOf(o: JobSupervisorOptions, rec: JobRecord, recoveryAttempt: number, leaseMs: number): JobSpec {
  return {
    jobId: rec.id, bundlePath: rec.bundlePath, entryClass: rec.entryClass, programArgs: rec.programArgs, parallelism: rec.parallelism,
    defaultName: rec.name, redisUrl: o.redisUrl, keyPrefix: o.keyPrefix, dataDir: o.dataDir,
    slotsPerTaskManager: o.slotsPerTaskManager, taskManagerMemoryMb: o.taskManagerMemoryMb, localMaxTaskManagers: o.localMaxTaskManagers,
    maxTaskManagers: o.maxTaskManagersPerJob ?? 0, totalTaskManagers: o.maxTaskManagers ?? 0,
    configuration: { ...o.defaultConfiguration, ...rec.configuration }, savepointPath: rec.savepointPath || undefined,
    resourceManager: o.resourceManager, providerDefaults: o.providerDefaults,
    recoveryAttempt, leaseMs,
  };
}
