/**
 * An in-memory job leader record for JobMaster tests (jobmaster/job-leadership.ts): each claim takes
 * the next epoch and replaces the address, as the Redis script does; a test claims it for a "newer
 * job process" to fence the JobMaster under test.
 */
import type { JobLeadership } from '../../jobmaster/job-leadership.js';
import type { LeaderInfo } from '../../rpc/leader.js';

export class TestingLeadership implements JobLeadership {
  readonly location = { redisUrl: 'redis://testing-leadership:1', key: 'testing:job:leader' };
  record: LeaderInfo | undefined;
  /** While true, reading the record fails (Redis away). */
  failReads = false;

  async claim(address: string, jobMasterId: string): Promise<number> {
    const epoch = (this.record?.epoch ?? 0) + 1;
    this.record = { epoch, address, jobMasterId, ended: false };
    return epoch;
  }

  async current(): Promise<LeaderInfo | undefined> {
    if (this.failReads) throw new Error('testing leadership: Redis is away');
    return this.record && { ...this.record };
  }
}
