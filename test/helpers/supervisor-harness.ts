/**
 * A JobSupervisor wired to in-memory fakes (registry, launcher, log, cleanup hook) for unit
 * tests under vitest's fake timers: no process, no Redis.
 */
import { vi } from 'vitest';
import { JobSupervisor, type JobSupervisorOptions } from '../../dispatcher/job-supervisor.js';
import type { JobRecord } from '../../metadata/index.js';
import { TestingJobProcessLauncher } from './testing-job-process-launcher.js';
import { captureLog } from './testing-supervisor-log.js';
import { TestingSupervisorRegistry } from './testing-supervisor-registry.js';

export function supervisorHarness(options: Partial<JobSupervisorOptions> = {}) {
  const registry = new TestingSupervisorRegistry();
  const launcher = new TestingJobProcessLauncher();
  const log = captureLog();
  /** Job ids the cleanup hook was called for, in order. */
  const cleaned: string[] = [];
  const supervisor = new JobSupervisor({
    registry, launcher, logger: log.logger,
    cleanupJob: async (rec: JobRecord) => { cleaned.push(rec.id); },
    redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'test:', dataDir: '/nonexistent', slotsPerTaskManager: 1, taskManagerMemoryMb: 256,
    localMaxTaskManagers: 4, resourceManager: 'local', providerDefaults: {}, defaultConfiguration: {},
    planningTimeoutMs: 2000, cancelGraceMs: 500,
    ...options,
  });
  return {
    registry, launcher, log, cleaned, supervisor,
    /** Lets every pending promise chain run without moving the fake clock. */
    settle: () => vi.advanceTimersByTimeAsync(0),
    /** Moves the fake clock by `ms`, running the timers due and the promise chains they start. */
    advance: (ms: number) => vi.advanceTimersByTimeAsync(ms),
    state: (id: string) => registry.peek(id)?.state,
    /** Registers a job and starts its process. */
    async startJob(id: string, fields: Partial<JobRecord> = {}) {
      const rec = registry.put({ id, ...fields });
      await supervisor.start(rec);
      return launcher.latest(id);
    },
  };
}
