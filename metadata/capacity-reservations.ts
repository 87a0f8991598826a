/**
 * TaskManagers reserved per job, in Redis: one hash `<prefix>capacity:taskmanagers`, job id → the
 * number of TaskManagers the job may have. A run, a rescale and a resource-requirements change
 * reserve in one Lua script that reads every job's reservation and writes the job's own, so two
 * concurrent requests can never both fit under the dispatcher-wide limit when only one does (a
 * check followed by a separate write could). The job registry's state transition deletes the
 * job's field when the job reaches a terminal state (same script as the state change). A rescale
 * keeps the larger of its old and new reservation while it runs (the old TaskManagers are held until
 * it ends) and the job process `settle`s it to what the job runs with once it ended; and
 * `reconcile` drops the fields of jobs that ended or are unknown (a crash between two steps).
 */
import { defineScripts, runScript, type RegistryFence } from './fence.js';
import type { Redis, Result } from 'ioredis';
import { TERMINAL_STATES } from './job-status.js';

/** The hash of reservations under a key prefix (the job registry deletes a job's field when it ends). */
export const reservationsKey = (prefix: string): string => `${prefix}capacity:taskmanagers`;

// KEYS[1] reservations hash, KEYS[2] the job's record. ARGV[1] job id, ARGV[2] TaskManagers wanted,
// ARGV[3] the fewest acceptable, ARGV[4] per-job limit, ARGV[5] dispatcher-wide limit,
// ARGV[6] mode: 'run' (a job whose record may not exist yet; an existing reservation is kept) or
// 'replace' (a job that must exist and not have ended; its reservation is replaced),
// ARGV[7] terminal states (comma list).
// Returns {status, reserved, others}: status 1 reserved, 2 kept the existing one, 0 refused (reserved = the job's own), 3 the job ended or is gone.
const RESERVE_LUA = `
local own = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if ARGV[6] == 'run' and own > 0 then return {2, own, 0} end
if ARGV[6] == 'replace' then
  local state = redis.call('HGET', KEYS[2], 'state')
  if not state then return {3, own, 0} end
  for s in string.gmatch(ARGV[7], '[^,]+') do if s == state then return {3, own, 0} end end
end
local total = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do total = total + tonumber(v) end
local others = total - own
-- A rescale within what the job holds already is always granted (shrinking never needs room, even
-- when the limits were lowered since); the reservation stays until the job process settles it.
if ARGV[6] == 'replace' and tonumber(ARGV[2]) <= own then return {1, tonumber(ARGV[2]), others} end
local grant = math.min(tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[5]) - others)
if grant < tonumber(ARGV[3]) then return {0, own, others} end
-- A rescale holds its old TaskManagers until it completes: the larger of old and new stays reserved
-- until the job process settles it (SETTLE_LUA) once the rescale ended.
if ARGV[6] == 'replace' and own > grant then redis.call('HSET', KEYS[1], ARGV[1], own) else redis.call('HSET', KEYS[1], ARGV[1], grant) end
return {1, grant, others}
`;

// KEYS[1] reservations hash, KEYS[2] the job's operation queue. ARGV[1] job id, ARGV[2] TaskManagers
// the job now runs with. Lowers the job's reservation to that, never raises it and never creates one
// (an ended job has none); not while another operation waits in the queue (a rescale queued behind
// this one reserved room the job does not run with yet; it settles when it ends).
// Returns the reservation after the step (0: none).
const SETTLE_LUA = `
local own = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if redis.call('LLEN', KEYS[2]) > 0 then return own end
if own > tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); return tonumber(ARGV[2]) end
return own
`;

// KEYS[1] reservations hash. ARGV[1] key prefix of job records, ARGV[2] terminal states (comma list).
// Drops the reservation of every job whose record is missing or terminal; returns their ids.
const RECONCILE_LUA = `
local dropped = {}
for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
  local state = redis.call('HGET', ARGV[1] .. 'job:' .. id, 'state')
  local drop = not state
  if state then for s in string.gmatch(ARGV[2], '[^,]+') do if s == state then drop = true end end end
  if drop then redis.call('HDEL', KEYS[1], id); dropped[#dropped + 1] = id end
end
return dropped
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ebbflowReserve(key: string, jobKey: string, jobId: string, wanted: string, least: string, perJob: string, total: string, mode: string, terminal: string): Result<[number, number, number], Context>;
    ebbflowReconcileReservations(key: string, prefix: string, terminal: string): Result<string[], Context>;
    ebbflowSettleReservation(key: string, opsKey: string, jobId: string, taskManagers: string): Result<number, Context>;
  }
}

export interface ReserveRequest {
  /** TaskManagers the job would like. */
  wanted: number;
  /** The fewest it can do with (a lower bound); the reservation is refused below it. @default wanted */
  least?: number;
  /** 'run': a new job (an existing reservation is kept); 'replace': a rescale of a job that has not ended. */
  mode: 'run' | 'replace';
  /** TaskManagers one job may have. */
  perJob: number;
  /** TaskManagers all jobs together may have. */
  total: number;
}

export type ReserveOutcome =
  | { kind: 'reserved'; reserved: number; others: number }
  | { kind: 'kept'; reserved: number }
  | { kind: 'refused'; own: number; others: number }
  | { kind: 'ended' };

// HA only (with a fence): release and ensure as scripts, so they can be fenced too.
const RELEASE_LUA = `return redis.call('HDEL', KEYS[1], ARGV[1])`;
const ENSURE_LUA = `return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])`;

const RESERVATION_SCRIPTS = {
  ebbflowReserve: { numberOfKeys: 2, lua: RESERVE_LUA },
  ebbflowSettleReservation: { numberOfKeys: 2, lua: SETTLE_LUA },
  ebbflowReconcileReservations: { numberOfKeys: 1, lua: RECONCILE_LUA },
  ebbflowReleaseReservation: { numberOfKeys: 1, lua: RELEASE_LUA },
  ebbflowEnsureReservation: { numberOfKeys: 1, lua: ENSURE_LUA },
};

export class CapacityReservations {
  readonly key: string;

  /** @param fence HA only: the dispatcher's reservation writes are fenced with its leader epoch (metadata/fence.ts). */
  constructor(readonly redis: Redis, readonly prefix: string, readonly fence?: RegistryFence) {
    this.key = reservationsKey(prefix);
    defineScripts(redis, RESERVATION_SCRIPTS, fence);
  }

  /** Reserves (or, for a rescale, replaces) the job's TaskManagers in one step against both limits. */
  async reserve(jobId: string, r: ReserveRequest): Promise<ReserveOutcome> {
    const [status, n, others] = await runScript(this.redis, this.fence, 'ebbflowReserve', false, 'reserve TaskManagers', [this.key, `${this.prefix}job:${jobId}`],
      [jobId, String(r.wanted), String(r.least ?? r.wanted), String(r.perJob), String(r.total), r.mode, TERMINAL_STATES.join(',')]) as [number, number, number];
    if (status === 1) return { kind: 'reserved', reserved: n, others };
    if (status === 2) return { kind: 'kept', reserved: n };
    if (status === 3) return { kind: 'ended' };
    return { kind: 'refused', own: n, others };
  }

  /**
   * After a rescale ended (completed, failed or rolled back): lowers the job's reservation to the
   * TaskManagers it now runs with. Called by the job process; never raises, never creates one, and
   * does nothing while another operation waits in the job's queue.
   */
  async settle(jobId: string, taskManagers: number): Promise<number> {
    return runScript(this.redis, this.fence, 'ebbflowSettleReservation', false, 'settle the TaskManager reservation', [this.key, `${this.prefix}job:${jobId}:ops`], [jobId, String(taskManagers)]) as Promise<number>;
  }

  async release(jobId: string): Promise<void> {
    if (this.fence) await runScript(this.redis, this.fence, 'ebbflowReleaseReservation', false, 'release the TaskManager reservation', [this.key], [jobId]);
    else await this.redis.hdel(this.key, jobId);
  }

  /** Job id → TaskManagers reserved. */
  async all(): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.key);
    return Object.fromEntries(Object.entries(h).map(([id, n]) => [id, Number(n)]));
  }

  /** Reserves `n` for a job that has none (a job from before reservations existed); never refused. */
  async ensure(jobId: string, n: number): Promise<void> {
    if (this.fence) await runScript(this.redis, this.fence, 'ebbflowEnsureReservation', false, 'reserve TaskManagers for an older job', [this.key], [jobId, String(n)]);
    else await this.redis.hsetnx(this.key, jobId, String(n));
  }

  /** Drops the reservations of jobs that ended or whose record is gone; returns their ids. */
  reconcile(): Promise<string[]> {
    return runScript(this.redis, this.fence, 'ebbflowReconcileReservations', false, 'drop the reservations of ended jobs', [this.key], [this.prefix, TERMINAL_STATES.join(',')]) as Promise<string[]>;
  }
}
