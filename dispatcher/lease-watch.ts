/**
 * The leading dispatcher's watch over job-process leases (metadata/job-lease.ts): what makes a job
 * process that hangs, or runs on a host that is gone, count as lost — a pid says nothing about a
 * process on another host, and a stopped process's pid stays alive. Every second while leading it
 * reads the leases of the jobs it watches; a job whose process has had the time to take its lease
 * (one lease TTL since the watch began) and whose lease has been missing for half a TTL more (so a
 * process whose renews were held up by a Redis outage has renewed again by then) is reported lost.
 */
import { readFileSync } from 'node:fs';
import type { LeaseHolder } from '../metadata/job-lease.js';

const CHECK_MS = 1000;

export interface LeaseWatchOptions {
  holders(jobIds: readonly string[]): Promise<Map<string, LeaseHolder | undefined>>;
  /** The job process lease's TTL. */
  leaseMs: number;
  /** A job's lease ran out: its process is lost (`last`: the holder seen before, where it ran). Called once per loss (the job leaves the watch). */
  lost(jobId: string, missingMs: number, last: LeaseHolder | undefined): void;
  /** A read of the leases failed (Redis away): nothing is judged meanwhile. */
  readFailed(err: Error): void;
  now?: () => number;
}

export class LeaseWatch {
  /** Job id → since when it is watched. */
  private readonly watched = new Map<string, number>();
  /** Job id → since when its lease is seen missing. */
  private readonly missing = new Map<string, number>();
  /** Job id → the last holder seen (where its process runs). */
  private readonly seen = new Map<string, LeaseHolder>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private readonly now: () => number;

  constructor(private readonly o: LeaseWatchOptions) {
    this.now = o.now ?? Date.now;
  }

  watch(jobId: string): void {
    if (!this.watched.has(jobId)) this.watched.set(jobId, this.now());
  }

  unwatch(jobId: string): void {
    this.watched.delete(jobId);
    this.missing.delete(jobId);
    this.seen.delete(jobId);
  }

  /** The holder last seen for the job (its host and pid), if any. */
  holder(jobId: string): LeaseHolder | undefined { return this.seen.get(jobId); }

  start(): void {
    this.timer ??= setInterval(() => void this.check(), CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
    this.missing.clear();
    this.seen.clear();
  }

  /** One look at the leases (tests call it directly). */
  async check(): Promise<void> {
    if (this.checking || !this.watched.size) return;
    this.checking = true;
    try {
      const ids = [...this.watched.keys()];
      let holders: Map<string, LeaseHolder | undefined>;
      try {
        holders = await this.o.holders(ids);
      } catch (err) {
        // Judged again only half a TTL after Redis answers: renews held up meanwhile land first.
        this.missing.clear();
        this.o.readFailed(err as Error);
        return;
      }
      const now = this.now();
      for (const id of ids) {
        const since = this.watched.get(id);
        if (since === undefined) continue;
        const h = holders.get(id);
        if (h) { this.seen.set(id, h); this.missing.delete(id); continue; }
        const gone = this.missing.get(id) ?? now;
        this.missing.set(id, gone);
        if (now - since >= this.o.leaseMs && now - gone >= this.o.leaseMs / 2) {
          const last = this.seen.get(id);
          this.unwatch(id);
          this.o.lost(id, now - gone + this.o.leaseMs, last);
        }
      }
    } finally {
      this.checking = false;
    }
  }
}

/** Whether `pid` still runs as the job's process (jobmaster/main.ts titles it `ebbflow-jobmaster <jobid>`): a reused pid is left alone. */
export function looksLikeJobProcess(pid: number, jobId: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(`ebbflow-jobmaster ${jobId}`);
  } catch {
    // No /proc (not Linux): the pid probe alone decides.
    return process.platform !== 'linux';
  }
}
