/**
 * The rescale history in Redis: the job process's writes replace an entry by its id or push it as
 * the newest, the list keeps the newest `keep`, each rescale is counted once when it ends (the
 * counts outlive the list); a new job process ends the rescales its dead predecessor left in
 * progress.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { RescaleHistory } from '../../jobmaster/rescale-history.js';
import { JobRegistry, type RescaleRecord } from '../../metadata/index.js';
import type { JobGraph } from '../../runtime/job-graph.js';
import { deleteKeys } from '../helpers/dispatcher.js';

let redis: Redis;
let registry: JobRegistry;
const prefix = `ebbtest-rescale-store-${randomBytes(4).toString('hex')}:`;
const jobId = 'c'.repeat(32);

beforeAll(() => { redis = new Redis(inject('redisUrl')); registry = new JobRegistry(redis, prefix); });
afterAll(async () => { await deleteKeys(redis, `${prefix}*`); redis.disconnect(); });

const record = (id: string, status: RescaleRecord['status']): RescaleRecord => ({
  id, requirementsId: 'e'.repeat(32), attempt: 1, trigger: 'user', triggerId: null, status, failureCause: null, startTime: 1, endTime: status === 'IN_PROGRESS' ? null : 2,
  vertices: [], slots: { desired: 1, minimal: 1, before: 1, after: null }, phases: [], taskManagers: null, statistics: null,
});

describe('rescale history store', () => {
  it('replaces by id, keeps the newest, counts each ended rescale once', async () => {
    const ids = ['1', '2', '3'].map((c) => c.repeat(32));
    await registry.putRescale(jobId, record(ids[0]!, 'IN_PROGRESS'), 2);
    await registry.putRescale(jobId, record(ids[0]!, 'COMPLETED'), 2);
    await registry.putRescale(jobId, record(ids[0]!, 'COMPLETED'), 2);
    await registry.putRescale(jobId, record(ids[1]!, 'FAILED'), 2);
    await registry.putRescale(jobId, record(ids[2]!, 'IN_PROGRESS'), 2);
    let h = await registry.rescaleHistory(jobId);
    expect(h.rescales.map((r) => [r.id, r.status])).toEqual([[ids[2], 'IN_PROGRESS'], [ids[1], 'FAILED']]);
    expect(h.counts).toEqual({ COMPLETED: 1, FAILED: 1, IGNORED: 0 });
    await registry.putRescale(jobId, record(ids[2]!, 'IGNORED'), 2);
    h = await registry.rescaleHistory(jobId);
    expect(h.rescales.map((r) => [r.id, r.status])).toEqual([[ids[2], 'IGNORED'], [ids[1], 'FAILED']]);
    expect(h.counts).toEqual({ COMPLETED: 1, FAILED: 1, IGNORED: 1 });
  });

  it('a new job process ends the rescales its dead predecessor left in progress', async () => {
    const job = 'd'.repeat(32);
    const graph = { vertices: [] } as unknown as JobGraph;
    const dead = new RescaleHistory(registry, job, graph, 5, pino({ level: 'silent' }));
    dead.begin({ trigger: 'adaptive', before: new Map(), desired: new Map(), requirements: {} }).phase('checkpoint 3: switching to the new scale');
    await dead.flushed();
    const next = new RescaleHistory(registry, job, graph, 5, pino({ level: 'silent' }));
    expect(await next.failAbandoned('JobProcessLost: died')).toBe(1);
    const { rescales, counts } = await registry.rescaleHistory(job);
    expect(rescales).toHaveLength(1);
    expect(rescales[0]).toMatchObject({ status: 'FAILED', failureCause: 'JobProcessLost: died', trigger: 'adaptive' });
    expect(rescales[0]!.phases[0]).toMatchObject({ phase: 'checkpoint 3: switching to the new scale', error: 'JobProcessLost: died' });
    expect(counts.FAILED).toBe(1);
    expect(await next.failAbandoned('again')).toBe(0);
  });
});
