/**
 * The fence of a dispatcher with HA (ha/leader-election.ts): the dispatcher's writes run their Lua
 * script behind a check that the epoch it leads with still holds the leader lease, in the same
 * atomic step. A refused write changes nothing and fails with `FencedWriteError`.
 */
import type { Redis } from 'ioredis';
import { FencedWriteError } from './errors.js';

export interface RegistryFence {
  /** The leader hash (`<prefix>ha:<cluster-id>:leader`). */
  key: string;
  /**
   * The fence token this dispatcher writes with now: `<epoch>/<leader id>` (or just `<epoch>`), or ''
   * when it does not lead (every write is refused). With the id, a write passes only while both are in
   * the lease: should Redis lose an election's epoch increment (a crash without `appendfsync always`),
   * the next leader may get an epoch number a deposed one still writes with, and the id tells them apart.
   */
  epoch(): string;
  /** Told of every refused write (after the error is made; for logs and a counter). */
  onFenced?(err: FencedWriteError): void;
}

/**
 * Put in front of a script: KEYS[1] is the leader hash and ARGV[1] the writer's fence token
 * (`<epoch>/<id>`, or `<epoch>`); the write is applied only while that epoch (and id) still hold the lease, else the script answers an `EBBFLOW_FENCED`
 * error. The script proper sees its own KEYS and ARGV (locals that shadow the global tables,
 * without the fence's).
 */
export const FENCE_PROLOGUE = `
local fenceKey = KEYS[1]
local fenceEpoch = ARGV[1]
local held = redis.call('HMGET', fenceKey, 'epoch', 'id')
local sep = string.find(fenceEpoch, '/', 1, true)
local fenceOk
if sep then
  fenceOk = held[1] == string.sub(fenceEpoch, 1, sep - 1) and held[2] == string.sub(fenceEpoch, sep + 1)
else
  fenceOk = held[1] == fenceEpoch
end
if not fenceOk then
  return redis.error_reply('EBBFLOW_FENCED leader epoch ' .. fenceEpoch .. ' no longer holds the lease')
end
local KEYS = { unpack(KEYS, 2) }
local ARGV = { unpack(ARGV, 2) }
`;

export interface ScriptDef { numberOfKeys?: number; lua: string }

/** Defines each script on the connection, and with a fence also its fenced twin `<name>Fenced` (one key more). */
export function defineScripts(redis: Redis, scripts: Readonly<Record<string, ScriptDef>>, fence: RegistryFence | undefined): void {
  const r = redis as unknown as Record<string, unknown>;
  for (const [name, d] of Object.entries(scripts)) {
    if (typeof r[name] !== 'function') redis.defineCommand(name, d);
    const twin = `${name}Fenced`;
    if (fence && typeof r[twin] !== 'function') {
      redis.defineCommand(twin, { ...(d.numberOfKeys !== undefined ? { numberOfKeys: d.numberOfKeys + 1 } : {}), lua: FENCE_PROLOGUE + d.lua });
    }
  }
}

/**
 * Runs script `name` (defined by `defineScripts`), behind the fence when there is one. `dynamic`:
 * the script takes its number of keys on each call. `what` and `keys[0]` name a refused write.
 */
export async function runScript(redis: Redis, fence: RegistryFence | undefined, name: string, dynamic: boolean, what: string, keys: string[], args: string[]): Promise<unknown> {
  const r = redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  if (!fence) return r[name]!.call(redis, ...(dynamic ? [keys.length] : []), ...keys, ...args);
  const epoch = fence.epoch();
  try {
    return await r[`${name}Fenced`]!.call(redis, ...(dynamic ? [keys.length + 1] : []), fence.key, ...keys, epoch, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.includes('EBBFLOW_FENCED')) throw err;
    const fenced = new FencedWriteError(what, keys[0] ?? '', epoch, err);
    fence.onFenced?.(fenced);
    throw fenced;
  }
}
