/**
 * One subtask's I/O counters and time accounts (Flink's task I/O metrics), kept cheap: counted per
 * batch where the batch is at hand, and timed with one performance.now() pair per wait that really
 * waits (nothing is timed when input is there and output has credit).
 *
 * - idle: waiting for input with none available (the input gate empty; a source poll that found
 *   nothing, or the part of a poll spent blocked until the next entry arrived: sourcePollIdleMs);
 * - back-pressured: blocked waiting for output credit (a remote channel without credits, a local
 *   gate at capacity); overlapping waits of several channels count once;
 * - busy: the rest of the wall time since the subtask started.
 *
 * Bytes are those of data frames received and sent over the network; batches to a consumer on the
 * same TaskManager are handed over in memory and count 0 bytes (their records still count).
 * The TaskManager reads `subtaskReport()` once per heartbeat; the JobMaster turns deltas into rates.
 */
import type { Chain } from './chain-builder.js';
import type { InputProcessor } from './input-processor.js';

export class IoCounters {
  bytesIn = 0;
  bytesOut = 0;
  private idleMs = 0;
  private idleSince = -1;
  private backPressuredMs = 0;
  private blocked = 0;
  private blockedSince = 0;

  /** When the subtask started, on `clock` (performance.now(); tests give their own). */
  readonly startedAt: number;

  constructor(private readonly clock: () => number = () => performance.now()) {
    this.startedAt = clock();
  }

  idleStart(): void { this.idleSince = this.clock(); }
  idleEnd(): void {
    if (this.idleSince < 0) return;
    this.idleMs += this.clock() - this.idleSince;
    this.idleSince = -1;
  }

  /** An idle period measured by the caller (a source poll that found nothing). */
  addIdle(ms: number): void { this.idleMs += ms; }

  blockedStart(): void { if (this.blocked++ === 0) this.blockedSince = this.clock(); }
  blockedEnd(): void { if (--this.blocked === 0) this.backPressuredMs += this.clock() - this.blockedSince; }

  /** The time accounts now (a wait in progress counts up to now). */
  times(now = this.clock()): { idleMs: number; backPressuredMs: number; busyMs: number } {
    const idleMs = this.idleMs + (this.idleSince >= 0 ? now - this.idleSince : 0);
    const backPressuredMs = this.backPressuredMs + (this.blocked > 0 ? now - this.blockedSince : 0);
    const busyMs = Math.max(0, now - this.startedAt - idleMs - backPressuredMs);
    return { idleMs, backPressuredMs, busyMs };
  }
}

/**
 * The idle part of one source poll that took `elapsedMs`: all of it when it read nothing; else the
 * time the reader spent blocked waiting for the entries it then read (`waitedMs`). Without this a
 * source fed a trickle of input reads as fully busy: each poll waits for the next entry and reads it.
 */
export function sourcePollIdleMs(readSomething: boolean, elapsedMs: number, waitedMs: number): number {
  return readSomething ? Math.max(0, Math.min(elapsedMs, waitedMs)) : Math.max(0, elapsedMs);
}

/** One stream of a source subtask: entries read, and entries after the read position (-1: not known). */
export interface SplitReport { stream: string; recordsRead: number; pendingRecords: number }

/** What a subtask reports on each heartbeat (cumulative since it started). */
export interface SubtaskMetricsReport {
  isSource: boolean;
  recordsIn: number;
  recordsOut: number;
  bytesIn: number;
  bytesOut: number;
  idleMs: number;
  backPressuredMs: number;
  busyMs: number;
  /** -Infinity before the first watermark, +Infinity after the end of input. */
  inputWatermark: number;
  outputWatermark: number;
  splits: SplitReport[];
  stateSize: number;
  heldRecords: number;
  lastCheckpointDuration: number;
}

/** The report of a subtask running `chain` (fed by `input` unless it is a source). */
export function subtaskReport(c: IoCounters, chain: Chain, input: InputProcessor | undefined, last: { stateSize: number; durationMs: number }): SubtaskMetricsReport {
  let recordsOut = 0;
  for (const t of chain.tails) recordsOut += t.recordsOut ?? 0;
  let outputWatermark = -Infinity;
  for (const w of chain.writers) outputWatermark = Math.max(outputWatermark, w.outputWatermark);
  const source = chain.source;
  // A source has no input watermark of its own: it is held to what it emits.
  const inputWatermark = source ? outputWatermark : (input?.inputWatermark ?? -Infinity);
  // A vertex without output edges (sinks only): its output watermark is its input's.
  if (chain.writers.length === 0) outputWatermark = inputWatermark;
  return {
    isSource: !!source,
    recordsIn: source ? source.recordsRead : (input?.recordsIn ?? 0),
    recordsOut,
    bytesIn: c.bytesIn,
    bytesOut: c.bytesOut,
    ...c.times(),
    inputWatermark,
    outputWatermark,
    splits: source?.splits?.() ?? [],
    stateSize: last.stateSize,
    heldRecords: input?.heldNow ?? 0,
    lastCheckpointDuration: last.durationMs,
  };
}
