/**
 * A job's ResourceManager: turns the JobMaster's slot demand into worker
 * requests to its driver, tracks which workers registered, and releases them.
 * Lives in the job process beside the JobMaster (one RM per job, FLIP-6 style).
 */
import type { Logger } from 'pino';
import type { DriverEventHandler, ResourceManagerDriver, ResourceProfile } from './driver.js';

export interface ResourceManagerOptions {
  jobId: string;
  jobMasterAddress: string;
  profile: ResourceProfile;
  logger: Logger;
}

type WorkerState = 'REQUESTED' | 'REGISTERED';

export class ResourceManager {
  private readonly workers = new Map<string, WorkerState>();
  private nextIndex = 1;

  constructor(private readonly driver: ResourceManagerDriver, private readonly opts: ResourceManagerOptions) {}

  async start(handler: DriverEventHandler): Promise<void> {
    await this.driver.initialize({
      onWorkerTerminated: (id, cause) => {
        if (!this.workers.delete(id)) return;
        handler.onWorkerTerminated(id, cause);
      },
      onError: (err) => handler.onError(err),
    });
  }

  get driverName(): string { return this.driver.name; }

  /** Requests enough workers that `slots` slots will exist once they register. */
  async ensureSlots(slots: number): Promise<void> {
    const per = this.opts.profile.slots;
    const needed = Math.ceil(slots / per) - this.workers.size;
    for (let i = 0; i < needed; i++) {
      const index = this.nextIndex++;
      const resourceId = `taskmanager-${String(index).padStart(5, '0')}`;
      this.workers.set(resourceId, 'REQUESTED');
      this.opts.logger.info({ resourceId, profile: this.opts.profile }, 'requesting a TaskManager');
      await this.driver.requestWorker({ resourceId, index, jobId: this.opts.jobId, jobMasterAddress: this.opts.jobMasterAddress, profile: this.opts.profile });
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
    await this.driver.releaseWorker(resourceId);
  }

  async release(resourceId: string): Promise<void> {
    this.workers.delete(resourceId);
    await this.driver.releaseWorker(resourceId);
  }

  async stopAll(): Promise<void> {
    this.workers.clear();
    await this.driver.terminate();
  }
}
