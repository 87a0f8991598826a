/**
 * What the dispatcher hands a job process (as JSON in EBBFLOW_JOB_SPEC).
 * Defaults are applied by `compileJobSpec`.
 */
export interface JobSpec {
  jobId: string;
  bundlePath: string;
  /** Export to call; '' or undefined = the default export. */
  entryClass?: string;
  programArgs: string[];
  parallelism: number;
  /** @default defaultMaxParallelism(parallelism) (at least 128) */
  maxParallelism?: number;
  /** Shown when the job does not name itself. */
  defaultName?: string;
  redisUrl: string;
  /** Key prefix for ebbflow's records in Redis. @default 'ebbflow:' */
  keyPrefix?: string;
  /** Job logs go to <dataDir>/logs/<jobId>/. */
  dataDir: string;
  /** Slots per TaskManager. @default 1 */
  slotsPerTaskManager?: number;
  /** Heap cap per TaskManager in MB. @default 512 */
  taskManagerMemoryMb?: number;
  /** @default 1000 */
  heartbeatIntervalMs?: number;
  /** A TaskManager silent this long is considered lost. @default 10000 */
  heartbeatTimeoutMs?: number;
  /** Give up when slots are not available within this time. @default 60000 */
  slotRequestTimeoutMs?: number;
}

export type CompiledJobSpec = Required<Omit<JobSpec, 'maxParallelism' | 'entryClass' | 'defaultName'>> & Pick<JobSpec, 'maxParallelism' | 'entryClass' | 'defaultName'>;

export function compileJobSpec(s: JobSpec): CompiledJobSpec {
  return {
    keyPrefix: 'ebbflow:',
    slotsPerTaskManager: 1,
    taskManagerMemoryMb: 512,
    heartbeatIntervalMs: 1000,
    heartbeatTimeoutMs: 10000,
    slotRequestTimeoutMs: 60000,
    ...Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)),
  } as CompiledJobSpec;
}
