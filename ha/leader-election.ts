/**
 * Leader election among dispatchers over Redis: a lease and a fencing epoch.
 *
 *   <prefix>leader        hash {id, epoch, url}, PEXPIRE lease-duration: who leads, while the lease lasts
 *   <prefix>leader:epoch  INCR at every election: the fencing epoch, which only grows
 *
 * A standby tries to take the lease when it is free (at once when its TTL runs out, else every
 * retry-period); taking it increments the epoch in the same script. The leader renews every
 * retry-period with a compare-and-pexpire (its id and epoch must still be there). It holds
 * leadership, from its own clock's view, only until renew-deadline after it *sent* its last
 * successful acquire or renew: renew-deadline is shorter than the lease, so the leader stops before
 * the lease could have expired in Redis, whatever the network or a pause (SIGSTOP, GC) did. A renew
 * that fails or comes back too late deposes it at once. Every leader write is fenced with the epoch
 * (metadata/registry-scripts.ts), so a write the deposed leader still makes is refused in Redis.
 */
import type { Redis, Result } from 'ioredis';
import type { Logger } from 'pino';

export interface LeaderInfo {
  /** The leading dispatcher's id (host, pid and a random part). */
  id: string;
  /** Its fencing epoch. */
  epoch: number;
  /** Its advertised REST URL (where standbys forward writes). */
  url: string;
}

export interface LeaderElectionOptions {
  redis: Redis;
  /** The prefix of the two keys (`<keyPrefix>ha:<cluster-id>:`). */
  keyPrefix: string;
  /** This dispatcher's id. */
  id: string;
  /** This dispatcher's advertised REST URL. */
  url: string;
  /** The lease's TTL in Redis (`high-availability.redis.lease-duration`). */
  leaseMs: number;
  /** How long after sending its last successful renew the leader still counts itself leader (< leaseMs). */
  renewDeadlineMs: number;
  /** How often the leader renews and a standby looks for a free lease. */
  retryPeriodMs: number;
  log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** Called when this dispatcher became leader with `epoch`. */
  onElected?(epoch: number): void;
  /** Called when it lost leadership (its lease ran out from its own view, was taken, or Redis failed). */
  onDeposed?(epoch: number, reason: string): void;
}

// KEYS[1] leader hash, KEYS[2] epoch counter. ARGV[1] id, ARGV[2] url, ARGV[3] lease ms.
// Free lease: a new epoch, the hash, its TTL; returns {1, epoch}. Taken: {0, id, epoch, url, pttl}.
const ACQUIRE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  local h = redis.call('HMGET', KEYS[1], 'id', 'epoch', 'url')
  return {0, h[1] or '', h[2] or '0', h[3] or '', redis.call('PTTL', KEYS[1])}
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'epoch', tostring(epoch), 'url', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, tostring(epoch)}
`;
// KEYS[1] leader hash. ARGV[1] id, ARGV[2] epoch, ARGV[3] lease ms. Extends the lease only if it is still ours.
const RENEW_LUA = `
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] and redis.call('HGET', KEYS[1], 'epoch') == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
`;
// KEYS[1] leader hash. ARGV[1] id, ARGV[2] epoch. Gives the lease up (a graceful shutdown) only if it is still ours.
const RELEASE_LUA = `
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] and redis.call('HGET', KEYS[1], 'epoch') == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ebbflowLeaderAcquire(key: string, epochKey: string, id: string, url: string, leaseMs: string): Result<Array<number | string>, Context>;
    ebbflowLeaderRenew(key: string, id: string, epoch: string, leaseMs: string): Result<number, Context>;
    ebbflowLeaderRelease(key: string, id: string, epoch: string): Result<number, Context>;
  }
}

/** The Redis key holding the leader (`<keyPrefix>leader`): the fence every leader write checks. */
export const leaderKey = (keyPrefix: string): string => `${keyPrefix}leader`;

export class LeaderElection {
  private epochHeld: number | undefined;
  /** Leadership holds, from this process's clock, until then (epoch ms). */
  private validUntil = 0;
  private known: LeaderInfo | undefined;
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private closed = false;
  private ticking = false;
  readonly key: string;
  private readonly epochKey: string;

  constructor(private readonly o: LeaderElectionOptions) {
    if (!(o.renewDeadlineMs < o.leaseMs)) throw new Error(`the renew deadline (${o.renewDeadlineMs} ms) must be shorter than the lease (${o.leaseMs} ms)`);
    this.key = leaderKey(o.keyPrefix);
    this.epochKey = `${o.keyPrefix}leader:epoch`;
    const r = o.redis as unknown as Record<string, unknown>;
    if (typeof r.ebbflowLeaderAcquire !== 'function') o.redis.defineCommand('ebbflowLeaderAcquire', { numberOfKeys: 2, lua: ACQUIRE_LUA });
    if (typeof r.ebbflowLeaderRenew !== 'function') o.redis.defineCommand('ebbflowLeaderRenew', { numberOfKeys: 1, lua: RENEW_LUA });
    if (typeof r.ebbflowLeaderRelease !== 'function') o.redis.defineCommand('ebbflowLeaderRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
  }

  get id(): string { return this.o.id; }

  /** Starts campaigning (and, once leader, renewing). */
  start(): void {
    this.schedule(0);
  }

  /** The epoch this dispatcher leads with, or undefined: checked against its own clock at every call. */
  get epoch(): number | undefined {
    if (this.epochHeld === undefined) return undefined;
    if (Date.now() >= this.validUntil) {
      this.depose(`no renew succeeded within the renew deadline of ${this.o.renewDeadlineMs} ms (the process was paused, or Redis is slow or away)`);
      return undefined;
    }
    return this.epochHeld;
  }

  isLeader(): boolean { return this.epoch !== undefined; }

  /** The leader as last seen (this dispatcher, or the one whose lease a standby found); undefined while none is known. */
  leader(): LeaderInfo | undefined {
    const e = this.epoch;
    if (e !== undefined) return { id: this.o.id, epoch: e, url: this.o.url };
    return this.known;
  }

  /** Stops campaigning; a leader gives its lease up so a standby takes over at once. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    const held = this.epochHeld;
    if (held === undefined) return;
    this.depose('closing');
    try {
      await this.o.redis.ebbflowLeaderRelease(this.key, this.o.id, String(held));
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, `could not give the leader lease up; a standby takes over once it expires (${this.o.leaseMs} ms)`);
    }
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, ms));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.closed || this.ticking) return;
    this.ticking = true;
    let next = this.o.retryPeriodMs;
    try {
      next = this.epoch !== undefined ? await this.renew() : await this.campaign();
    } finally {
      this.ticking = false;
      this.schedule(next);
    }
  }

  private async renew(): Promise<number> {
    const epoch = this.epochHeld!;
    const sent = Date.now();
    try {
      const ok = await this.o.redis.ebbflowLeaderRenew(this.key, this.o.id, String(epoch), String(this.o.leaseMs));
      if (this.epochHeld !== epoch) return this.o.retryPeriodMs;
      if (ok !== 1) {
        this.depose('the lease is no longer ours (it expired and another dispatcher may lead)');
        return 0;
      }
      this.hold(epoch, sent);
    } catch (err) {
      // Not deposed yet: the deadline timer (or the next check of `epoch`) does it when the deadline passes.
      this.o.log.warn({ err: (err as Error).message, epoch }, 'could not renew the leader lease; retrying');
      void this.epoch; // deposes now if the deadline has already passed
    }
    return this.o.retryPeriodMs;
  }

  private async campaign(): Promise<number> {
    const sent = Date.now();
    try {
      const r = await this.o.redis.ebbflowLeaderAcquire(this.key, this.epochKey, this.o.id, this.o.url, String(this.o.leaseMs));
      if (Number(r[0]) === 1) {
        const epoch = Number(r[1]);
        this.hold(epoch, sent);
        this.o.log.info({ epoch, id: this.o.id }, `elected leader (epoch ${epoch})`);
        this.o.onElected?.(epoch);
        return this.o.retryPeriodMs;
      }
      const [, id, epoch, url, pttl] = r;
      // Our own lease, outliving our deposal (renew deadline < lease): no leader to forward to until it runs out.
      this.known = String(id) === this.o.id ? undefined : { id: String(id), epoch: Number(epoch), url: String(url) };
      // Try again right when the lease runs out, or sooner (retry-period) to keep the known leader current.
      const ttl = Number(pttl);
      return ttl >= 0 ? Math.min(this.o.retryPeriodMs, ttl + 1) : this.o.retryPeriodMs;
    } catch (err) {
      this.o.log.debug({ err: (err as Error).message }, 'could not reach Redis to look for the leader lease');
      return this.o.retryPeriodMs;
    }
  }

  private hold(epoch: number, sentAt: number): void {
    this.epochHeld = epoch;
    this.validUntil = sentAt + this.o.renewDeadlineMs;
    this.known = { id: this.o.id, epoch, url: this.o.url };
    // Leadership ends at the deadline even if the renew in flight hangs.
    clearTimeout(this.deadline);
    this.deadline = setTimeout(() => { void this.epoch; }, this.validUntil - Date.now() + 1);
    this.deadline.unref();
  }

  private depose(reason: string): void {
    const epoch = this.epochHeld;
    if (epoch === undefined) return;
    this.epochHeld = undefined;
    this.validUntil = 0;
    this.known = undefined;
    clearTimeout(this.deadline);
    this.o.log.warn({ epoch, id: this.o.id }, `deposed: no longer leader (epoch ${epoch}): ${reason}`);
    this.o.onDeposed?.(epoch, reason);
    this.schedule(0);
  }
}
