/**
 * The job registry's Lua scripts: each is one atomic step in Redis, so that no crash, failover or
 * concurrent request can see (or leave) half of it.
 */
import type { Result } from 'ioredis';
import { PUT_RESCALE_LUA } from './rescale-history.js';

// KEYS[1] job hash, KEYS[2] the TaskManager reservations hash (capacity-reservations.ts). ARGV[1] new state,
// ARGV[2] now (ms), ARGV[3] terminal states (comma list), ARGV[4..] extra field/value pairs. Returns 1
// when applied, 0 when the job is missing or already terminal. A terminal state releases the job's
// reservation in the same step, whoever records it (dispatcher or job process).
const TRANSITION_LUA = `
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur then return 0 end
for s in string.gmatch(ARGV[3], '[^,]+') do if s == cur then return 0 end end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'lastModification', ARGV[2])
redis.call('HSETNX', KEYS[1], 'ts:' .. ARGV[1], ARGV[2])
for s in string.gmatch(ARGV[3], '[^,]+') do
  if s == ARGV[1] then
    redis.call('HSET', KEYS[1], 'endTime', ARGV[2])
    local id = redis.call('HGET', KEYS[1], 'id')
    if id then redis.call('HDEL', KEYS[2], id) end
  end
end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
`;

// KEYS[1] job hash, KEYS[2] the index, KEYS[3..] the job's other fixed keys. ARGV[1] job id, ARGV[2]
// terminal states (comma list). Removes an ended job (or a record already gone) in one step, so that a
// job that is still running is never removed; returns 1 when removed, 0 when the job has not ended.
const REMOVE_LUA = `
local cur = redis.call('HGET', KEYS[1], 'state')
if cur then
  local ended = false
  for s in string.gmatch(ARGV[2], '[^,]+') do if s == cur then ended = true end end
  if not ended then return 0 end
end
redis.call('DEL', unpack(KEYS, 3))
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

// KEYS[1] job hash, KEYS[2] the jobs index (sorted set). ARGV[1] id, ARGV[2] score, ARGV[3..] field/value pairs.
// Creates the hash and indexes it, unless it exists: 1 when created, else 0. One step, so that no crash or Redis failure can leave half a record (a hash without its fields, or not indexed).
const CREATE_JOB_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
`;
// KEYS[1] operation hash, KEYS[2] the job's operation queue (list). ARGV[1] id, ARGV[2..] field/value pairs.
// The same for an operation, queued (RPUSH) for the job process. Two requests with the same triggerId
// cannot both create and queue it: the second finds the hash and gets 0.
const CREATE_OPERATION_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1
`;
// KEYS[1] hash. ARGV field/value pairs, set only when the hash exists (a record removed meanwhile is not
// brought back as a stub). Returns 1 when set.
const SET_IF_EXISTS_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`;

// KEYS[1] job hash. ARGV[1] launch id, ARGV[2] the leader epoch claiming, ARGV[3] the pid the record must
// still have (0: never started; else the dead process being replaced), ARGV[4] terminal states. Claims the
// next job process of the job for this launch: 1 when claimed, 0 when the job ended, is being cancelled,
// or another job process was recorded meanwhile (someone else started it).
const CLAIM_LAUNCH_LUA = `
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur or cur == 'CANCELLING' then return 0 end
for s in string.gmatch(ARGV[4], '[^,]+') do if s == cur then return 0 end end
if (redis.call('HGET', KEYS[1], 'pid') or '0') ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], 'launchId', ARGV[1], 'launchEpoch', ARGV[2])
return 1
`;
// KEYS[1] job hash. ARGV[1] launch id, ARGV[2] pid. The started job process records itself, only if its
// launch is still the job's claimed one: 1 when recorded, else 0 (the process must exit without running).
const CONFIRM_LAUNCH_LUA = `
if redis.call('HGET', KEYS[1], 'launchId') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'pid', ARGV[2])
return 1
`;


declare module 'ioredis' {
  interface RedisCommander<Context> {
    ebbflowTransition(key: string, reservationsKey: string, state: string, now: string, terminal: string, ...fields: string[]): Result<number, Context>;
    ebbflowRemoveJob(numKeys: number, ...keysAndArgs: string[]): Result<number, Context>;
    ebbflowCreateJob(key: string, index: string, id: string, score: string, ...fields: string[]): Result<number, Context>;
    ebbflowCreateOperation(key: string, queue: string, id: string, ...fields: string[]): Result<number, Context>;
    ebbflowSetIfExists(key: string, ...fields: string[]): Result<number, Context>;
    ebbflowPutRescale(list: string, counts: string, id: string, json: string, keep: string, status: string): Result<number, Context>;
    ebbflowClaimLaunch(key: string, launchId: string, epoch: string, expectedPid: string, terminal: string): Result<number, Context>;
    ebbflowConfirmLaunch(key: string, launchId: string, pid: string): Result<number, Context>;
  }
}

/** The scripts, by the name `JobRegistry` defines them under on its connection. */
export const REGISTRY_SCRIPTS = {
  ebbflowTransition: { numberOfKeys: 2, lua: TRANSITION_LUA },
  // The number of keys is given on each call (the job's keys vary).
  ebbflowRemoveJob: { lua: REMOVE_LUA },
  ebbflowCreateJob: { numberOfKeys: 2, lua: CREATE_JOB_LUA },
  ebbflowCreateOperation: { numberOfKeys: 2, lua: CREATE_OPERATION_LUA },
  ebbflowSetIfExists: { numberOfKeys: 1, lua: SET_IF_EXISTS_LUA },
  ebbflowPutRescale: { numberOfKeys: 2, lua: PUT_RESCALE_LUA },
  ebbflowClaimLaunch: { numberOfKeys: 1, lua: CLAIM_LAUNCH_LUA },
  ebbflowConfirmLaunch: { numberOfKeys: 1, lua: CONFIRM_LAUNCH_LUA },
} as const;

export type RegistryScriptName = keyof typeof REGISTRY_SCRIPTS;
