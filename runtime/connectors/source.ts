import type { Collector } from '../elements.js';
import type { SplitReport } from '../subtask-metrics.js';
import type { SourceAlignment } from './watermark-alignment.js';

/** A source subtask's reader. The subtask loop calls `pollNext` until it returns false (end of input). */
export interface SourceReader {
  open(): Promise<void>;
  /** Emits the next batch (records, then maybe a watermark) into `out`; false when the source has ended. */
  pollNext(out: Collector): Promise<boolean>;
  /** Unblocks a pending poll; called from another task on cancellation. */
  cancel(): void;
  /**
   * Ends a poll that is only waiting for input, which then returns having read nothing (called when
   * a checkpoint is triggered, so that its barrier need not wait for input). Readers that never wait
   * long leave it unset.
   */
  wake?(): void;
  close(): Promise<void>;
  /**
   * In-place rescale (sources whose partitions carry checkpointed positions): own the partitions of
   * (subtaskIndex, parallelism) from now on; gained ones (all with `all`) stay unread until
   * `loadStreams`. Returns how many are pending. Sources without it keep their parallelism.
   */
  reassign?(subtaskIndex: number, parallelism: number, all?: boolean): number;
  /** Loads pending partitions from the rescale checkpoint's operator states; returns how many. */
  loadStreams?(states: Array<{ state: unknown }>): Promise<number>;
  /** Records read so far (the subtask's numRecordsIn), counted per poll. */
  readonly recordsRead: number;
  /**
   * Time spent blocked waiting for input, ms since the reader started (a poll that waited for the
   * next entry and then read it; readers that never block leave it unset).
   */
  readonly waitedMs?: number;
  /** Per partition: records read and the backlog after the read position (sources of a partitioned external system). */
  splits?(): SplitReport[];
  /** Measure the backlog at most this often (metrics on); unset: never. */
  backlogEveryMs?: number;
  /**
   * After a poll: whether it read everything there was (true) or was cut by its batch size, with more
   * waiting (false: behind its input). Unset: the source cannot tell (no early checkpoints for it).
   */
  readonly caughtUp?: boolean;
  /** Watermark alignment, when the job configured it for this source (connectors/watermark-alignment.ts). */
  readonly alignment?: SourceAlignment | undefined;
}

/** Partitions (stream keys, elements) of a source are spread round-robin: partition j → subtask j mod p. */
export function assignedPartitions<T>(all: T[], subtaskIndex: number, parallelism: number): T[] {
  return all.filter((_, j) => j % parallelism === subtaskIndex);
}
