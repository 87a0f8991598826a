/**
 * The JobSupervisor's restart policy: a job process that died while its job ran is started again,
 * at most `jobProcessRestarts` times per job with backoff, and each restart is recorded in the
 * job's exception history. Separate from the supervisor because it is the one place that decides
 * whether a dead job process comes back; the supervisor records the end when it does not.
 */
import type { Logger } from 'pino';
import type { JobRecord, JobState, RetryOutcome } from '../metadata/index.js';
import type { SupervisorRegistry } from './job-supervisor-options.js';
import { JobProcessRestartError } from './supervisor-errors.js';

/** States in which a job process that dies is started again (not planning, not cancelling, not ended). */
export const RESTARTABLE: readonly JobState[] = ['CREATED', 'RUNNING', 'RESTARTING'];

/** `exhausted`: restartable, but no restart is left; `restarted`: handled here (restarted, or ended while waiting). */
export type RestartOutcome = 'restarted' | 'exhausted' | 'not-restartable';

/** What the restart policy needs of the supervisor. */
export interface RestartHost {
  registry: SupervisorRegistry;
  logger: Logger;
  /** Restarts one job may have (`jobProcessRestarts`). */
  maxRestarts(): number;
  /** Closing, or not leading (HA): nothing is started. */
  stopped(): boolean;
  /** The supervisor's write policy (retried while Redis is away). */
  retry<T>(jobId: string, what: string, call: () => Promise<T>): Promise<RetryOutcome<T>>;
  start(rec: JobRecord, recoveryAttempt: number): Promise<void>;
  /** The job is gone for good: clean up after it. Never rejects. */
  cleanup(rec: JobRecord): Promise<void>;
}

export class JobRestarts {
  /** Job id → restarts so far. */
  private readonly counts = new Map<string, number>();

  constructor(private readonly host: RestartHost) {}

  /**
   * A job process that died while its job ran (not planning, not cancelling, not ended) is started
   * again, at most `jobProcessRestarts` times with backoff (1 s, 2 s, 4 s, …); the new JobMaster
   * restores from the newest completed checkpoint. Each restart is in the job's exception history.
   */
  async maybeRestart(rec: JobRecord, how: string): Promise<RestartOutcome> {
    const { host } = this;
    const max = host.maxRestarts();
    const attempt = (this.counts.get(rec.id) ?? 0) + 1;
    if (host.stopped() || !RESTARTABLE.includes(rec.state)) return 'not-restartable';
    if (attempt > max) return 'exhausted';
    this.counts.set(rec.id, attempt);
    const delay = 1000 * 2 ** (attempt - 1);
    const cause = `${how}; starting a new job process in ${delay} ms (restart ${attempt} of ${max}), restoring from the latest completed checkpoint`;
    host.logger.error({ jobId: rec.id }, cause);
    const exceptions = [...(rec.exceptions ?? []), { timestamp: Date.now(), cause, taskName: null, location: null }].slice(-20);
    // Lost (logged): the restart goes on all the same; the new job process records its own progress.
    await host.retry(rec.id, 'record the restart (RESTARTING, exception history)', () => host.registry.transition(rec.id, 'RESTARTING', { exceptions }));
    await new Promise((r) => setTimeout(r, delay));
    const read = await host.retry(rec.id, 'read the job record before restarting its process', () => host.registry.get(rec.id));
    if (!read.ok || !read.value || host.stopped()) return 'restarted';
    const now = read.value;
    if (now.state === 'CANCELLING') {
      await host.retry(rec.id, 'mark the job CANCELED', () => host.registry.transition(rec.id, 'CANCELED'));
      await host.cleanup(now);
      return 'restarted';
    }
    // RESTARTING, or still RUNNING/CREATED when that write was lost (a dead process writes nothing more).
    if (!RESTARTABLE.includes(now.state)) return 'restarted';
    try {
      await host.start(now, attempt);
    } catch (err) {
      const failure = new JobProcessRestartError(how, err);
      host.logger.error({ jobId: rec.id, err }, failure.message);
      await host.retry(rec.id, 'mark the job FAILED', () => host.registry.transition(rec.id, 'FAILED', { failureCause: failure.message }));
    }
    return 'restarted';
  }
}
