/**
 * Leader retrieval for JobMaster failover: who leads a job now. Each JobMaster claims a fencing
 * epoch for its job when it starts (one that only grows, metadata/job-leader.ts) and publishes its
 * RPC address under it in one Redis hash; a TaskManager that lost its JobMaster reads that hash until
 * a newer epoch appears, then re-registers there. The hash's fields are the contract both sides share.
 */

/** Who leads a job: the newest JobMaster's epoch and address, or `ended` once the job is gone for good. */
export interface LeaderInfo {
  /** Grows with every JobMaster of the job (a Redis HINCRBY); a larger one fences the smaller. */
  epoch: number;
  /** host:port of its RPC endpoint. */
  address: string;
  /** The JobMaster id its commands carry (rpc/fencing.ts). */
  jobMasterId: string;
  /** The job ended for good (no job process will come): a waiting TaskManager exits. */
  ended: boolean;
}

/** The hash fields of a leader record. */
export const LEADER_FIELDS = { epoch: 'epoch', address: 'address', jobMasterId: 'jobMasterId', ended: 'ended' } as const;

/** A leader record from its hash (HGETALL); undefined for a missing or unreadable one. */
export function decodeLeader(h: Record<string, string> | null | undefined): LeaderInfo | undefined {
  if (!h || !h[LEADER_FIELDS.epoch]) return undefined;
  const epoch = Number(h[LEADER_FIELDS.epoch]);
  if (!Number.isSafeInteger(epoch) || epoch < 0) return undefined;
  return { epoch, address: h[LEADER_FIELDS.address] ?? '', jobMasterId: h[LEADER_FIELDS.jobMasterId] ?? '', ended: h[LEADER_FIELDS.ended] === '1' };
}

/** Where a TaskManager reads its job's leader (sent in the registration answer). */
export interface LeaderLocation {
  redisUrl: string;
  key: string;
}

/** A TaskManager's view of its job's leader record. */
export interface LeaderRetrieval {
  /** The current record; undefined when there is none (the job's keys were removed). Rejects when Redis cannot be read. */
  current(): Promise<LeaderInfo | undefined>;
  close(): void;
}
