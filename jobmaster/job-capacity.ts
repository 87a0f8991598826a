/**
 * The job's TaskManager reservation (metadata/capacity-reservations.ts) from the job process's side.
 * The dispatcher reserves for a run, a rescale request and a requirements change; the job process
 * lowers the reservation once a rescale ended (`settle`), and reserves by itself before a scale-up
 * nobody requested through the dispatcher: the autoscaler's (`reserve`), against the same limits,
 * in the same atomic step.
 */
import type { Logger } from 'pino';
import type { JobMasterServices } from './job-master-services.js';
import type { JobRuntime } from './job-runtime.js';

export class JobCapacity {
  constructor(
    private readonly store: JobMasterServices['capacity'],
    private readonly runtime: JobRuntime,
    private readonly slotsPerTaskManager: number,
    private readonly log: Logger,
  ) {}

  private taskManagers(parallelism: number): number { return Math.ceil(parallelism / this.slotsPerTaskManager); }

  /**
   * The dispatcher reserved the larger of the old and the new TaskManager count for a rescale (the
   * old ones are held until it ends); once it ended, however it ended, the reservation comes down
   * to what the job runs with or will grow to by itself (its requirements' upper bounds: slots that
   * arrive later scale it up), with slot sharing: the largest vertex parallelism ÷ slots.
   */
  async settle(): Promise<void> {
    if (!this.store) return;
    const rt = this.runtime;
    const most = Math.max(1, ...[...rt.scale.values()].map((v) => v.parallelism), ...rt.desired().values());
    const taskManagers = this.taskManagers(most);
    try {
      await this.store.settle(taskManagers);
    } catch (err) {
      // Over-reserving until the next rescale or the job's end is safe; the dispatcher's start reconciles.
      this.log.warn({ err: (err as Error).message, taskManagers }, 'could not lower the job\'s TaskManager reservation after the rescale');
    }
  }

  /**
   * Reserves the TaskManagers for a largest vertex parallelism of `parallelism` (at least one more
   * than the job holds now, when it grows); answers the largest vertex parallelism the reservation
   * allows: `parallelism` when it fits, less when the per-job or dispatcher-wide limit leaves less,
   * at most the current one when nothing more fits. Without reservations (tests) everything fits.
   */
  async reserve(parallelism: number, current: number): Promise<number> {
    if (!this.store?.reserve) return parallelism;
    const wanted = this.taskManagers(parallelism);
    const now = this.taskManagers(current);
    if (wanted <= now) return parallelism;
    const granted = await this.store.reserve(wanted, now + 1);
    if (granted >= wanted) return parallelism;
    return Math.max(current, Math.min(parallelism, granted * this.slotsPerTaskManager));
  }
}
