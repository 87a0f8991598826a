/**
 * After a job process died for good, the job's leader record is marked ended
 * (TaskManagers still waiting for a new JobMaster exit at once instead of at
 * the end of taskmanager.registration.timeout), and the job's resource
 * provider releases what the job still holds there (on Mesos: TEARDOWN of its
 * framework, which kills every task left). Runs in the dispatcher; it starts
 * no user code.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { JobLeaderStore, type JobRecord } from '../metadata/index.js';
import { resourceProvider } from '../resourcemanager/index.js';
import type { CompiledDispatcherOptions } from './dispatcher-options.js';

/** The supervisor's settings the cleanup needs (its options, by DispatcherOptions names). */
export interface ProviderCleanupSettings extends Pick<CompiledDispatcherOptions, 'keyPrefix' | 'resourceManager' | 'slotsPerTaskManager' | 'taskManagerMemoryMb' | 'providerDefaults' | 'defaultConfiguration'> {
  /** The registry's Redis connection; without one (a test's in-memory registry) there is nothing to clean up with. */
  registry: { readonly redis?: Redis };
  logger: Logger;
}

/** Asks the job's provider to clean up after its dead job process. */
export async function cleanupAfterDeadJobProcess(o: ProviderCleanupSettings, rec: JobRecord): Promise<void> {
  const redis = o.registry.redis;
  if (!redis) return;
  await new JobLeaderStore(redis, o.keyPrefix).end(rec.id)
    .catch((err: Error) => o.logger.warn({ err: err.message, jobId: rec.id }, 'could not mark the job\'s leader record ended; its TaskManagers exit after taskmanager.registration.timeout'));
  await resourceProvider(o.resourceManager).cleanupAfterDeadJobProcess({
    jobId: rec.id, redis, keyPrefix: o.keyPrefix, logger: o.logger,
    slotsPerTaskManager: o.slotsPerTaskManager, taskManagerMemoryMb: o.taskManagerMemoryMb,
    // Provider flags that default a key, then -D, then the job's own keys.
    configuration: { ...o.providerDefaults, ...o.defaultConfiguration, ...rec.configuration },
  });
}
