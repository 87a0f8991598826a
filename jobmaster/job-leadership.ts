/**
 * A JobMaster's leadership of its job, for failover (issue 17). When it starts, a JobMaster claims a
 * new fencing epoch for the job (one that only grows: metadata/job-leader.ts) and publishes its RPC
 * address under it; its TaskManagers learn the epoch and where to look in their registration answer,
 * and a TaskManager that loses its JobMaster waits for a larger epoch there and re-registers with
 * that JobMaster. The JobMaster keeps reading the record: one that finds a larger epoch than its own
 * is stale (a newer job process leads the job) and stops at once, without a write or a command to a
 * TaskManager, which now belong to the newer one.
 */
import type { Logger } from 'pino';
import type { LeaderInfo, LeaderLocation } from '../rpc/leader.js';

/** The exit code of a job process that stopped because a newer one leads its job (the dispatcher does not restart it). */
export const EXIT_FENCED = 3;

/** How often a JobMaster checks that it still leads its job. */
export const LEADERSHIP_CHECK_MS = 1000;
/** How long a check before a checkpoint completes may take; past it (Redis slow or away) the JobMaster goes on leading. */
export const CONFIRM_TIMEOUT_MS = 500;

/** The job's leader record, as a JobMaster uses it (`jobmaster/main.ts` wires Redis; tests an in-memory one). */
export interface JobLeadership {
  /** Where TaskManagers read the record (sent to them when they register). */
  readonly location: LeaderLocation;
  /** Makes this JobMaster the leader at `address` under a new, larger epoch; resolves with it. */
  claim(address: string, jobMasterId: string): Promise<number>;
  /** The record as it is now. */
  current(): Promise<LeaderInfo | undefined>;
}

/** Reads the record every `intervalMs` until a larger epoch than `epoch` shows up, then calls `fenced` once. */
export class LeadershipWatch {
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private failures = 0;

  constructor(
    private readonly leadership: JobLeadership,
    readonly epoch: number,
    private readonly fenced: (newer: LeaderInfo) => void,
    private readonly log: Logger,
    private readonly intervalMs = LEADERSHIP_CHECK_MS,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Whether this JobMaster still leads, asked before each checkpoint completes: a stale one (a larger
   * epoch exists) is fenced at once and completes nothing more. Redis slow or away: still leading
   * (nobody can claim the job without Redis either).
   */
  async confirm(): Promise<boolean> {
    if (!this.timer) return this.fencedNow === undefined;
    let now;
    try {
      now = await Promise.race([this.leadership.current(), new Promise<'slow'>((r) => setTimeout(() => r('slow'), CONFIRM_TIMEOUT_MS).unref?.())]);
    } catch {
      return true;
    }
    if (now === 'slow' || !now || now.epoch <= this.epoch) return true;
    if (this.timer) {
      this.stop();
      this.fencedNow = now;
      this.fenced(now);
    }
    return false;
  }

  /** Set once fenced. */
  private fencedNow: LeaderInfo | undefined;

  /** One look at the record (tests call it directly). */
  async check(): Promise<void> {
    if (this.reading || !this.timer) return;
    this.reading = true;
    try {
      const now = await this.leadership.current();
      this.failures = 0;
      if (now && now.epoch > this.epoch && this.timer) {
        this.stop();
        this.fencedNow = now;
        this.fenced(now);
      }
    } catch (err) {
      // Redis away: this JobMaster goes on leading (nobody can claim the job without Redis either).
      if (this.failures++ === 0) this.log.warn({ err: (err as Error).message }, 'could not read the job\'s leader record; still leading it');
    } finally {
      this.reading = false;
    }
  }
}
