/**
 * After a job process died for good, the job's resource provider releases what
 * the job still holds there (on Mesos: TEARDOWN of its framework, which kills
 * every task left). Runs in the dispatcher; it starts no user code.
 */
import type { Logger } from 'pino';
import { configKeyDefaults, DISPATCHER_OPTIONS } from '../config/index.js';
import type { JobRecord, JobRegistry } from '../metadata/index.js';
import { resourceProvider } from '../resourcemanager/index.js';

/** The supervisor's settings the cleanup needs (its options, by DispatcherOptions names). */
export interface ProviderCleanupSettings {
  registry: JobRegistry;
  keyPrefix: string;
  resourceManager: string;
  slotsPerTaskManager: number;
  taskManagerMemoryMb: number;
  /** Configuration every job starts from; the job's own keys win. */
  defaultConfiguration: Record<string, unknown>;
  logger: Logger;
}

/** Asks the job's provider to clean up after its dead job process. */
export async function cleanupAfterDeadJobProcess(o: ProviderCleanupSettings, rec: JobRecord): Promise<void> {
  await resourceProvider(o.resourceManager).cleanupAfterDeadJobProcess({
    jobId: rec.id, redis: o.registry.redis, keyPrefix: o.keyPrefix, logger: o.logger,
    slotsPerTaskManager: o.slotsPerTaskManager, taskManagerMemoryMb: o.taskManagerMemoryMb,
    // Flags that default a key (--mesos-master → mesos.master) are among the settings, by their option names.
    configuration: { ...configKeyDefaults(DISPATCHER_OPTIONS, o as unknown as Record<string, unknown>), ...o.defaultConfiguration, ...rec.configuration },
  });
}
