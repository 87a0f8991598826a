/**
 * A worker store for the Mesos driver's write policy: in memory (MemoryWorkerStore), but each
 * write can be made to fail a given number of times first, as a Redis that is away would.
 */
import { MemoryWorkerStore, type StoredWorker } from '../../resourcemanager/mesos/worker-store.js';

export class FlakyWorkerStore extends MemoryWorkerStore {
  override readonly keys = { frameworkId: 'p:mesos:j1:framework-id', workers: 'p:mesos:j1:workers' };
  /** Failures still to come, for every write. */
  failures = 0;
  /** Every write attempt, in order ("put t1 Launched", "remove t1", "clear"). */
  readonly attempts: string[] = [];
  /** Writes that were applied, in order. */
  readonly applied: string[] = [];

  private async attempt(label: string, write: () => Promise<void>): Promise<void> {
    this.attempts.push(label);
    if (this.failures > 0) { this.failures--; throw new Error('Connection is closed.'); }
    await write();
    this.applied.push(label);
  }

  override put(w: StoredWorker) { return this.attempt(`put ${w.taskId} ${w.goal}`, () => super.put(w)); }
  override remove(taskId: string) { return this.attempt(`remove ${taskId}`, () => super.remove(taskId)); }
  override setFrameworkId(id: string | undefined) { return this.attempt(`framework-id ${id ?? '-'}`, () => super.setFrameworkId(id)); }
  override clear() { return this.attempt('clear', () => super.clear()); }
}
