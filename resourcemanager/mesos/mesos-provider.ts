/**
 * The Mesos resource provider: its keys (mesos-options.ts) and dispatcher
 * flags, the driver of a job with its artifact server (mesos-job-driver.ts),
 * and the framework TEARDOWN after a job process died for good. The driver and
 * the reaper are imported when used: loading the registry (the CLI does, for
 * the dispatcher's flags) must not load the wire codec.
 */
import type { ProviderJobSettings, ResourceProvider } from '../provider.js';
import { parseMesosSettings, validateMesosKeys, type MesosDefaults } from './mesos-config.js';
import { MESOS_DISPATCHER_OPTIONS, MESOS_OPTIONS } from './mesos-options.js';

const defaults = (s: ProviderJobSettings): MesosDefaults => ({ slots: s.slotsPerTaskManager, heapMb: s.taskManagerMemoryMb });

/** Runs TaskManagers as Mesos tasks of a framework per job. */
export const mesosProvider: ResourceProvider = {
  name: 'mesos',
  options: Object.values(MESOS_OPTIONS),
  dispatcherOptions: MESOS_DISPATCHER_OPTIONS,
  validate: validateMesosKeys,
  checkRunnable(configuration) {
    validateMesosKeys(configuration);
    parseMesosSettings(configuration, { slots: 1, heapMb: 512 });
  },
  async createDriver(ctx) {
    const { createMesosJobDriver } = await import('./mesos-job-driver.js');
    return createMesosJobDriver(ctx, defaults(ctx));
  },
  async cleanupAfterDeadJobProcess(s) {
    const { reapFramework } = await import('./framework-reaper.js');
    await reapFramework({ redis: s.redis, keyPrefix: s.keyPrefix, jobId: s.jobId, configuration: s.configuration, logger: s.logger, defaults: defaults(s) });
  },
};
