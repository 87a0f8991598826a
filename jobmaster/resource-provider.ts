/**
 * The job's ResourceManager over the driver of the provider the dispatcher
 * chose (resourcemanager/providers.ts): local child processes, Mesos tasks, …
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ResourceManager, resourceProvider, type WorkerRecoveryOptions } from '../resourcemanager/index.js';
import type { WorkerSecrets } from '../rpc/index.js';
import type { CompiledJobSpec } from './job-spec.js';

export type ResourceManagerFactory = (jobMasterAddress: string, retryIntervalMs: number) => ResourceManager;

export interface ResourceProvider {
  factory: ResourceManagerFactory;
  close(): Promise<void>;
}

/**
 * The configuration map the job's provider reads: the dispatcher's provider flags that default a key
 * (`--mesos-master` → `mesos.master`) lose to `-D` and to the job's own keys (both in spec.configuration).
 */
export function providerConfiguration(spec: Pick<CompiledJobSpec, 'providerDefaults' | 'configuration'>): Record<string, unknown> {
  return { ...spec.providerDefaults, ...spec.configuration };
}

/**
 * `secrets`: where the ResourceManager keeps the registration secrets it issues (the TaskManager endpoint
 * checks them); `recovery`: the earlier job process's TaskManagers, and where to keep this one's.
 */
export async function createResourceProvider(spec: CompiledJobSpec, redis: Redis, log: Logger, secrets: WorkerSecrets, recovery?: WorkerRecoveryOptions): Promise<ResourceProvider> {
  const { driver, close } = await resourceProvider(spec.resourceManager).createDriver({
    jobId: spec.jobId, redis, logger: log, keyPrefix: spec.keyPrefix, dataDir: spec.dataDir, bundlePath: spec.bundlePath,
    slotsPerTaskManager: spec.slotsPerTaskManager, taskManagerMemoryMb: spec.taskManagerMemoryMb, localCapacity: spec.localMaxTaskManagers,
    configuration: providerConfiguration(spec),
  });
  const profile = { cpuCores: 1, memoryMb: spec.taskManagerMemoryMb, slots: spec.slotsPerTaskManager };
  return {
    factory: (address, retryIntervalMs) => new ResourceManager(driver, {
      jobId: spec.jobId, jobMasterAddress: address, profile, logger: log, retryIntervalMs, maxWorkers: spec.maxTaskManagers || undefined, secrets, ssl: spec.config.internalSsl, recovery,
    }),
    close,
  };
}
