/**
 * When the checkpoint coordinator (checkpoint-coordinator.ts) starts a periodic checkpoint: on the
 * ticks of an interval; early when the sources caught up with a burst or a sink holds output after
 * a checkpoint that took none; never while a rescale prepares the checkpoint it reserved.
 *
 * A tick that finds a checkpoint in progress is not dropped: the next checkpoint starts as soon as
 * that one completes or fails (as Flink's with no minimum pause), so a checkpoint that takes longer
 * than the interval does not halve the cadence — with exactly-once output every skipped tick used
 * to add up to a whole interval to the output's latency.
 */
import type { Logger } from 'pino';

/** What the schedule needs of the coordinator. */
export interface ScheduledCheckpoints {
  /** A checkpoint is in progress. */
  busy(): boolean;
  /** Start a periodic checkpoint now. */
  trigger(): void;
  /** The id of the last checkpoint triggered (periodic or not). */
  lastTriggeredId(): number;
  /** The source executions now, if every subtask runs (sources replaced since report no more). */
  sources(): Set<string> | undefined;
}

export interface ScheduleOptions {
  intervalMs: number;
  /** Start a periodic checkpoint at once when the sources that were behind caught up. */
  triggerOnCaughtUp?: boolean;
  /** Start a periodic checkpoint at once when an exactly-once sink holds output after a checkpoint that took none. */
  triggerOnOutput?: boolean;
  logger: Logger;
}

export class CheckpointSchedule {
  private timer: NodeJS.Timeout | undefined;
  /** A tick found a checkpoint in progress: the next one starts as soon as that one ends. */
  private due = false;
  /** Ticks are held (`holdTicks`), and one came meanwhile. */
  private ticksHeld = false;
  private tickMissed = false;
  private onTickHeld: () => void = () => {};
  /** Source executions that reported reading full batches (behind their input) and not caught up since. */
  private readonly behind = new Set<string>();
  /** Checkpoints started early because the sources caught up (for tests and the log). */
  caughtUpTriggers = 0;
  /** Checkpoints started early for output waiting in a sink. */
  outputTriggers = 0;

  constructor(private readonly o: ScheduleOptions, private readonly checkpoints: ScheduledCheckpoints) {}

  /** Periodic checkpoints; with `now`, the first one starts at once rather than an interval later. */
  start(now = false): void {
    if (this.o.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.o.intervalMs);
    if (now) this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.due = false;
    this.behind.clear();
    this.onTickHeld();
  }

  /**
   * Holds periodic ticks while a rescale prepares the checkpoint it reserved: a periodic checkpoint
   * started meanwhile would take a later id and could complete first. `release(triggered)`: the
   * reserved checkpoint was triggered, and its barrier, later than any tick held, stands in for it;
   * otherwise (the rescale gave up) a tick that came meanwhile runs now. `tick` resolves at the
   * first tick held (at once with periodic checkpoints off): a rescale paced by the interval
   * triggers its checkpoint then, in that tick's place.
   */
  holdTicks(): { release: (triggered: boolean) => void; tick: Promise<void> } {
    this.ticksHeld = true;
    this.tickMissed = false;
    const tick = new Promise<void>((resolve) => { this.onTickHeld = resolve; });
    // Periodic checkpoints off or stopped: no tick will come to wait for.
    if (!this.timer) this.onTickHeld();
    return {
      tick,
      release: (triggered) => {
        this.ticksHeld = false;
        this.onTickHeld = () => {};
        const missed = this.tickMissed;
        this.tickMissed = false;
        if (missed && !triggered && this.timer) this.tick();
      },
    };
  }

  /**
   * A source subtask caught up with its input or fell behind. When the last one behind catches up
   * (a burst is read), the next periodic checkpoint starts now and the interval counts from it, so
   * that exactly-once sinks publish the burst's output without waiting for the interval. Sources
   * that read everything there is at every poll (a steady input) never fall behind: nothing extra.
   */
  sourceCaughtUp(executionId: string, caughtUp: boolean): void {
    if (!caughtUp) { this.behind.add(executionId); return; }
    if (!this.behind.delete(executionId) || !this.o.triggerOnCaughtUp || !this.timer) return;
    const current = this.checkpoints.sources();
    if (current) for (const id of this.behind) if (!current.has(id)) this.behind.delete(id);
    if (this.behind.size) return;
    this.caughtUpTriggers++;
    this.o.logger.debug('the sources caught up with their input: checkpoint now (execution.checkpointing.trigger-on-caught-up)');
    this.tickNow();
  }

  /**
   * An exactly-once sink holds output after its snapshot of checkpoint `lastCheckpointId` took none
   * (sparse output). A checkpoint started after that one will take the output: nothing to do. Else
   * the next checkpoint starts now (or right after the one in progress, whose barrier has passed
   * the sink), and the interval counts from it. Output at every checkpoint is never reported.
   */
  outputWaiting(lastCheckpointId: number): void {
    if (!this.o.triggerOnOutput || !this.timer || this.checkpoints.lastTriggeredId() > lastCheckpointId) return;
    this.outputTriggers++;
    this.tickNow();
  }

  /**
   * The checkpoint in progress completed or failed: a tick it held back runs now — after the
   * continuations waiting for it (a savepoint or rescale checkpoint in `idle()`), which go first.
   */
  ended(): void {
    if (!this.due) return;
    setImmediate(() => { if (this.due && this.timer && !this.checkpoints.busy()) this.tick(); });
  }

  /** The periodic checkpoint now (held back while one is in progress), the interval counted from it. */
  private tickNow(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), this.o.intervalMs);
    this.tick();
  }

  private tick(): void {
    if (this.ticksHeld) { this.tickMissed = true; this.onTickHeld(); return; }
    if (this.checkpoints.busy()) { this.due = true; return; }
    this.due = false;
    this.checkpoints.trigger();
  }
}
