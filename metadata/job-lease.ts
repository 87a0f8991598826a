/**
 * A job process's lease, `<prefix>job:<id>:lease`: the process holds it while it lives and renews it
 * well within its TTL; the leading dispatcher watches leases, not pids, so it sees a job process on
 * any host die or hang (a lease that ran out) and starts the job again from its latest checkpoint.
 * The value is the holder's token (`<host>/<pid>/<random>`): a renew only extends the lease its
 * holder still has, so a process that was replaced (a newer one wrote its own lease) learns it at its
 * next renew and stops.
 */
import type { Redis } from 'ioredis';

export const leaseKey = (prefix: string, jobId: string): string => `${prefix}job:${jobId}:lease`;

/** What a renew found. */
export type RenewOutcome =
  /** Still ours; extended. */
  | 'renewed'
  /** It had run out (this process was slow, or Redis lost it) and nobody else held it: taken again. */
  | 'retaken'
  /** Another process holds it: this one was replaced. */
  | 'superseded';

// KEYS[1] the lease. ARGV[1] token, ARGV[2] TTL ms. 1 renewed, 2 retaken, 0 superseded.
const RENEW_LUA = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0
`;

// KEYS[1] the lease. ARGV[1] token. Deletes it only if it is still this holder's.
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface LeaseHolder { host: string; pid: number; token: string }

/** The holder a token names (`<host>/<pid>/<random>`); undefined for anything else. */
export function holderOf(token: string | null | undefined): LeaseHolder | undefined {
  if (!token) return undefined;
  const m = /^(.+)\/(\d+)\/[0-9a-f]+$/.exec(token);
  return m ? { host: m[1]!, pid: Number(m[2]), token } : undefined;
}

export class JobLeaseStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {
    if (typeof (redis as unknown as Record<string, unknown>).ebbflowRenewLease !== 'function') {
      redis.defineCommand('ebbflowRenewLease', { numberOfKeys: 1, lua: RENEW_LUA });
      redis.defineCommand('ebbflowReleaseLease', { numberOfKeys: 1, lua: RELEASE_LUA });
    }
  }

  key(jobId: string): string { return leaseKey(this.prefix, jobId); }

  /** Takes the lease, whoever held it (a new job process of the job replaces the one before it). */
  async acquire(jobId: string, token: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(jobId), token, 'PX', ttlMs);
  }

  async renew(jobId: string, token: string, ttlMs: number): Promise<RenewOutcome> {
    const r = Number(await (this.redis as unknown as { ebbflowRenewLease(k: string, t: string, ttl: number): Promise<number> }).ebbflowRenewLease(this.key(jobId), token, ttlMs));
    return r === 1 ? 'renewed' : r === 2 ? 'retaken' : 'superseded';
  }

  /** Gives the lease up (the process ends); a lease another holder has stays. */
  async release(jobId: string, token: string): Promise<void> {
    await (this.redis as unknown as { ebbflowReleaseLease(k: string, t: string): Promise<number> }).ebbflowReleaseLease(this.key(jobId), token);
  }

  /** The holders of these jobs' leases (an id whose lease ran out, or never existed, is absent). */
  async holders(jobIds: readonly string[]): Promise<Map<string, LeaseHolder | undefined>> {
    const out = new Map<string, LeaseHolder | undefined>();
    if (!jobIds.length) return out;
    const values = await this.redis.mget(...jobIds.map((id) => this.key(id)));
    jobIds.forEach((id, i) => { if (values[i]) out.set(id, holderOf(values[i]) ?? { host: '', pid: 0, token: values[i]! }); });
    return out;
  }
}
