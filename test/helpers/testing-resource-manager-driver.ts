/**
 * A ResourceManagerDriver for JobMaster tests (Flink's TestingResourceManagerDriver):
 * records every worker requested and released, and lets the test decide when
 * (and whether) a requested worker starts — by default at once, through
 * `onRequest` — or terminates, as a crash would.
 */
import type { DriverEventHandler, ResourceManagerDriver, WorkerSpec } from '../../resourcemanager/driver.js';

export class TestingResourceManagerDriver implements ResourceManagerDriver {
  readonly name = 'testing';
  readonly requested: WorkerSpec[] = [];
  readonly released: string[] = [];
  /** The pid given with each release that had one (workers of an earlier job process that did not re-register). */
  readonly releasedPids = new Map<string, number>();
  /** Workers requested and neither released nor terminated. */
  readonly live = new Map<string, WorkerSpec>();
  terminated = false;
  /** Workers of an earlier job process taken over, with their pids. */
  readonly adopted = new Map<string, number>();
  private handler: DriverEventHandler | undefined;

  /** Called for every request: start the worker (e.g. register a testing TaskManager) or leave it pending. */
  constructor(public onRequest: (spec: WorkerSpec) => void = () => {}) {}

  async initialize(handler: DriverEventHandler): Promise<void> { this.handler = handler; }

  requestWorker(spec: WorkerSpec): void {
    this.requested.push(spec);
    this.live.set(spec.resourceId, spec);
    this.onRequest(spec);
  }

  adoptWorker(resourceId: string, pid: number): void {
    this.adopted.set(resourceId, pid);
    this.live.set(resourceId, { resourceId, index: 0, jobId: '', jobMasterAddress: '', profile: { cpuCores: 1, memoryMb: 512, slots: 1 }, secret: '' });
  }

  async releaseWorker(resourceId: string, pid?: number): Promise<void> {
    this.released.push(resourceId);
    if (pid) this.releasedPids.set(resourceId, pid);
    this.live.delete(resourceId);
  }

  async terminate(): Promise<void> {
    this.terminated = true;
    this.live.clear();
  }

  /** A worker stops without being released (its process crashed). */
  crash(resourceId: string, cause = `worker ${resourceId} exited`): void {
    this.live.delete(resourceId);
    this.handler?.onWorkerTerminated(resourceId, cause);
  }

  describe(): string { return `testing driver: ${this.live.size} live worker(s)`; }
}
