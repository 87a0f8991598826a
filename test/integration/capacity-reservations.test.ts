/**
 * The TaskManager reservations against the real Redis (own key prefix, deleted after): many
 * concurrent reservations from separate connections never add up past the dispatcher-wide limit;
 * a rescale replaces its own reservation up at once and down once the job process settles it; a lower bound is the least a reservation
 * takes; a job that ended (or is gone) cannot reserve by rescaling; a terminal state recorded by
 * the registry releases the reservation in the same step; reconciliation drops what ended jobs and
 * unknown ids left.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { CapacityReservations, JobRegistry } from '../../metadata/index.js';
import { deleteKeys } from '../helpers/dispatcher.js';

const prefix = `ebbtest-capacity-${randomBytes(4).toString('hex')}:`;
let redis: Redis;
let store: CapacityReservations;
let registry: JobRegistry;
const clients: Redis[] = [];
const hex = () => randomBytes(16).toString('hex');
const limits = { perJob: 4, total: 3 };

async function job(state: 'CREATED' | 'RUNNING' | 'FINISHED' | 'CANCELED' | 'FAILED' = 'RUNNING'): Promise<string> {
  const id = hex();
  const now = Date.now();
  await registry.create({ id, name: 'j', state: 'CREATED', jarId: 'x', bundlePath: '/x', entryClass: '', programArgs: [], parallelism: 1, maxParallelism: 128, submitTime: now, startTime: now, configuration: {}, savepointPath: '' });
  if (state !== 'CREATED') await registry.transition(id, state);
  return id;
}

const sum = (h: Record<string, number>) => Object.values(h).reduce((a, b) => a + b, 0);

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
  store = new CapacityReservations(redis, prefix);
  registry = new JobRegistry(redis, prefix);
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await deleteKeys(redis, `${prefix}*`);
  redis.disconnect();
});

describe('CapacityReservations (Lua, real Redis)', () => {
  it('grants at most the dispatcher-wide limit to 24 concurrent runs from 8 connections', async () => {
    await redis.del(store.key);
    for (let i = 0; i < 8; i++) clients.push(new Redis(inject('redisUrl')));
    const stores = clients.map((c) => new CapacityReservations(c, prefix));
    const ids = Array.from({ length: 24 }, hex);
    const outcomes = await Promise.all(ids.map((id, i) => stores[i % stores.length]!.reserve(id, { wanted: 1, mode: 'run', ...limits })));
    expect(outcomes.filter((o) => o.kind === 'reserved')).toHaveLength(3);
    expect(outcomes.filter((o) => o.kind === 'refused')).toHaveLength(21);
    expect(outcomes.find((o) => o.kind === 'refused')).toEqual({ kind: 'refused', own: 0, others: 3 });
    expect(sum(await store.all())).toBe(3);
    await redis.del(store.key);
  });

  it('keeps the reservation of a job that already has one (a repeated run)', async () => {
    const id = hex();
    expect(await store.reserve(id, { wanted: 2, mode: 'run', ...limits })).toEqual({ kind: 'reserved', reserved: 2, others: 0 });
    expect(await store.reserve(id, { wanted: 3, mode: 'run', ...limits })).toEqual({ kind: 'kept', reserved: 2 });
    await store.release(id);
    expect(await store.all()).toEqual({});
  });

  it('a rescale replaces its own reservation, up to what the others leave, and down', async () => {
    const [a, b] = [await job(), await job()];
    await store.reserve(a, { wanted: 1, mode: 'run', ...limits });
    await store.reserve(b, { wanted: 1, mode: 'run', ...limits });
    expect(await store.reserve(a, { wanted: 3, mode: 'replace', ...limits })).toEqual({ kind: 'refused', own: 1, others: 1 });
    expect(await store.all()).toEqual({ [a]: 1, [b]: 1 });
    expect(await store.reserve(a, { wanted: 2, mode: 'replace', ...limits })).toEqual({ kind: 'reserved', reserved: 2, others: 1 });
    expect(await store.reserve(a, { wanted: 1, mode: 'replace', ...limits })).toEqual({ kind: 'reserved', reserved: 1, others: 1 });
    // Down: the job holds its old TaskManagers until the rescale ends, so the larger count stays reserved
    // until the job process settles it; settling lowers only, and never creates a reservation.
    expect(await store.all()).toEqual({ [a]: 2, [b]: 1 });
    // Not while another operation waits in the job's queue: a rescale queued behind this one reserved room it will need.
    await redis.rpush(`${prefix}job:${a}:ops`, 'a-queued-rescale');
    expect(await store.settle(a, 1)).toBe(2);
    await redis.del(`${prefix}job:${a}:ops`);
    expect(await store.settle(a, 1)).toBe(1);
    expect(await store.settle(a, 5)).toBe(1);
    const gone = hex();
    expect(await store.settle(gone, 1)).toBe(0);
    expect(await store.all()).toEqual({ [a]: 1, [b]: 1 });
    // A lower bound: as much as fits between the least and the wanted, never past the per-job limit.
    expect(await store.reserve(a, { wanted: 9, least: 1, mode: 'replace', ...limits })).toEqual({ kind: 'reserved', reserved: 2, others: 1 });
    expect(await store.reserve(b, { wanted: 9, least: 2, mode: 'replace', ...limits })).toEqual({ kind: 'refused', own: 1, others: 2 });
    expect(await store.reserve(a, { wanted: 9, least: 1, mode: 'replace', perJob: 1, total: 100 })).toEqual({ kind: 'reserved', reserved: 1, others: 1 });
    // Shrinking within what the job holds is granted even when the limits were lowered below what is reserved.
    expect(await store.reserve(a, { wanted: 1, mode: 'replace', perJob: 1, total: 1 })).toEqual({ kind: 'reserved', reserved: 1, others: 1 });
    await registry.transition(a, 'CANCELED');
    await registry.transition(b, 'FINISHED');
  });

  it('refuses a rescale reservation for a job that ended or does not exist', async () => {
    for (const state of ['FINISHED', 'CANCELED', 'FAILED'] as const) {
      expect(await store.reserve(await job(state), { wanted: 1, mode: 'replace', ...limits })).toEqual({ kind: 'ended' });
    }
    expect(await store.reserve(hex(), { wanted: 1, mode: 'replace', ...limits })).toEqual({ kind: 'ended' });
    expect(await store.all()).toEqual({});
  });

  it('a terminal state recorded through the registry releases the reservation; other states keep it', async () => {
    for (const end of ['FINISHED', 'CANCELED', 'FAILED'] as const) {
      const id = await job('CREATED');
      await store.reserve(id, { wanted: 2, mode: 'run', ...limits });
      await registry.transition(id, 'RUNNING');
      await registry.transition(id, 'RESTARTING');
      expect(await store.all()).toEqual({ [id]: 2 });
      expect(await registry.transition(id, end)).toBe(true);
      expect(await store.all()).toEqual({});
    }
  });

  it('reconciliation drops the reservations of ended and unknown jobs and keeps the others', async () => {
    const live = await job('RUNNING');
    const ended = await job('CREATED');
    await store.reserve(live, { wanted: 1, mode: 'run', ...limits });
    // As a crash leaves them: a job that ended without its reservation released, a run that never got its record.
    await registry.transition(ended, 'FAILED');
    const unknown = hex();
    await redis.hset(store.key, ended, '1', unknown, '1');
    expect((await store.reconcile()).sort()).toEqual([ended, unknown].sort());
    expect(await store.all()).toEqual({ [live]: 1 });
    await registry.transition(live, 'CANCELED');
  });
});
