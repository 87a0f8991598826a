/**
 * What a subtask tells the JobMaster so that a checkpoint starts before the next interval when that
 * publishes output sooner (jobmaster/checkpoint-coordinator.ts decides):
 * - a source that changed between reading full batches (behind its input) and reading all there was
 *   (caught up): `SourceCaughtUp`, on each change;
 * - an exactly-once sink that holds output after a checkpoint that took none (sparse output):
 *   `OutputWaiting`, at most once per checkpoint, with the id of the subtask's last checkpoint.
 */
import type { SourceReader } from './connectors/source.js';
import type { Flushable } from './elements.js';

export interface CheckpointHintSink {
  sourceCaughtUp?(caughtUp: boolean): void;
  outputWaiting?(lastCheckpointId: number): void;
}

export class CheckpointHints {
  /** What the source last was, as reported (sources start out caught up: only falling behind is news). */
  private caughtUp = true;
  /** The last checkpoint the subtask took, and whether waiting output was reported since. */
  private lastCheckpointId = 0;
  private outputReported = false;

  constructor(private readonly to: CheckpointHintSink) {}

  /** The subtask took checkpoint `id` (its sinks' snapshots with it). */
  checkpointTaken(id: number): void {
    this.lastCheckpointId = id;
    this.outputReported = false;
  }

  /** After a poll and its flush (what the source read is on its way). */
  sourcePolled(source: Pick<SourceReader, 'caughtUp'>): void {
    const now = source.caughtUp;
    if (now === undefined || now === this.caughtUp) return;
    this.caughtUp = now;
    this.to.sourceCaughtUp?.(now);
  }

  /** After the tails flushed a batch. */
  flushed(tails: readonly Flushable[]): void {
    if (this.outputReported || !this.to.outputWaiting || !tails.some((t) => t.outputWaitingAfterQuiet)) return;
    this.outputReported = true;
    this.to.outputWaiting(this.lastCheckpointId);
  }
}
