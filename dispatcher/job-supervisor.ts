/**
 * Starts and watches job processes (one OS process per job: JobMaster +
 * ResourceManager): the planning timeout, cancel escalation (IPC, SIGTERM,
 * SIGKILL), restarts of a job process that died while its job ran, and the end
 * of a job whose process is gone (FAILED with the exit status and the tail of
 * its log). Jobs left by an earlier dispatcher are watched by pid. Processes are
 * reached through a `JobProcessLauncher` and the registry through the narrow
 * `SupervisorRegistry`, so tests run it without processes or Redis. Whether a
 * dead job process is started again is decided in job-restarts.ts; adoption of
 * an earlier dispatcher's jobs and lease loss are handled in job-adoption.ts.
 */
import { randomUUID } from 'node:crypto';
import { retryRegistryCall, type JobRecord, type RetryOutcome } from '../metadata/index.js';
import { defaultOf, DISPATCHER_OPTIONS } from '../config/index.js';
import { EXIT_FENCED } from '../jobmaster/job-leadership.js';
import { ForkJobProcessLauncher, jobLogDir, LAUNCH_SUPERSEDED_EXIT, type FencedLaunch, type JobProcess, type JobProcessExit, type JobProcessLauncher } from './job-process-launcher.js';
import { cleanupAfterDeadJobProcess } from './provider-cleanup.js';
import { JobAdoption } from './job-adoption.js';
import { JobRestarts } from './job-restarts.js';
import { jobSpecOf, type JobSupervisorOptions } from './job-supervisor-options.js';
import { JobProcessLostError, PlanningTimeoutError } from './supervisor-errors.js';
import { LeaseWatch } from './lease-watch.js';

export type { JobCleanup, JobSupervisorOptions, SupervisorRegistry } from './job-supervisor-options.js';

/** A process that ignored SIGTERM this long after the cancel grace gets SIGKILL. */
const SIGKILL_AFTER_MS = 5000;

const describeExit = ({ code, signal }: JobProcessExit) => (signal ? `was killed by ${signal}` : `exited with code ${code}`);
const lastLines = (log: string, n = 8) => log.split('\n').slice(-n).join('\n');

export class JobSupervisor {
  private readonly children = new Map<string, JobProcess>();
  /** Processes adopted from an earlier dispatcher, and lease loss. */
  private readonly adoption: JobAdoption;
  private readonly restarts: JobRestarts;
  /** Jobs whose process ended and whose end (or restart) is being handled: adopting again leaves them alone. */
  private readonly ending = new Set<string>();
  private readonly launcher: JobProcessLauncher;
  private closing = false;
  /** Closed without cancelling: the processes still running belong to the next dispatcher. */
  private detached = false;
  /** Jobs whose process is being started (claim, fork): a second start of the same job waits its turn out. */
  private readonly starting = new Set<string>();
  /**
   * HA: false while this dispatcher does not lead. It then starts and restarts nothing and watches no
   * adopted process; its own children's exits are still recorded, and those writes are refused by the fence.
   */
  private leading = true;
  private readonly leaseWatch: LeaseWatch | undefined;
  /** Job id → why its child was killed (its lease ran out), for the exit's record. */
  private readonly killedFor = new Map<string, string>();

  constructor(private readonly o: JobSupervisorOptions) {
    this.launcher = o.launcher ?? new ForkJobProcessLauncher(o.dataDir, o.logger);
    const leases = o.leases;
    if (leases) {
      this.leaseWatch = new LeaseWatch({
        holders: (ids) => leases.holders(ids), leaseMs: this.leaseMs,
        lost: (id, missingMs, last) => void this.adoption.leaseLost(id, missingMs, last),
        readFailed: (err) => o.logger.debug({ err: err.message }, 'could not read the job process leases; nothing is judged until Redis answers'),
      });
      this.leaseWatch.start();
    }
    const retry = <T>(jobId: string, what: string, call: () => Promise<T>) => this.retry(jobId, what, call);
    this.adoption = new JobAdoption({
      registry: o.registry, logger: o.logger, launcher: this.launcher, leaseWatch: this.leaseWatch, leases: o.leases, fencedLaunch: !!o.fencedLaunch,
      leading: () => this.leading,
      closing: () => this.closing,
      child: (jobId) => this.children.get(jobId),
      busy: (jobId) => this.ending.has(jobId) || this.starting.has(jobId),
      start: (rec) => this.start(rec),
      onExit: (jobId, how) => this.onExit(jobId, how),
      killing: (jobId, why) => this.killedFor.set(jobId, why),
      retry,
    });
    this.restarts = new JobRestarts({
      registry: o.registry, logger: o.logger, retry,
      maxRestarts: () => this.maxRestarts,
      stopped: () => this.closing || !this.leading,
      start: (rec, attempt) => this.start(rec, attempt),
      cleanup: (rec) => this.cleanup(rec),
    });
  }

  private get leaseMs(): number { return this.o.jobProcessLeaseMs ?? defaultOf(DISPATCHER_OPTIONS.jobProcessLeaseMs)!; }

  /** Where the job's process log and spec file are. */
  logDir(jobId: string): string { return jobLogDir(this.o.dataDir, jobId); }

  isRunning(jobId: string): boolean { return this.children.has(jobId) || this.adoption.has(jobId); }

  /** Spawns the job process; resolves once the OS started it. `recoveryAttempt` > 0 restores a job whose process died. */
  async start(rec: JobRecord, recoveryAttempt = 0): Promise<void> {
    if (this.children.has(rec.id) || this.starting.has(rec.id)) return;
    this.starting.add(rec.id);
    try {
      await this.launch(rec, recoveryAttempt);
    } finally {
      this.starting.delete(rec.id);
    }
  }

  private async launch(rec: JobRecord, recoveryAttempt: number): Promise<void> {
    let fenced: FencedLaunch | undefined;
    if (this.o.fencedLaunch) {
      if (!this.leading || !this.o.registry.claimLaunch) throw new Error('this dispatcher does not lead: it starts no job process');
      const launchId = randomUUID();
      // Fenced: a deposed leader's claim throws; a claim that finds another process recorded, or the job ended, is refused.
      if (!(await this.o.registry.claimLaunch(rec.id, launchId, rec.pid))) {
        this.o.logger.info({ jobId: rec.id }, 'job process not started: the job ended, is being cancelled, or another job process was recorded meanwhile');
        return;
      }
      fenced = { launchId, epoch: this.o.fencedLaunch.epoch(), fenceKey: this.o.fencedLaunch.fenceKey };
    }
    const proc = await this.launcher.launch(jobSpecOf(this.o, rec, recoveryAttempt, this.leaseMs), fenced);
    this.children.set(rec.id, proc);
    this.leaseWatch?.watch(rec.id);
    this.o.logger.info({ jobId: rec.id, pid: proc.pid }, 'job process started');
    const planning = setTimeout(() => void this.checkPlanned(rec.id, proc), this.planningTimeoutMs);
    planning.unref();
    proc.onExit((exit) => {
      clearTimeout(planning);
      this.children.delete(rec.id);
      this.leaseWatch?.unwatch(rec.id);
      const killedFor = this.killedFor.get(rec.id);
      this.killedFor.delete(rec.id);
      const how = `job process (pid ${proc.pid}) ${describeExit(exit)}${killedFor ? ` ${killedFor}` : ''}`;
      if (fenced && exit.code === LAUNCH_SUPERSEDED_EXIT) {
        this.o.logger.warn({ jobId: rec.id, pid: proc.pid }, `${how}: its start was superseded (another dispatcher leads and started or adopted the job), so it did not run`);
        return;
      }
      if (this.detached) { this.o.logger.info({ jobId: rec.id }, `${how} after this dispatcher closed; the next dispatcher records it`); return; }
      // It found a newer job process leading its job and stepped aside: that one runs the job, nothing to restart or record.
      if (exit.code === EXIT_FENCED) { this.o.logger.warn({ jobId: rec.id, pid: proc.pid }, 'the job process stopped because a newer job process leads its job'); return; }
      void this.onExit(rec.id, how);
    });
    // The pid lets a later dispatcher adopt the process and keeps a repeated submission from starting a second one.
    // With HA the process records it itself, only if its claim still stands.
    if (!fenced) await this.retry(rec.id, 'record the job process pid', () => this.o.registry.update(rec.id, { pid: proc.pid }));
  }

  /** Planning runs the user's job function: one that loops or waits forever must not hold the job. */
  private async checkPlanned(jobId: string, proc: JobProcess): Promise<void> {
    const read = await this.retry(jobId, 'read the job record for the planning timeout', () => this.o.registry.get(jobId));
    if (!read.ok || !read.value || read.value.state !== 'INITIALIZING' || proc.exited || !this.leading) return;
    const err = new PlanningTimeoutError(this.planningTimeoutMs);
    this.o.logger.error({ jobId, code: err.code }, `planning did not finish within ${err.timeoutMs} ms; killing the job process`);
    // FAILED first: the exit that follows the kill must find the job ended, not report a crash.
    await this.retry(jobId, 'mark the job FAILED (planning timeout)', () => this.o.registry.transition(jobId, 'FAILED', { failureCause: err.message }));
    proc.kill('SIGKILL');
  }

  /** A job process ended (or was found gone): start it again, or record how the job ended. Never rejects. */
  private async onExit(jobId: string, how: string): Promise<void> {
    this.ending.add(jobId);
    try {
      await this.recordExit(jobId, how);
    } catch (err) {
      this.o.logger.error({ err, jobId }, `${how}; could not record the end of the job process`);
    } finally {
      this.ending.delete(jobId);
    }
  }

  private async recordExit(jobId: string, how: string): Promise<void> {
    const read = await this.retry(jobId, 'read the job record after its process ended', () => this.o.registry.get(jobId));
    if (!read.ok || !read.value) return;
    const rec = read.value;
    const restart = await this.restarts.maybeRestart(rec, how);
    if (restart === 'restarted') return;
    // A cancelled job whose process had to be killed is still cancelled.
    const final = rec.state === 'CANCELLING' ? 'CANCELED' : 'FAILED';
    const failureCause = final === 'CANCELED'
      ? `${how} while cancelling`
      : new JobProcessLostError(how, lastLines(this.launcher.logTail(jobId)), restart === 'exhausted' ? { max: this.maxRestarts } : undefined).message;
    const applied = await this.retry(jobId, `mark the job ${final}`, () => this.o.registry.transition(jobId, final, { failureCause }));
    if (applied.ok && applied.value) this.o.logger.error({ jobId }, `${how}; job marked ${final}`);
    // A deposed leader (its write above was fenced) leaves the job, and what its provider runs, to the leader.
    if (!this.leading) return;
    await this.cleanup(rec);
  }

  private get maxRestarts(): number { return this.o.jobProcessRestarts ?? defaultOf(DISPATCHER_OPTIONS.jobProcessRestarts)!; }
  private get planningTimeoutMs(): number { return this.o.planningTimeoutMs ?? defaultOf(DISPATCHER_OPTIONS.planningTimeoutMs)!; }

  /**
   * Asks the job's process to cancel; false when no process of this job is known. A process that
   * does not exit within the grace period (user code blocking its event loop) gets SIGTERM, then
   * SIGKILL. A process adopted from an earlier dispatcher (no IPC channel) gets SIGTERM.
   */
  cancel(jobId: string): boolean {
    const proc = this.children.get(jobId);
    if (proc) {
      this.escalateCancel(jobId, proc);
      if (proc.connected) { proc.send({ type: 'cancel' }); return true; }
      return proc.kill('SIGTERM');
    }
    const pid = this.adoption.pid(jobId);
    if (pid && this.launcher.isAlive(pid)) return this.launcher.signal(pid, 'SIGTERM');
    return false;
  }

  private escalateCancel(jobId: string, proc: JobProcess): void {
    const grace = this.o.cancelGraceMs ?? defaultOf(DISPATCHER_OPTIONS.cancelGraceMs)!;
    const escalate = setTimeout(() => {
      if (proc.exited) return;
      this.o.logger.warn({ jobId, pid: proc.pid }, `the job process did not stop within ${grace} ms of the cancel (${DISPATCHER_OPTIONS.cancelGraceMs.env}); SIGTERM, then SIGKILL`);
      proc.kill('SIGTERM');
      setTimeout(() => { if (!proc.exited) proc.kill('SIGKILL'); }, SIGKILL_AFTER_MS).unref();
    }, grace);
    escalate.unref();
    proc.onExit(() => clearTimeout(escalate));
  }

  /** Adopts non-terminal jobs from an earlier dispatcher (job-adoption.ts). */
  adopt(jobs: JobRecord[]): Promise<void> { return this.adoption.adopt(jobs); }

  /**
   * HA: this dispatcher stopped leading. It starts and restarts nothing and stops watching adopted
   * processes (the new leader adopts them); its own children keep running, and their exits are only
   * reported in writes the fence refuses.
   */
  relinquish(): void {
    this.leading = false;
    this.leaseWatch?.stop();
    this.adoption.relinquish();
  }

  /** HA: this dispatcher leads (again); the recovery that follows adopts the jobs. */
  lead(): void {
    this.leading = true;
    this.leaseWatch?.start();
  }

  /** Cancels every running job process and waits (bounded) for them to exit; or, without `cancelJobs`, leaves them running. */
  async close(cancelJobs: boolean, timeoutMs = 15000): Promise<void> {
    this.closing = true;
    this.adoption.stop();
    this.leaseWatch?.stop();
    if (!cancelJobs) {
      this.detached = true;
      for (const c of this.children.values()) c.detach();
      return;
    }
    const exits = [...this.children.values()].map((c) => new Promise<void>((resolve) => {
      if (c.exited) return resolve();
      const t = setTimeout(() => { c.kill('SIGKILL'); }, timeoutMs);
      c.onExit(() => { clearTimeout(t); resolve(); });
    }));
    for (const id of this.children.keys()) this.cancel(id);
    await Promise.all(exits);
  }

  /** The write policy: retried while Redis is away; once given up, logged with the key (closing: one attempt). */
  private retry<T>(jobId: string, what: string, call: () => Promise<T>): Promise<RetryOutcome<T>> {
    return retryRegistryCall(call, {
      what, key: this.o.registry.jobKey(jobId), logger: this.o.logger, deadlineMs: this.o.registryRetryMs, abandon: () => this.closing,
    });
  }

  /** The job is gone for good: clean up what its resource provider left. A failure is logged, never thrown. */
  private async cleanup(rec: JobRecord): Promise<void> {
    try {
      await (this.o.cleanupJob ?? ((r: JobRecord) => this.reap(r)))(rec);
    } catch (err) {
      this.o.logger.error({ err, jobId: rec.id }, 'could not clean up after the job (on Mesos: tear its framework down); its tasks may run until the framework failover timeout');
    }
  }

  // ---- The one call into resourcemanager/ (the default `cleanupJob`). ----
  /** The resource provider cleans up after the dead job process (on Mesos: its framework, and any task left, must go). */
  private async reap(rec: JobRecord): Promise<void> {
    await cleanupAfterDeadJobProcess(this.o, rec);
  }
}
