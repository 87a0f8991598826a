/**
 * What flows between operators and subtasks. Records carry their event time
 * (`ts`, epoch ms, or undefined) and, behind a keyBy, their key's key group so
 * that the consumer need not hash twice.
 */
export const RECORD = 0;
export const WATERMARK = 1;
export const END = 2;
export const BARRIER = 3;
export const IDLE = 4;

/** `kg`: the record's key group, set by a HASH exchange so that keyed operators need not hash again. */
export interface RecordElement { t: typeof RECORD; v: unknown; ts: number | undefined; kg?: number }
export interface WatermarkElement { t: typeof WATERMARK; wm: number }
export interface EndElement { t: typeof END }
/** Checkpoint barrier: everything before it belongs to checkpoint `id`, whose files go to `dir`. */
export interface BarrierElement { t: typeof BARRIER; id: number; dir: string }
/** Stream status: an idle producer is left out of its consumers' watermark minimum until it is active again. */
export interface IdleElement { t: typeof IDLE; idle: boolean }
export type StreamElement = RecordElement | WatermarkElement | EndElement | BarrierElement | IdleElement;

/** Downstream of an operator: where it emits. Synchronous; buffering writers flush later. */
export interface Collector {
  collect(value: unknown, ts: number | undefined, keyGroup?: number): void;
  watermark(wm: number): void;
  end(): void;
  /** The producer became idle (no data for a while) or active again; operators pass it on. */
  idle?(idle: boolean): void;
}

/** Something at the tail of a chain that holds buffered output and must be flushed after each batch. */
export interface Flushable {
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Records this tail sent on (an output edge) or wrote (a sink): the subtask's numRecordsOut. */
  readonly recordsOut?: number;
  /**
   * Exactly-once sinks: output is held for the next checkpoint while the last snapshot took none
   * (sparse output waiting for a checkpoint; subtask.ts reports it so one starts early).
   */
  readonly outputWaitingAfterQuiet?: boolean;
}

export class FanOut implements Collector {
  constructor(private readonly outs: Collector[]) {}
  collect(value: unknown, ts: number | undefined): void { for (const o of this.outs) o.collect(value, ts); }
  watermark(wm: number): void { for (const o of this.outs) o.watermark(wm); }
  end(): void { for (const o of this.outs) o.end(); }
  idle(idle: boolean): void { for (const o of this.outs) o.idle?.(idle); }
}
