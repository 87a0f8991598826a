/**
 * Paces a subtask's pending copy-on-write snapshot (pending-snapshot.ts): background slices, one
 * per event-loop turn, so I/O and batches run in between; a slice after a batch when the background
 * ticks are starved by a busy input; everything at once before the next checkpoint or at the end
 * of input. While a snapshot is pending, the subtask's keyed operators carry its guard, so a key
 * group is serialized right before it first changes; the guards come off once all is serialized.
 */
import type { CheckpointedOperator } from '../operators/operator.js';
import type { PendingSnapshot } from './pending-snapshot.js';

/** A background slice of snapshot serialization: short, so records keep flowing between slices. */
const SLICE_MS = 4;
/**
 * At the barrier, serialization first runs for up to this long. A small keyed state (about a MB,
 * the fraud job's with short windows) is then done at once and its file written right away: in the
 * background, interleaved with batches, it took 20–50 ms longer to finish (measured at 200 ms
 * checkpoints), and with exactly-once output the sinks' publishing waits for exactly that. A large
 * state only has its first part serialized here; the rest goes on copy-on-write as before.
 */
export const AT_BARRIER_MS = 15;
/** After a batch, a slice runs if the last one is at least this old. */
const STEP_EVERY_MS = 10;

export class SnapshotPacer {
  private snapshot: PendingSnapshot | undefined;
  private tick: NodeJS.Immediate | undefined;
  private lastStep = 0;

  /** `operators`: the chain's checkpointed operators (the guard goes on the keyed ones). */
  constructor(private readonly operators: () => readonly CheckpointedOperator[]) {}

  /** The snapshot taken at a barrier: serialized now if it is small, else guarded until it is all serialized. */
  begin(snap: PendingSnapshot, atBarrierMs = AT_BARRIER_MS): void {
    if (!snap.remaining) return;
    if (atBarrierMs > 0 && !snap.step(atBarrierMs)) return;
    this.snapshot = snap;
    for (const op of this.operators()) if (op.snapshotKeyedState) op.snapshotGuard = snap.guard;
  }

  /** Starts the background slices. */
  schedule(): void {
    if (this.tick || !this.snapshot) return;
    this.tick = setImmediate(() => {
      this.tick = undefined;
      this.step();
      this.schedule();
    });
  }

  /** After a batch: a slice, if the background ones have not run lately. */
  afterBatch(): void {
    if (this.snapshot && performance.now() - this.lastStep >= STEP_EVERY_MS) this.step();
  }

  /** Everything of the pending snapshot serialized now (before the next one, at the end of input). */
  complete(): void {
    const snap = this.snapshot;
    if (!snap) return;
    snap.finishAll();
    this.done(snap);
  }

  /** The subtask is cancelled: the pending snapshot is abandoned and no slice runs any more. */
  abandon(reason: string): void {
    this.snapshot?.abandon(reason);
    this.snapshot = undefined;
    if (this.tick) clearImmediate(this.tick);
    this.tick = undefined;
  }

  private step(): void {
    const snap = this.snapshot;
    if (!snap) return;
    this.lastStep = performance.now();
    if (snap.step(SLICE_MS)) return;
    this.done(snap);
  }

  private done(snap: PendingSnapshot): void {
    if (this.snapshot !== snap) return;
    this.snapshot = undefined;
    for (const op of this.operators()) if (op.snapshotGuard === snap.guard) op.snapshotGuard = undefined;
  }
}
