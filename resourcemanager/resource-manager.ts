/**
 * A job's ResourceManager: turns the JobMaster's slot demand into worker
 * requests to its driver, counts workers that are requested but not yet
 * registered (so a demand is never requested twice), tracks which workers
 * registered, and releases them. Lives in the job process beside the
 * JobMaster (one RM per job, FLIP-6 style). Nothing here waits for a worker to
 * start: the JobMaster learns of new slots when TaskManagers register.
 *
 * Across a job-process failover it keeps the job's TaskManagers: it hands the registered workers (with
 * their registration secrets) to `recovery.save` whenever they change, and a new job process's
 * ResourceManager starts with them as RECOVERING workers (counted like requested ones, so nothing is
 * requested for them) until they re-register, or `recovery.timeoutMs` passes and the missing ones are
 * requested anew.
 */
import type { Logger } from 'pino';
import { WorkerSecrets } from '../rpc/worker-secrets.js';
import type { InternalSslSettings } from '../runtime/network/tls.js';
import type { DriverEventHandler, ResourceManagerDriver, ResourceProfile } from './driver.js';

export interface ResourceManagerOptions {
  jobId: string;
  jobMasterAddress: string;
  profile: ResourceProfile;
  logger: Logger;
  /** Never more workers requested or registered than this (a safety net under the API's checks). @default unlimited */
  maxWorkers?: number;
  /**
   * After a worker is lost, wait this long before requesting new ones
   * (Flink's `resourcemanager.start-worker.retry-interval`). @default 0
   */
  retryIntervalMs?: number;
  /** Where the secrets issued to requested workers are kept for the JobMaster's endpoint. @default a table of its own */
  secrets?: WorkerSecrets;
  /** `security.ssl.internal.*`, handed to every TaskManager requested. */
  ssl?: InternalSslSettings;
  /** Keep TaskManagers across a job-process failover (needs a driver that can adopt workers). */
  recovery?: WorkerRecoveryOptions;
}

/** The TaskManagers one job process had registered, for the next one (jobmaster/worker-recovery-file.ts keeps them). */
export interface RecoverableWorkers {
  /**
   * Registered workers and their registration secrets; `pid`: the worker's process as it registered,
   * so that one which does not re-register can still be stopped (by drivers that stop workers by pid).
   */
  workers: Array<{ resourceId: string; secret: Buffer; pid?: number }>;
  /** The largest worker index used so far: new resource ids continue after it. */
  lastIndex: number;
}

/** Keeping TaskManagers across a job-process failover. */
export interface WorkerRecoveryOptions {
  /** The workers the earlier job process had registered: they may re-register with this one. */
  previous?: RecoverableWorkers;
  /** How long they are waited for (`resourcemanager.previous-worker.recovery.timeout`). */
  timeoutMs: number;
  /** Called whenever the registered workers change, to keep them for a later job process. */
  save?(workers: RecoverableWorkers): void;
}

type WorkerState = 'REQUESTED' | 'STARTING' | 'RECOVERING' | 'REGISTERED';

export class ResourceManager {
  private readonly workers = new Map<string, WorkerState>();
  private nextIndex = 1;
  private holdUntil = 0;
  private deferred: NodeJS.Timeout | undefined;
  private demand = 0;
  private readonly secrets: WorkerSecrets;
  private recoveryTimer: NodeJS.Timeout | undefined;
  /** The process of each registered worker (and of each RECOVERING one, from the earlier job process). */
  private readonly pids = new Map<string, number>();
  /** Workers asked of the driver so far. */
  requestedWorkers = 0;
  /** Workers of the earlier job process that re-registered with this one. */
  recoveredWorkers = 0;

  constructor(private readonly driver: ResourceManagerDriver, private readonly opts: ResourceManagerOptions) {
    this.secrets = opts.secrets ?? new WorkerSecrets();
  }

  async start(handler: DriverEventHandler): Promise<void> {
    await this.driver.initialize({
      onWorkerStarted: (id) => {
        if (this.workers.get(id) === 'REQUESTED') this.workers.set(id, 'STARTING');
      },
      onWorkerTerminated: (id, cause) => {
        const state = this.workers.get(id);
        if (!state || !this.workers.delete(id)) return;
        this.secrets.revoke(id);
        if (state === 'REGISTERED') this.saveWorkers();
        handler.onWorkerTerminated(id, cause);
      },
      onError: (err) => handler.onError(err),
    });
    this.recoverPrevious();
  }

  /** Whether TaskManagers can outlive this job process and be taken over by the next one. */
  get keepsWorkersAcrossFailover(): boolean { return !!this.opts.recovery && !!this.driver.adoptWorker; }

  /** The earlier job process's TaskManagers become RECOVERING workers, waited for within the timeout. */
  private recoverPrevious(): void {
    const previous = this.opts.recovery?.previous;
    if (!previous) return;
    this.nextIndex = Math.max(this.nextIndex, previous.lastIndex + 1);
    if (!previous.workers.length) return;
    if (!this.keepsWorkersAcrossFailover) {
      this.opts.logger.info({ driver: this.driver.name, workers: previous.workers.length }, 'this resource provider cannot take over the TaskManagers of the earlier job process; requesting new ones');
      return;
    }
    for (const w of previous.workers) {
      this.workers.set(w.resourceId, 'RECOVERING');
      this.secrets.restore(w.resourceId, w.secret);
      if (w.pid) this.pids.set(w.resourceId, w.pid);
    }
    const timeoutMs = this.opts.recovery!.timeoutMs;
    this.opts.logger.info({ workers: previous.workers.map((w) => w.resourceId), timeoutMs }, 'waiting for the TaskManagers of the earlier job process to re-register');
    this.recoveryTimer = setTimeout(() => this.endRecovery(), timeoutMs);
    this.recoveryTimer.unref?.();
  }

  /** The wait for the earlier job process's TaskManagers is over: those missing are requested anew. */
  private endRecovery(): void {
    clearTimeout(this.recoveryTimer);
    this.recoveryTimer = undefined;
    const missing = this.idsWhere((s) => s === 'RECOVERING');
    if (!missing.length) return;
    this.opts.logger.warn({ missing, timeoutMs: this.opts.recovery?.timeoutMs }, 'TaskManagers of the earlier job process did not re-register in time (resourcemanager.previous-worker.recovery.timeout); requesting new ones for them');
    // Whatever the provider still runs of them (a Mesos task, a local process by its pid) is stopped.
    void this.stopUnrecovered(missing);
    if (this.demand > 0) this.ensureSlots(this.demand);
  }

  /**
   * Stops workers of the earlier job process that did not re-register (yet): the driver finds them
   * by resource id (a Mesos task) or by the pid they had registered with (a local process).
   */
  private stopUnrecovered(ids: string[]): Promise<void> {
    return Promise.all(ids.map((id) => {
      const pid = this.forget(id);
      return this.driver.releaseWorker(id, pid)
        .catch((err: Error) => this.opts.logger.warn({ resourceId: id, pid, err: err.message }, 'stopping a TaskManager of the earlier job process failed'));
    })).then(() => undefined);
  }

  /** Drops a worker from the books (state, secret, pid); returns the pid it had registered with. */
  private forget(id: string): number | undefined {
    const pid = this.pids.get(id);
    this.workers.delete(id);
    this.secrets.revoke(id);
    this.pids.delete(id);
    return pid;
  }

  private idsWhere(pred: (s: WorkerState) => boolean): string[] {
    return [...this.workers].filter(([, s]) => pred(s)).map(([id]) => id);
  }

  /** Hands the registered workers to `recovery.save`, for a later job process. */
  private saveWorkers(): void {
    const save = this.opts.recovery?.save;
    if (!save) return;
    const workers = [...this.workers].filter(([, s]) => s === 'REGISTERED').flatMap(([resourceId]) => {
      const secret = this.secrets.get(resourceId);
      const pid = this.pids.get(resourceId);
      return secret ? [{ resourceId, secret, ...(pid ? { pid } : {}) }] : [];
    });
    save({ workers, lastIndex: this.nextIndex - 1 });
  }

  get driverName(): string { return this.driver.name; }

  /** Workers requested and not registered yet (waiting for the provider, or started). */
  get pendingWorkers(): number { return [...this.workers.values()].filter((s) => s !== 'REGISTERED').length; }
  /** Workers whose process runs but has not registered yet. */
  get startingWorkers(): number { return [...this.workers.values()].filter((s) => s === 'STARTING').length; }

  /** The provider's account of waiting requests (for error messages). */
  describe(): string {
    const counts = `${this.pendingWorkers} pending (${this.startingWorkers} started), ${this.registeredWorkers} registered`;
    return this.driver.describe ? `${counts}; ${this.driver.describe()}` : counts;
  }
  get registeredWorkers(): number { return [...this.workers.values()].filter((s) => s === 'REGISTERED').length; }

  /**
   * Makes sure enough workers are requested or registered that `slots` slots will exist, asking
   * the driver for all missing ones at once. Returns at once; while the retry interval after a
   * lost worker runs, the requests are made when it ends.
   */
  ensureSlots(slots: number): void {
    this.demand = slots;
    const wait = this.holdUntil - Date.now();
    if (wait > 0) {
      this.deferred ??= setTimeout(() => { this.deferred = undefined; this.ensureSlots(this.demand); }, wait);
      return;
    }
    const wanted = Math.ceil(slots / this.opts.profile.slots);
    const cap = this.opts.maxWorkers || Infinity;
    if (wanted > cap) this.opts.logger.warn({ wanted, cap }, 'more TaskManagers wanted than the job may have (EBBFLOW_MAX_TASKMANAGERS_PER_JOB); asking for the limit');
    const needed = Math.min(wanted, cap) - this.workers.size;
    for (let i = 0; i < needed; i++) {
      const index = this.nextIndex++;
      // Unique across jobs (the REST API lists every job's TaskManagers together): the job id's first 8 hex.
      const resourceId = `${this.opts.jobId.slice(0, 8)}-taskmanager-${String(index).padStart(5, '0')}`;
      this.workers.set(resourceId, 'REQUESTED');
      this.requestedWorkers++;
      this.opts.logger.info({ resourceId, profile: this.opts.profile }, 'requesting a TaskManager');
      const secret = this.secrets.issue(resourceId).toString('hex');
      this.driver.requestWorker({ resourceId, index, jobId: this.opts.jobId, jobMasterAddress: this.opts.jobMasterAddress, profile: this.opts.profile, secret, ...(this.opts.ssl ? { ssl: this.opts.ssl } : {}) });
    }
  }

  /**
   * Called when a TaskManager registers; false means it is not one of ours. One of the earlier job
   * process (`pid`: its process) is handed to the driver to be stopped and watched like its own.
   */
  registered(resourceId: string, pid = 0): boolean {
    const state = this.workers.get(resourceId);
    if (!state) return false;
    if (state === 'RECOVERING') {
      this.driver.adoptWorker!(resourceId, pid);
      this.recoveredWorkers++;
      this.opts.logger.info({ resourceId, pid }, 'a TaskManager of the earlier job process re-registered');
    }
    this.workers.set(resourceId, 'REGISTERED');
    if (pid) this.pids.set(resourceId, pid);
    if (this.recoveryTimer && ![...this.workers.values()].includes('RECOVERING')) {
      clearTimeout(this.recoveryTimer);
      this.recoveryTimer = undefined;
    }
    this.saveWorkers();
    return true;
  }

  /** A worker the JobMaster gave up on (lost connection, missed heartbeats): forget it and make sure it is gone. */
  async workerLost(resourceId: string): Promise<void> {
    this.forget(resourceId);
    this.saveWorkers();
    if (this.opts.retryIntervalMs) this.holdUntil = Date.now() + this.opts.retryIntervalMs;
    await this.driver.releaseWorker(resourceId);
  }

  /** Stops a worker the job no longer needs; not a failure. */
  async release(resourceId: string): Promise<void> {
    this.forget(resourceId);
    this.saveWorkers();
    await this.driver.releaseWorker(resourceId);
  }

  /** Withdraws the requests not fulfilled yet (a rescale that gave up waiting for them). */
  async cancelPending(): Promise<void> {
    clearTimeout(this.deferred);
    this.deferred = undefined;
    const pending = this.idsWhere((s) => s !== 'REGISTERED');
    const pids = pending.map((id) => this.forget(id));
    await Promise.all(pending.map((id, i) => this.driver.releaseWorker(id, pids[i])));
  }

  /** Stops every worker, also those of the earlier job process still expected to re-register. */
  async stopAll(): Promise<void> {
    clearTimeout(this.deferred);
    clearTimeout(this.recoveryTimer);
    const unrecovered = this.stopUnrecovered(this.idsWhere((s) => s === 'RECOVERING'));
    this.workers.clear();
    this.secrets.clear();
    this.pids.clear();
    await Promise.all([this.driver.terminate(), unrecovered]);
  }
}
