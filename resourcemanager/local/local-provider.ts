/**
 * The local resource provider: TaskManagers are child processes of the job
 * process (LocalProcessDriver). It has no keys of its own; its capacity is the
 * dispatcher's EBBFLOW_LOCAL_MAX_TASKMANAGERS.
 */
import { join } from 'node:path';
import { JOB_OPTIONS, parseAddressSettings, readKey } from '../../config/index.js';
import type { ResourceProvider } from '../provider.js';
import { LocalProcessDriver } from './local-process-driver.js';

/** Runs TaskManagers as child processes of the job process. */
export const localProvider: ResourceProvider = {
  name: 'local',
  options: [],
  validate: () => {},
  checkRunnable: () => {},
  async createDriver(ctx) {
    const driver = new LocalProcessDriver({
      logDir: join(ctx.dataDir, 'logs', ctx.jobId), maxWorkers: ctx.localCapacity || undefined,
      dataBindHost: parseAddressSettings(ctx.configuration).taskManagerBindHost,
      semiSpaceMb: readKey(ctx.configuration, JOB_OPTIONS.taskManagerSemiSpaceMb) || undefined,
    });
    return { driver, close: async () => {} };
  },
  // Local TaskManagers of a job process that died for good exit on their own: they wait for a new JobMaster
  // only until the job's leader record is marked ended (dispatcher/provider-cleanup.ts) or
  // taskmanager.registration.timeout passes.
  cleanupAfterDeadJobProcess: async () => {},
};
