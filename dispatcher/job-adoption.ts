/**
 * The JobSupervisor's watch over job processes it did not start, and over those that stopped
 * holding their lease: jobs left by an earlier dispatcher are adopted (alive ones watched by pid, or
 * by lease on another host; dead ones handed back to the supervisor to restart or end), and a job
 * whose process holds no lease any more is lost like one whose process exited. Separate from the
 * supervisor, which starts processes and handles their exits: this part only finds processes gone.
 */
import type { Logger } from 'pino';
import { hostname } from 'node:os';
import { isTerminal, type JobRecord, type RetryOutcome } from '../metadata/index.js';
import type { JobLeaseStore, LeaseHolder } from '../metadata/job-lease.js';
import { DISPATCHER_OPTIONS } from '../config/index.js';
import type { JobProcess, JobProcessLauncher } from './job-process-launcher.js';
import { RESTARTABLE } from './job-restarts.js';
import type { SupervisorRegistry } from './job-supervisor-options.js';
import { looksLikeJobProcess, type LeaseWatch } from './lease-watch.js';

/** How often processes adopted from an earlier dispatcher are checked. */
const ORPHAN_CHECK_MS = 1000;

/** What adoption needs of the supervisor. */
export interface AdoptionHost {
  registry: SupervisorRegistry;
  logger: Logger;
  launcher: JobProcessLauncher;
  leaseWatch: LeaseWatch | undefined;
  leases: Pick<JobLeaseStore, 'holders'> | undefined;
  /** HA: a queued job found without a process is started here. */
  fencedLaunch: boolean;
  leading(): boolean;
  closing(): boolean;
  /** The supervisor's own child running the job. */
  child(jobId: string): JobProcess | undefined;
  /** The job's process is being started, or its end is being handled: adopting leaves it alone. */
  busy(jobId: string): boolean;
  start(rec: JobRecord): Promise<void>;
  /** A job process ended (or was found gone): start it again, or record how the job ended. Never rejects. */
  onExit(jobId: string, how: string): Promise<void>;
  /** Remembers why the child is being killed, for its exit's record. */
  killing(jobId: string, why: string): void;
  /** The supervisor's write policy (retried while Redis is away). */
  retry<T>(jobId: string, what: string, call: () => Promise<T>): Promise<RetryOutcome<T>>;
}

export class JobAdoption {
  /** Job id → pid of a process adopted from an earlier dispatcher (0: on another host, watched by its lease only). */
  private readonly orphans = new Map<string, number>();
  private orphanTimer: NodeJS.Timeout | undefined;

  constructor(private readonly host: AdoptionHost) {}

  has(jobId: string): boolean { return this.orphans.has(jobId); }
  pid(jobId: string): number | undefined { return this.orphans.get(jobId); }

  /**
   * Adopts non-terminal jobs from an earlier dispatcher: alive ones are watched, dead ones are restarted
   * or end. Runs on start and again whenever Redis becomes reachable: jobs already watched here, or
   * whose end is being handled, are left as they are.
   */
  async adopt(jobs: JobRecord[]): Promise<void> {
    const { host } = this;
    // Who holds each job's lease: a process on another host is adopted by its lease (its pid means nothing here).
    let holders = new Map<string, LeaseHolder | undefined>();
    if (host.leases) {
      try {
        holders = await host.leases.holders(jobs.filter((j) => !isTerminal(j.state)).map((j) => j.id));
      } catch (err) {
        host.logger.warn({ err: (err as Error).message }, 'could not read the job process leases; adopting by pid');
      }
    }
    for (const j of jobs) {
      if (host.closing() || !host.leading()) return;
      if (host.child(j.id)) { host.leaseWatch?.watch(j.id); continue; }
      if (this.orphans.has(j.id) || host.busy(j.id)) continue;
      const holder = holders.get(j.id);
      const remote = holder && holder.host !== hostname();
      if (remote) { this.orphans.set(j.id, 0); host.leaseWatch?.watch(j.id); host.logger.info({ jobId: j.id, host: holder.host, pid: holder.pid }, 'adopted a job process on another host (watched by its lease)'); }
      else if (j.pid && host.launcher.isAlive(j.pid)) { this.orphans.set(j.id, j.pid); host.leaseWatch?.watch(j.id); }
      // HA: a queued job no process was recorded for (its leader died between taking it and starting it,
      // or it waits on the queue) starts now; the claim makes this and a later delivery one start.
      else if (host.fencedLaunch && j.state === 'INITIALIZING' && !j.pid && j.queuedAt) {
        try {
          await host.start(j);
        } catch (err) {
          host.logger.error({ jobId: j.id, err: (err as Error).message }, 'could not start the job process of a queued job found without one');
        }
      }
      // INITIALIZING without a pid: still queued, the submission worker starts it (or never queued: the dispatcher's sweep queues it).
      else if (j.state !== 'INITIALIZING' || j.pid) await host.onExit(j.id, `job process (pid ${j.pid || 'unknown'}) is gone (found on dispatcher start)`);
    }
    this.orphanTimer ??= setInterval(() => {
      for (const [id, pid] of this.orphans) {
        // pid 0: on another host, watched by its lease only.
        if (!pid || host.launcher.isAlive(pid)) continue;
        host.leaseWatch?.unwatch(id);
        this.orphans.delete(id);
        void host.onExit(id, `job process (pid ${pid}) exited`);
      }
    }, ORPHAN_CHECK_MS);
    this.orphanTimer.unref();
  }

  /**
   * A watched job's process holds no lease any more (it died, hangs, or its host is gone). A job that
   * runs is lost: a child of this dispatcher is killed (its exit starts the job again), a process left
   * by an earlier dispatcher is killed if it is on this host and still the job's, and the job is
   * handled like one whose process exited. A job still planning, or ended, is left to its own course.
   */
  async leaseLost(jobId: string, missingMs: number, holder: LeaseHolder | undefined): Promise<void> {
    const { host } = this;
    const read = await host.retry(jobId, 'read the job record after its job process lost its lease', () => host.registry.get(jobId));
    if (!read.ok || !read.value || !host.leading()) return;
    const rec = read.value;
    const child = host.child(jobId);
    if (!RESTARTABLE.includes(rec.state)) {
      // Planning (user code may hold the event loop: the planning timeout decides), or ending: watched again.
      if (!isTerminal(rec.state) && (child || this.orphans.has(jobId))) host.leaseWatch?.watch(jobId);
      return;
    }
    const why = `after holding no lease for ${Math.round(missingMs / 1000)} s (${DISPATCHER_OPTIONS.jobProcessLeaseMs.env}: hung or cut off)`;
    if (child && !child.exited) {
      host.logger.error({ jobId, pid: child.pid }, `the job process (pid ${child.pid}) holds no lease any more; killing it to start the job again`);
      host.killing(jobId, why);
      child.kill('SIGKILL');
      return;
    }
    const pid = this.orphans.get(jobId) ?? rec.pid;
    this.orphans.delete(jobId);
    const local = !holder || holder.host === hostname();
    if (pid && local && host.launcher.isAlive(pid) && looksLikeJobProcess(pid, jobId)) host.launcher.signal(pid, 'SIGKILL');
    const where = holder && !local ? ` on ${holder.host}` : '';
    await host.onExit(jobId, `job process (pid ${holder?.pid ?? (pid || 'unknown')}${where}) lost ${why}`);
  }

  /** The supervisor closes: adopted processes are no longer checked. */
  stop(): void {
    clearInterval(this.orphanTimer);
  }

  /** HA: this dispatcher stopped leading; the new leader adopts the processes. */
  relinquish(): void {
    clearInterval(this.orphanTimer);
    this.orphanTimer = undefined;
    this.orphans.clear();
  }
}
