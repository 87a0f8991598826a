/**
 * The leader record of a job in Redis, `<prefix>job:<id>:leader` (rpc/leader.ts names its fields):
 * the fencing epoch of the newest JobMaster, its RPC address and id. A JobMaster claims it when it
 * starts (one Lua step: the epoch grows by one and the address is replaced, so two JobMasters never
 * hold the same epoch); its TaskManagers read it when they lose their JobMaster; a JobMaster that
 * reads a larger epoch than its own knows a newer one leads and stops. The dispatcher marks it
 * `ended` when the job is gone for good (waiting TaskManagers exit at once); the job registry removes
 * it with the job.
 */
import type { Redis, Result } from 'ioredis';
import { decodeLeader, LEADER_FIELDS as F, type LeaderInfo } from '../rpc/leader.js';

/** The hash key of a job's leader record. */
export const leaderKey = (prefix: string, jobId: string): string => `${prefix}job:${jobId}:leader`;

// KEYS[1] the leader hash. ARGV[1] address, ARGV[2] JobMaster id. Returns the new epoch.
const CLAIM_LUA = `
local epoch = redis.call('HINCRBY', KEYS[1], '${F.epoch}', 1)
redis.call('HSET', KEYS[1], '${F.address}', ARGV[1], '${F.jobMasterId}', ARGV[2])
redis.call('HDEL', KEYS[1], '${F.ended}')
return epoch
`;

// KEYS[1] the leader hash. Marks an existing record ended (a removed job's record is not created again).
const END_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], '${F.ended}', '1')
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ebbflowClaimLeader(key: string, address: string, jobMasterId: string): Result<number, Context>;
    ebbflowEndLeader(key: string): Result<number, Context>;
  }
}

export class JobLeaderStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {
    if (typeof (redis as unknown as Record<string, unknown>).ebbflowClaimLeader !== 'function') {
      redis.defineCommand('ebbflowClaimLeader', { numberOfKeys: 1, lua: CLAIM_LUA });
      redis.defineCommand('ebbflowEndLeader', { numberOfKeys: 1, lua: END_LUA });
    }
  }

  key(jobId: string): string { return leaderKey(this.prefix, jobId); }

  /** Makes this JobMaster the job's leader under a new, larger epoch; resolves with it. */
  async claim(jobId: string, address: string, jobMasterId: string): Promise<number> {
    return Number(await this.redis.ebbflowClaimLeader(this.key(jobId), address, jobMasterId));
  }

  async read(jobId: string): Promise<LeaderInfo | undefined> {
    return decodeLeader(await this.redis.hgetall(this.key(jobId)));
  }

  /** The job is gone for good: TaskManagers still waiting for a JobMaster exit. */
  async end(jobId: string): Promise<void> {
    await this.redis.ebbflowEndLeader(this.key(jobId));
  }
}
