/**
 * The Mesos driver's writes to its worker store, under the control plane's one write policy
 * (metadata/registry-retry.ts): a write that fails is retried with backoff until a deadline, and
 * one that still fails is logged at error level with the Redis key (and hash field) it lost —
 * none is dropped silently. Writes of one record run in the order they were made, so a retried
 * old write never lands after a newer one (e.g. a task's "New" after its "Launched").
 */
import type { Logger } from 'pino';
import { retryRegistryCall } from '../../metadata/registry-retry.js';
import type { StoredWorker, WorkerStore } from './worker-store.js';

/**
 * How long one write is retried. Shorter than the job registry's minute: the driver's state is a
 * recovery aid (a restarted job process reconciles from it), and the job's end waits on these writes.
 */
export const WORKER_STORE_WRITE_DEADLINE_MS = 30_000;

const FRAMEWORK_ID = '\0framework-id';

export class WorkerStoreWrites {
  /** The last write of each record (task id, or the framework id), which the next one waits for. */
  private readonly tails = new Map<string, Promise<boolean>>();

  constructor(
    private readonly store: WorkerStore,
    private readonly logger: Pick<Logger, 'warn' | 'error'>,
    private readonly deadlineMs = WORKER_STORE_WRITE_DEADLINE_MS,
  ) {}

  /** Records a worker's goal state; true once written, false when given up (and logged). */
  put(w: StoredWorker): Promise<boolean> {
    return this.write(w.taskId, `record Mesos task ${w.taskId} as ${w.goal}`, `${this.store.keys.workers} ${w.taskId}`, () => this.store.put(w));
  }

  /** Forgets a task that is gone. */
  remove(taskId: string): Promise<boolean> {
    return this.write(taskId, `forget Mesos task ${taskId}`, `${this.store.keys.workers} ${taskId}`, () => this.store.remove(taskId));
  }

  /** Records (or, with undefined, forgets) the framework id. */
  setFrameworkId(id: string | undefined): Promise<boolean> {
    return this.write(FRAMEWORK_ID, id ? 'record the Mesos framework id' : 'forget the Mesos framework id', this.store.keys.frameworkId, () => this.store.setFrameworkId(id));
  }

  /** Deletes everything, after every write already made. */
  async clear(): Promise<boolean> {
    await Promise.all(this.tails.values());
    const k = this.store.keys;
    return this.write(FRAMEWORK_ID, 'delete the job\'s Mesos state', `${k.frameworkId}, ${k.workers}`, () => this.store.clear());
  }

  private write(record: string, what: string, key: string, call: () => Promise<void>): Promise<boolean> {
    const previous = this.tails.get(record) ?? Promise.resolve(true);
    // retryRegistryCall never rejects: it resolves ok, or not ok after logging what was lost.
    const next = previous.then(() => retryRegistryCall(call, { what, key, logger: this.logger, deadlineMs: this.deadlineMs })).then((r) => r.ok);
    this.tails.set(record, next);
    void next.then(() => { if (this.tails.get(record) === next) this.tails.delete(record); });
    return next;
  }
}
