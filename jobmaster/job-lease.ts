/**
 * The job process's side of its lease (metadata/job-lease.ts): taken when the process starts,
 * renewed every quarter of its TTL, given up when the process ends. A renew that finds another
 * holder means a newer job process of the job was started (this one hung past its lease, or lost its
 * host's network, and was declared lost): this one stops at once, like a JobMaster that finds a newer
 * epoch. Redis away: the renews are retried at the next tick, and the job goes on (nobody can start
 * another job process without Redis either).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { JobLeaseStore } from '../metadata/job-lease.js';

export class JobLeaseKeeper {
  readonly token = `${hostname()}/${process.pid}/${randomBytes(8).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;
  private failing = false;

  constructor(
    private readonly store: Pick<JobLeaseStore, 'acquire' | 'renew' | 'release'>,
    private readonly jobId: string,
    private readonly ttlMs: number,
    private readonly superseded: () => void,
    private readonly log: Logger,
  ) {}

  /** Takes the lease and keeps it; a first write that fails is retried by the renews. */
  async start(): Promise<void> {
    try {
      await this.store.acquire(this.jobId, this.token, this.ttlMs);
    } catch (err) {
      this.warn(err);
    }
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.ttlMs / 4)));
    this.timer.unref();
  }

  /** One renew (tests call it directly). */
  async renew(): Promise<void> {
    if (this.renewing || !this.timer) return;
    this.renewing = true;
    try {
      const r = await this.store.renew(this.jobId, this.token, this.ttlMs);
      if (this.failing) this.log.info('the job process lease is renewed again');
      this.failing = false;
      if (r === 'retaken') this.log.warn({ ttlMs: this.ttlMs }, 'the job process lease had run out (this process or Redis was slow); taken again');
      if (r === 'superseded' && this.timer) {
        this.stop();
        this.log.error('another job process holds this job\'s lease: this one was declared lost and replaced; stopping');
        this.superseded();
      }
    } catch (err) {
      this.warn(err);
    } finally {
      this.renewing = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The process ends: no more renews, and the lease goes (if still this process's). */
  async release(): Promise<void> {
    this.stop();
    await this.store.release(this.jobId, this.token).catch((err: Error) => this.warn(err));
  }

  private warn(err: unknown): void {
    if (!this.failing) this.log.warn({ err: (err as Error).message }, 'could not renew the job process lease; retrying (the job goes on)');
    this.failing = true;
  }
}
