/**
 * What the dispatcher hands a job process (as JSON in the file named by EBBFLOW_JOB_SPEC_FILE).
 * Job-level settings come as Flink-style `configuration` (see job-config.ts).
 */
import { defaultOf, DISPATCHER_OPTIONS } from '../config/index.js';
import { compileJobConfig, type JobConfig } from './job-config.js';

export interface JobSpec {
  jobId: string;
  bundlePath: string;
  /** Export to call; '' or undefined = the default export. */
  entryClass?: string;
  programArgs: string[];
  parallelism: number;
  /** Shown when the job does not name itself. */
  defaultName?: string;
  redisUrl: string;
  /** Key prefix for ebbflow's records in Redis. @default 'ebbflow:' */
  keyPrefix?: string;
  /** Logs go to <dataDir>/logs/<jobId>/, checkpoints to <dataDir>/checkpoints/<jobId>/ unless configured. */
  dataDir: string;
  /** Slots per TaskManager. @default 1 */
  slotsPerTaskManager?: number;
  /** Heap cap per TaskManager in MB. @default 512 */
  taskManagerMemoryMb?: number;
  /** Give up when slots are not available within this time. @default 60000 */
  slotRequestTimeoutMs?: number;
  /** TaskManager processes the local driver runs at once for this job. @default 0 = unlimited */
  localMaxTaskManagers?: number;
  /** The ResourceManager never has more TaskManagers requested or running. @default 0 = unlimited */
  maxTaskManagers?: number;
  /** TaskManagers all of the dispatcher's jobs may have together (the autoscaler reserves within it). @default 0 = unlimited */
  totalTaskManagers?: number;
  /** Flink-style configuration map (`flinkConfiguration` of the run request). */
  configuration?: Record<string, unknown>;
  /** Savepoint (or retained checkpoint) directory to start from. */
  savepointPath?: string;
  /** 0 for the first job process of a job; n for the n-th restart after a job process died. */
  recoveryAttempt?: number;
  /** TTL of the job process's lease in Redis (metadata/job-lease.ts). @default the jobProcessLeaseMs option's */
  leaseMs?: number;
  /** @default 'local' */
  resourceManager?: string;
  /**
   * Dispatcher-wide defaults of provider keys given by the dispatcher's provider flags
   * (`mesos.master` ← `--mesos-master`); `-D` and the job's keys, in `configuration`, win over them.
   */
  providerDefaults?: Record<string, unknown>;
}

export interface CompiledJobSpec {
  jobId: string;
  bundlePath: string;
  entryClass: string;
  programArgs: string[];
  parallelism: number;
  defaultName: string | undefined;
  redisUrl: string;
  keyPrefix: string;
  dataDir: string;
  slotsPerTaskManager: number;
  taskManagerMemoryMb: number;
  slotRequestTimeoutMs: number;
  localMaxTaskManagers: number;
  maxTaskManagers: number;
  totalTaskManagers: number;
  config: JobConfig;
  savepointPath: string;
  recoveryAttempt: number;
  leaseMs: number;
  resourceManager: string;
  providerDefaults: Record<string, unknown>;
  /** The raw configuration map (the resource provider reads its own keys from it). */
  configuration: Record<string, unknown>;
}

export function compileJobSpec(s: JobSpec): CompiledJobSpec {
  return {
    jobId: s.jobId,
    bundlePath: s.bundlePath,
    entryClass: s.entryClass ?? '',
    programArgs: s.programArgs ?? [],
    parallelism: s.parallelism,
    defaultName: s.defaultName,
    redisUrl: s.redisUrl,
    keyPrefix: s.keyPrefix ?? defaultOf(DISPATCHER_OPTIONS.keyPrefix)!,
    dataDir: s.dataDir,
    slotsPerTaskManager: s.slotsPerTaskManager ?? defaultOf(DISPATCHER_OPTIONS.slotsPerTaskManager)!,
    taskManagerMemoryMb: s.taskManagerMemoryMb ?? defaultOf(DISPATCHER_OPTIONS.taskManagerMemoryMb)!,
    slotRequestTimeoutMs: s.slotRequestTimeoutMs ?? 60000,
    localMaxTaskManagers: s.localMaxTaskManagers ?? 0,
    maxTaskManagers: s.maxTaskManagers ?? 0,
    totalTaskManagers: s.totalTaskManagers ?? 0,
    config: compileJobConfig(s.configuration),
    savepointPath: s.savepointPath ?? '',
    recoveryAttempt: s.recoveryAttempt ?? 0,
    leaseMs: s.leaseMs ?? defaultOf(DISPATCHER_OPTIONS.jobProcessLeaseMs)!,
    resourceManager: s.resourceManager ?? 'local',
    providerDefaults: s.providerDefaults ?? {},
    configuration: s.configuration ?? {},
  };
}
