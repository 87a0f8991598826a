/**
 * The job's rescale history (Flink 2.3's FLIP-495, served in Flink's shapes by
 * `GET /jobs/:jobid/rescales/*`). The job process records every rescale, whatever triggered it
 * (a PATCH /rescaling request, a resource-requirements PUT, the autoscaler, or scaling back up once slots
 * returned), when it is taken up and again as it moves on and ends: a Redis list
 * `<prefix>job:<id>:rescales` of JSON records, newest first, capped at the job's
 * `web.adaptive-scheduler.rescale-history.size`; and per terminal status a count since the job
 * started in the hash `<prefix>job:<id>:rescales:counts` (the list forgets, the counts do not).
 * Both are removed with the job.
 */
import type { RescaleResult } from '../rest/index.js';

/** What started a rescale: PATCH /rescaling, PUT /resource-requirements, slots returning, or the job's autoscaler. */
export type RescaleTrigger = 'user' | 'requirements' | 'adaptive' | 'autoscaler';
export const RESCALE_TRIGGERS: readonly RescaleTrigger[] = ['user', 'requirements', 'adaptive', 'autoscaler'];

/** IGNORED: nothing had to change (Flink's terminal state for a rescale that did nothing). */
export type RescaleStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'IGNORED';
export const TERMINAL_RESCALE_STATUSES = ['COMPLETED', 'FAILED', 'IGNORED'] as const;

export interface RescaleVertexRecord {
  id: string;
  name: string;
  /** The parallelism the requirements ask for (their upper bound, within the vertex's limits). */
  desired: number;
  /** The least the requirements accept (their lower bound). */
  sufficient: number;
  before: number;
  /** null until the rescale ended (and stays null when it failed). */
  after: number | null;
}

/** One step of a rescale: from the moment the job process reported it until the next one (Flink's scheduler state spans). */
export interface RescalePhase {
  phase: string;
  enter: number;
  leave: number | null;
  /** The failure that ended the rescale in this step. */
  error: string | null;
}

export interface RescaleRecord {
  /** 32 hex characters (Flink's rescale UUID). */
  id: string;
  /** The requirements version it works towards; a new one with each request (Flink's resource requirements UUID). */
  requirementsId: string;
  /** The how-manyth rescale towards these requirements, from 1. */
  attempt: number;
  trigger: RescaleTrigger;
  /** The request id of the operation (PATCH or PUT) that asked for it; null for one the job started itself. */
  triggerId: string | null;
  status: RescaleStatus;
  failureCause: string | null;
  startTime: number;
  endTime: number | null;
  vertices: RescaleVertexRecord[];
  /** Slots (slot sharing: the largest vertex parallelism) wanted, the least accepted, before and after. */
  slots: { desired: number; minimal: number; before: number; after: number | null };
  phases: RescalePhase[];
  /** TaskManagers that registered for the rescale, and those it left without subtasks (released); null until it ended. */
  taskManagers: { added: string[]; released: string[] } | null;
  /** What the in-place rescale moved (the operation's RescaleResult); null until it ended, and for one that failed. */
  statistics: RescaleResult | null;
}

export const rescalesKey = (prefix: string, jobId: string): string => `${prefix}job:${jobId}:rescales`;
export const rescaleCountsKey = (prefix: string, jobId: string): string => `${prefix}job:${jobId}:rescales:counts`;

/** Counts of ended rescales since the job started, by terminal status. */
export type RescaleCounts = Record<(typeof TERMINAL_RESCALE_STATUSES)[number], number>;

/** The record as stored: its id first, so the script finds it without decoding every entry. */
export function encodeRescale(r: RescaleRecord): string {
  const { id, ...rest } = r;
  return JSON.stringify({ id, ...rest });
}

// KEYS[1] the list, KEYS[2] the counts hash. ARGV[1] the record's id, ARGV[2] its JSON (id first),
// ARGV[3] how many to keep, ARGV[4] its status. Replaces the entry with this id, or pushes it as the
// newest and trims the list; a status that becomes terminal here is counted once.
export const PUT_RESCALE_LUA = `
local head = '{"id":"' .. ARGV[1] .. '"'
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
local was = nil
for i, e in ipairs(entries) do
  if string.sub(e, 1, #head) == head then
    was = cjson.decode(e).status
    redis.call('LSET', KEYS[1], i - 1, ARGV[2])
    break
  end
end
if not was then
  redis.call('LPUSH', KEYS[1], ARGV[2])
  redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
end
if ARGV[4] ~= 'IN_PROGRESS' and was ~= ARGV[4] and (was == nil or was == 'IN_PROGRESS') then
  redis.call('HINCRBY', KEYS[2], ARGV[4], 1)
end
return 1
`;
