/**
 * A job's ResourceManager: turns the JobMaster's slot demand into worker
 * requests to its driver, counts workers that are requested but not yet
 * registered (so a demand is never requested twice), tracks which workers
 * registered, and releases them. Lives in the job process beside the
 * JobMaster (one RM per job, FLIP-6 style). Nothing here waits for a worker to
 * start: the JobMaster learns of new slots when TaskManagers register.
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
}

type WorkerState = 'REQUESTED' | 'STARTING' | 'REGISTERED';

export class ResourceManager {
  private readonly workers = new Map<string, WorkerState>();
  private nextIndex = 1;
  private holdUntil = 0;
  private deferred: NodeJS.Timeout | undefined;
  private demand = 0;
  private readonly secrets: WorkerSecrets;

  constructor(private readonly driver: ResourceManagerDriver, private readonly opts: ResourceManagerOptions) {
    this.secrets = opts.secrets ?? new WorkerSecrets();
  }

  async start(handler: DriverEventHandler): Promise<void> {
    await this.driver.initialize({
      onWorkerStarted: (id) => {
        if (this.workers.get(id) === 'REQUESTED') this.workers.set(id, 'STARTING');
      },
      onWorkerTerminated: (id, cause) => {
        if (!this.workers.delete(id)) return;
        this.secrets.revoke(id);
        handler.onWorkerTerminated(id, cause);
      },
      onError: (err) => handler.onError(err),
    });
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
      this.opts.logger.info({ resourceId, profile: this.opts.profile }, 'requesting a TaskManager');
      const secret = this.secrets.issue(resourceId).toString('hex');
      this.driver.requestWorker({ resourceId, index, jobId: this.opts.jobId, jobMasterAddress: this.opts.jobMasterAddress, profile: this.opts.profile, secret, ...(this.opts.ssl ? { ssl: this.opts.ssl } : {}) });
    }
  }

  /** Called when a TaskManager registers; false means it is not one of ours. */
  registered(resourceId: string): boolean {
    if (!this.workers.has(resourceId)) return false;
    this.workers.set(resourceId, 'REGISTERED');
    return true;
  }

  /** A worker the JobMaster gave up on (lost connection, missed heartbeats): forget it and make sure it is gone. */
  async workerLost(resourceId: string): Promise<void> {
    this.workers.delete(resourceId);
    this.secrets.revoke(resourceId);
    if (this.opts.retryIntervalMs) this.holdUntil = Date.now() + this.opts.retryIntervalMs;
    await this.driver.releaseWorker(resourceId);
  }

  /** Stops a worker the job no longer needs; not a failure. */
  async release(resourceId: string): Promise<void> {
    this.workers.delete(resourceId);
    this.secrets.revoke(resourceId);
    await this.driver.releaseWorker(resourceId);
  }

  /** Withdraws the requests not fulfilled yet (a rescale that gave up waiting for them). */
  async cancelPending(): Promise<void> {
    clearTimeout(this.deferred);
    this.deferred = undefined;
    const pending = [...this.workers].filter(([, s]) => s !== 'REGISTERED').map(([id]) => id);
    for (const id of pending) { this.workers.delete(id); this.secrets.revoke(id); }
    await Promise.all(pending.map((id) => this.driver.releaseWorker(id)));
  }

  async stopAll(): Promise<void> {
    clearTimeout(this.deferred);
    this.workers.clear();
    this.secrets.clear();
    await this.driver.terminate();
  }
}
