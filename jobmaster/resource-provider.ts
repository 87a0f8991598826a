/**
 * The job's ResourceManager over the driver of the provider the dispatcher
 * chose (resourcemanager/providers.ts): local child processes, Mesos tasks, …
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { configKeyDefaults, DISPATCHER_OPTIONS } from '../config/index.js';
import { ResourceManager, resourceProvider } from '../resourcemanager/index.js';
import type { CompiledJobSpec } from './job-spec.js';

export type ResourceManagerFactory = (jobMasterAddress: string, retryIntervalMs: number) => ResourceManager;

export interface ResourceProvider {
  factory: ResourceManagerFactory;
  close(): Promise<void>;
}

export async function createResourceProvider(spec: CompiledJobSpec, redis: Redis, log: Logger): Promise<ResourceProvider> {
  const { driver, close } = await resourceProvider(spec.resourceManager).createDriver({
    jobId: spec.jobId, redis, logger: log, keyPrefix: spec.keyPrefix, dataDir: spec.dataDir, bundlePath: spec.bundlePath,
    slotsPerTaskManager: spec.slotsPerTaskManager, taskManagerMemoryMb: spec.taskManagerMemoryMb, localCapacity: spec.localMaxTaskManagers,
    // Dispatcher flags that default a key (--mesos-master → mesos.master) travel in the spec under their option names.
    configuration: { ...configKeyDefaults(DISPATCHER_OPTIONS, { ...spec }), ...spec.configuration },
  });
  const profile = { cpuCores: 1, memoryMb: spec.taskManagerMemoryMb, slots: spec.slotsPerTaskManager };
  return {
    factory: (address, retryIntervalMs) => new ResourceManager(driver, {
      jobId: spec.jobId, jobMasterAddress: address, profile, logger: log, retryIntervalMs, maxWorkers: spec.maxTaskManagers || undefined,
    }),
    close,
  };
}
