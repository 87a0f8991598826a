/**
 * A TaskManager's look at its job's leader record in Redis (rpc/leader.ts), used only after it lost
 * its JobMaster: the URL and key came in its registration answer. One lazy connection that does not
 * queue commands while Redis is away (a read that cannot be made fails at once and is tried again at
 * the next look).
 */
import { Redis } from 'ioredis';
import { decodeLeader, type LeaderInfo, type LeaderLocation, type LeaderRetrieval } from '../rpc/leader.js';

export class RedisLeaderRetrieval implements LeaderRetrieval {
  private readonly redis: Redis;

  constructor(private readonly where: LeaderLocation) {
    this.redis = new Redis(where.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 2000 });
    this.redis.on('error', () => { /* a failed read says so; it reconnects on its own */ });
  }

  async current(): Promise<LeaderInfo | undefined> {
    return decodeLeader(await this.redis.hgetall(this.where.key));
  }

  close(): void {
    this.redis.disconnect();
  }
}
