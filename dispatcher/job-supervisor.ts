/**
 * Starts and watches job processes (one OS process per job: JobMaster +
 * ResourceManager): the planning timeout, cancel escalation (IPC, SIGTERM,
 * SIGKILL), restarts of a job process that died while its job ran, and the end
 * of a job whose process is gone (FAILED with the exit status and the tail of
 * its log). Jobs left by an earlier dispatcher are watched by pid. Processes are
 * reached through a `JobProcessLauncher` and the registry through the narrow
 * `SupervisorRegistry`, so tests run it without processes or Redis.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isTerminal, retryRegistryCall, type JobRecord, type JobRegistry, type JobState, type RetryOutcome } from '../metadata/index.js';
import type { JobLeaseStore, LeaseHolder } from '../metadata/job-lease.js';
import { defaultOf, DISPATCHER_OPTIONS } from '../config/index.js';
import type { JobSpec } from '../jobmaster/job-spec.js';
import { EXIT_FENCED } from '../jobmaster/job-leadership.js';
import type { CompiledDispatcherOptions } from './dispatcher-options.js';
import { ForkJobProcessLauncher, jobLogDir, LAUNCH_SUPERSEDED_EXIT, type FencedLaunch, type JobProcess, type JobProcessExit, type JobProcessLauncher } from './job-process-launcher.js';
import { cleanupAfterDeadJobProcess } from './provider-cleanup.js';
import { JobProcessLostError, JobProcessRestartError, PlanningTimeoutError } from './supervisor-errors.js';
import { LeaseWatch, looksLikeJobProcess } from './lease-watch.js';

/** The registry calls the supervisor makes; `JobRegistry` has them, tests pass an in-memory fake. */
export type SupervisorRegistry = Pick<JobRegistry, 'get' | 'transition' | 'update' | 'jobKey'> & Partial<Pick<JobRegistry, 'claimLaunch'>> & {
  /** Only for the Mesos framework teardown of a job gone for good (see `reap`). */
  readonly redis?: Redis;
};

/** Cleans up what a job gone for good left behind (on Mesos: its framework and tasks). */
export type JobCleanup = (rec: JobRecord) => Promise<void>;

/** The dispatcher's options a job process is started with (config/dispatcher-options-table.ts says what each is). */
type JobProcessSettings = Pick<CompiledDispatcherOptions,
  'redisUrl' | 'keyPrefix' | 'dataDir' | 'slotsPerTaskManager' | 'taskManagerMemoryMb' | 'localMaxTaskManagers' | 'resourceManager' | 'providerDefaults' | 'defaultConfiguration'>;

export interface JobSupervisorOptions extends JobProcessSettings {
  registry: SupervisorRegistry;
  /** Restarts of a job process that died while its job ran (then the job fails). @default the jobProcessRestarts option's */
  jobProcessRestarts?: number;
  /** TaskManagers one job may have. @default 0 = unlimited */
  maxTaskManagersPerJob?: number;
  /** TaskManagers all jobs may have together (a job's autoscaler reserves within it). @default 0 = unlimited */
  maxTaskManagers?: number;
  /** A job still INITIALIZING (planning: user code) after this long is killed and FAILED. @default the planningTimeoutMs option's */
  planningTimeoutMs?: number;
  /** After a cancel, SIGTERM a job process still alive after this long, then SIGKILL 5 s later. @default the cancelGraceMs option's */
  cancelGraceMs?: number;
  /** How long a failing registry call is retried before what it would write is logged as lost. @default 60000 */
  registryRetryMs?: number;
  /** Starts job processes. @default ForkJobProcessLauncher (child_process.fork of dist/jobmaster/main.js) */
  launcher?: JobProcessLauncher;
  /**
   * HA: every start of a job process is first claimed in the registry under the leader's epoch (fenced),
   * and the process records itself only if its claim still stands (dispatcher/fenced-job-process.ts), so
   * a deposed leader can never start a job twice. The fence key and the epoch to claim with.
   */
  fencedLaunch?: { fenceKey: string; epoch(): string };
  /** Called once a job whose process is gone has ended for good. @default the Mesos framework teardown (`reap`) */
  cleanupJob?: JobCleanup;
  /**
   * Job-process leases (metadata/job-lease.ts): with them, a job whose process holds no lease any more
   * (dead or hung, on this host or another) is lost like one whose process exited. Without: pids only.
   */
  leases?: Pick<JobLeaseStore, 'holders'>;
  /** The leases' TTL. @default the jobProcessLeaseMs option's */
  jobProcessLeaseMs?: number;
  logger: Logger;
}

/** States in which a job process that dies is started again (not planning, not cancelling, not ended). */
const RESTARTABLE: readonly JobState[] = ['CREATED', 'RUNNING', 'RESTARTING'];
/** A process that ignored SIGTERM this long after the cancel grace gets SIGKILL. */
const SIGKILL_AFTER_MS = 5000;
/** How often processes adopted from an earlier dispatcher are checked. */
const ORPHAN_CHECK_MS = 1000;

type RestartOutcome = 'restarted' | 'exhausted' | 'not-restartable';

const describeExit = ({ code, signal }: JobProcessExit) => (signal ? `was killed by ${signal}` : `exited with code ${code}`);
const lastLines = (log: string, n = 8) => log.split('\n').slice(-n).join('\n');

export class JobSupervisor {
  private readonly children = new Map<string, JobProcess>();
  /** Job id → pid of a process adopted from an earlier dispatcher. */
  private readonly orphans = new Map<string, number>();
  private readonly restarts = new Map<string, number>();
  /** Jobs whose process ended and whose end (or restart) is being handled: adopting again leaves them alone. */
  private readonly ending = new Set<string>();
  private readonly launcher: JobProcessLauncher;
  private orphanTimer: NodeJS.Timeout | undefined;
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
        lost: (id, missingMs) => void this.leaseLost(id, missingMs),
        readFailed: (err) => o.logger.debug({ err: err.message }, 'could not read the job process leases; nothing is judged until Redis answers'),
      });
      this.leaseWatch.start();
    }
  }

  private get leaseMs(): number { return this.o.jobProcessLeaseMs ?? defaultOf(DISPATCHER_OPTIONS.jobProcessLeaseMs)!; }

  /** Where the job's process log and spec file are. */
  logDir(jobId: string): string { return jobLogDir(this.o.dataDir, jobId); }

  isRunning(jobId: string): boolean { return this.children.has(jobId) || this.orphans.has(jobId); }

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
    const proc = await this.launcher.launch(this.specOf(rec, recoveryAttempt), fenced);
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

  private specOf(rec: JobRecord, recoveryAttempt: number): JobSpec {
    const o = this.o;
    return {
      jobId: rec.id, bundlePath: rec.bundlePath, entryClass: rec.entryClass, programArgs: rec.programArgs, parallelism: rec.parallelism,
      defaultName: rec.name, redisUrl: o.redisUrl, keyPrefix: o.keyPrefix, dataDir: o.dataDir,
      slotsPerTaskManager: o.slotsPerTaskManager, taskManagerMemoryMb: o.taskManagerMemoryMb, localMaxTaskManagers: o.localMaxTaskManagers,
      maxTaskManagers: o.maxTaskManagersPerJob ?? 0, totalTaskManagers: o.maxTaskManagers ?? 0,
      configuration: { ...o.defaultConfiguration, ...rec.configuration }, savepointPath: rec.savepointPath || undefined,
      resourceManager: o.resourceManager, providerDefaults: o.providerDefaults,
      recoveryAttempt, leaseMs: this.leaseMs,
    };
  }

  /**
   * A watched job's process holds no lease any more (it died, hangs, or its host is gone). A job that
   * runs is lost: a child of this dispatcher is killed (its exit starts the job again), a process left
   * by an earlier dispatcher is killed if it is on this host and still the job's, and the job is
   * handled like one whose process exited. A job still planning, or ended, is left to its own course.
   */
  private async leaseLost(jobId: string, missingMs: number): Promise<void> {
    const holder = this.leaseWatch?.holder(jobId);
    const read = await this.retry(jobId, 'read the job record after its job process lost its lease', () => this.o.registry.get(jobId));
    if (!read.ok || !read.value || !this.leading) return;
    const rec = read.value;
    const child = this.children.get(jobId);
    if (!RESTARTABLE.includes(rec.state)) {
      // Planning (user code may hold the event loop: the planning timeout decides), or ending: watched again.
      if (!isTerminal(rec.state) && (child || this.orphans.has(jobId))) this.leaseWatch?.watch(jobId);
      return;
    }
    const why = `after holding no lease for ${Math.round(missingMs / 1000)} s (${DISPATCHER_OPTIONS.jobProcessLeaseMs.env}: hung or cut off)`;
    if (child && !child.exited) {
      this.o.logger.error({ jobId, pid: child.pid }, `the job process (pid ${child.pid}) holds no lease any more; killing it to start the job again`);
      this.killedFor.set(jobId, why);
      child.kill('SIGKILL');
      return;
    }
    const pid = this.orphans.get(jobId) ?? rec.pid;
    this.orphans.delete(jobId);
    const local = !holder || holder.host === hostname();
    if (pid && local && this.launcher.isAlive(pid) && looksLikeJobProcess(pid, jobId)) this.launcher.signal(pid, 'SIGKILL');
    const where = holder && !local ? ` on ${holder.host}` : '';
    await this.onExit(jobId, `job process (pid ${holder?.pid ?? (pid || 'unknown')}${where}) lost ${why}`);
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
    const restart = await this.maybeRestart(rec, how);
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
   * A job process that died while its job ran (not planning, not cancelling, not ended) is started
   * again, at most `jobProcessRestarts` times with backoff (1 s, 2 s, 4 s, …); the new JobMaster
   * restores from the newest completed checkpoint. Each restart is in the job's exception history.
   */
  private async maybeRestart(rec: JobRecord, how: string): Promise<RestartOutcome> {
    const max = this.maxRestarts;
    const attempt = (this.restarts.get(rec.id) ?? 0) + 1;
    if (this.closing || !this.leading || !RESTARTABLE.includes(rec.state)) return 'not-restartable';
    if (attempt > max) return 'exhausted';
    this.restarts.set(rec.id, attempt);
    const delay = 1000 * 2 ** (attempt - 1);
    const cause = `${how}; starting a new job process in ${delay} ms (restart ${attempt} of ${max}), restoring from the latest completed checkpoint`;
    this.o.logger.error({ jobId: rec.id }, cause);
    const exceptions = [...(rec.exceptions ?? []), { timestamp: Date.now(), cause, taskName: null, location: null }].slice(-20);
    // Lost (logged): the restart goes on all the same; the new job process records its own progress.
    await this.retry(rec.id, 'record the restart (RESTARTING, exception history)', () => this.o.registry.transition(rec.id, 'RESTARTING', { exceptions }));
    await new Promise((r) => setTimeout(r, delay));
    const read = await this.retry(rec.id, 'read the job record before restarting its process', () => this.o.registry.get(rec.id));
    if (!read.ok || !read.value || this.closing || !this.leading) return 'restarted';
    const now = read.value;
    if (now.state === 'CANCELLING') {
      await this.retry(rec.id, 'mark the job CANCELED', () => this.o.registry.transition(rec.id, 'CANCELED'));
      await this.cleanup(now);
      return 'restarted';
    }
    // RESTARTING, or still RUNNING/CREATED when that write was lost (a dead process writes nothing more).
    if (!RESTARTABLE.includes(now.state)) return 'restarted';
    try {
      await this.start(now, attempt);
    } catch (err) {
      const failure = new JobProcessRestartError(how, err);
      this.o.logger.error({ jobId: rec.id, err }, failure.message);
      await this.retry(rec.id, 'mark the job FAILED', () => this.o.registry.transition(rec.id, 'FAILED', { failureCause: failure.message }));
    }
    return 'restarted';
  }

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
    const pid = this.orphans.get(jobId);
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

  /**
   * Adopts non-terminal jobs from an earlier dispatcher: alive ones are watched, dead ones are restarted
   * or end. Runs on start and again whenever Redis becomes reachable: jobs already watched here, or
   * whose end is being handled, are left as they are.
   */
  async adopt(jobs: JobRecord[]): Promise<void> {
    // Who holds each job's lease: a process on another host is adopted by its lease (its pid means nothing here).
    let holders = new Map<string, LeaseHolder | undefined>();
    if (this.o.leases) {
      try {
        holders = await this.o.leases.holders(jobs.filter((j) => !isTerminal(j.state)).map((j) => j.id));
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message }, 'could not read the job process leases; adopting by pid');
      }
    }
    for (const j of jobs) {
      if (this.closing || !this.leading) return;
      if (this.children.has(j.id)) { this.leaseWatch?.watch(j.id); continue; }
      if (this.orphans.has(j.id) || this.ending.has(j.id) || this.starting.has(j.id)) continue;
      const holder = holders.get(j.id);
      const remote = holder && holder.host !== hostname();
      if (remote) { this.orphans.set(j.id, 0); this.leaseWatch?.watch(j.id); this.o.logger.info({ jobId: j.id, host: holder.host, pid: holder.pid }, 'adopted a job process on another host (watched by its lease)'); }
      else if (j.pid && this.launcher.isAlive(j.pid)) { this.orphans.set(j.id, j.pid); this.leaseWatch?.watch(j.id); }
      // HA: a queued job no process was recorded for (its leader died between taking it and starting it,
      // or it waits on the queue) starts now; the claim makes this and a later delivery one start.
      else if (this.o.fencedLaunch && j.state === 'INITIALIZING' && !j.pid && j.queuedAt) {
        try {
          await this.start(j);
        } catch (err) {
          this.o.logger.error({ jobId: j.id, err: (err as Error).message }, 'could not start the job process of a queued job found without one');
        }
      }
      // INITIALIZING without a pid: still queued, the submission worker starts it (or never queued: the dispatcher's sweep queues it).
      else if (j.state !== 'INITIALIZING' || j.pid) await this.onExit(j.id, `job process (pid ${j.pid || 'unknown'}) is gone (found on dispatcher start)`);
    }
    this.orphanTimer ??= setInterval(() => {
      for (const [id, pid] of this.orphans) {
        // pid 0: on another host, watched by its lease only.
        if (!pid || this.launcher.isAlive(pid)) continue;
        this.leaseWatch?.unwatch(id);
        this.orphans.delete(id);
        void this.onExit(id, `job process (pid ${pid}) exited`);
      }
    }, ORPHAN_CHECK_MS);
    this.orphanTimer.unref();
  }

  /**
   * HA: this dispatcher stopped leading. It starts and restarts nothing and stops watching adopted
   * processes (the new leader adopts them); its own children keep running, and their exits are only
   * reported in writes the fence refuses.
   */
  relinquish(): void {
    this.leading = false;
    this.leaseWatch?.stop();
    clearInterval(this.orphanTimer);
    this.orphanTimer = undefined;
    this.orphans.clear();
  }

  /** HA: this dispatcher leads (again); the recovery that follows adopts the jobs. */
  lead(): void {
    this.leading = true;
    this.leaseWatch?.start();
  }

  /** Cancels every running job process and waits (bounded) for them to exit; or, without `cancelJobs`, leaves them running. */
  async close(cancelJobs: boolean, timeoutMs = 15000): Promise<void> {
    this.closing = true;
    clearInterval(this.orphanTimer);
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
