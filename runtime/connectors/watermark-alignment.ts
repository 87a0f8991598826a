/**
 * Watermark alignment (Flink's FLIP-182 and its split-level extension FLIP-217), a source subtask's
 * side. The subtask reports its watermark to the JobMaster every update interval
 * (jobmaster/watermark-aligner.ts); the JobMaster answers with the group's bound: the group's lowest
 * watermark plus its max drift. The reader then reads only partitions whose own watermark is at most
 * the bound, and when none is, nothing, until the bound moves. Until the first bound arrives nothing
 * is held back.
 */
import type { WatermarkAlignmentOptions } from '../../sdk/types.js';
import { InvalidJobError } from '../errors.js';

/** Flink's default update interval of watermark alignment. */
export const DEFAULT_ALIGNMENT_UPDATE_MS = 1000;
/** How long a reader with every partition held back waits for a new bound before it looks again (barriers are injected between polls). */
const PAUSE_MS = 50;

/** Checks the options a job gave; throws InvalidJobError naming what is wrong. */
export function validateAlignment(a: WatermarkAlignmentOptions | undefined): void {
  if (a === undefined) return;
  if (typeof a !== 'object' || a === null) throw new InvalidJobError('watermarks.alignment must be an object { group, maxDriftMs, updateIntervalMs? }');
  if (typeof a.group !== 'string' || a.group.trim() === '') throw new InvalidJobError('watermarks.alignment.group must be a non-empty string');
  if (typeof a.maxDriftMs !== 'number' || !Number.isSafeInteger(a.maxDriftMs) || a.maxDriftMs < 0) {
    throw new InvalidJobError(`watermarks.alignment.maxDriftMs must be a non-negative integer number of milliseconds, got ${String(a.maxDriftMs)}`);
  }
  const u = a.updateIntervalMs;
  if (u !== undefined && (typeof u !== 'number' || !Number.isSafeInteger(u) || u < 1 || u > 3_600_000)) {
    throw new InvalidJobError(`watermarks.alignment.updateIntervalMs must be an integer from 1 to 3600000 milliseconds, got ${String(u)}`);
  }
}

export type WatermarkReporter = (group: string, watermark: number, maxDriftMs: number) => void;

export class SourceAlignment {
  /** The group's bound last announced; +Infinity until the first. */
  maxAllowed = Infinity;
  /** Whether this subtask's report was the group's lowest: then the bound does not hold it (see jobmaster/watermark-aligner.ts). */
  slowest = false;
  /** Set by the subtask: sends a report to the JobMaster. */
  reporter: WatermarkReporter | undefined;
  /** Polls that read nothing because every partition was ahead of the bound. */
  pausedPolls = 0;
  private lastReport = -Infinity;
  private wake: (() => void) | undefined;
  /** The update interval (tests set 0: a report at every poll). */
  everyMs: number;

  constructor(readonly options: WatermarkAlignmentOptions) {
    this.everyMs = options.updateIntervalMs ?? DEFAULT_ALIGNMENT_UPDATE_MS;
  }

  get group(): string { return this.options.group; }

  /** Reports `watermark` if the update interval has passed since the last report. */
  maybeReport(watermark: number, now = performance.now()): void {
    if (!this.reporter || now - this.lastReport < this.everyMs) return;
    this.lastReport = now;
    this.reporter(this.options.group, watermark, this.options.maxDriftMs);
  }


  /** A new bound from the JobMaster, and whether this subtask is the group's slowest. */
  announce(maxAllowed: number, slowest = false): void {
    this.maxAllowed = maxAllowed;
    this.slowest = slowest;
    this.wake?.();
  }

  /** The bound a partition is held to: the group's, or for the slowest subtask its own watermark + the drift (its partitions kept within the drift of each other). */
  boundFor(ownWatermark: number): number {
    return this.slowest ? ownWatermark + this.options.maxDriftMs : this.maxAllowed;
  }

  /** Every partition is ahead: waits for a new bound, or a short while, whichever comes first. */
  async pause(): Promise<void> {
    this.pausedPolls++;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, PAUSE_MS);
      function done(): void { clearTimeout(timer); resolve(); }
      this.wake = done;
    });
    this.wake = undefined;
  }

  /** Ends a pause at once (cancellation, or a checkpoint trigger: the barrier need not wait for the bound to move). */
  cancel(): void { this.wake?.(); }
}
