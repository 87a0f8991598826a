/**
 * A completed operation's record (savepoint, stop, rescale) expires after OPERATION_RESULT_TTL_MS,
 * as Flink's completed-operation cache does (rest.async.store-duration); one in progress does not.
 * Before, a running job kept one Redis key per operation for good (bench:soak found one more key
 * after every rescale).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { OPERATION_RESULT_TTL_MS } from '../../metadata/job-registry.js';
import { JobRegistry } from '../../metadata/index.js';
import { deleteKeys } from '../helpers/dispatcher.js';

const redis = new Redis(inject('redisUrl'));
const keyPrefix = `ebbtest-op-expiry-${randomBytes(4).toString('hex')}:`;
afterAll(async () => { await deleteKeys(redis, `${keyPrefix}*`); redis.disconnect(); });

describe('operation records', () => {
  it('expire once completed (successfully or not), and not while in progress', async () => {
    const registry = new JobRegistry(redis, keyPrefix);
    const jobId = randomBytes(16).toString('hex');
    const ids = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    for (const id of ids) expect(await registry.createOperation({ id, jobId, kind: 'rescale', targetDirectory: '', cancelJob: false, parallelism: 2 })).toBe(true);
    const key = (id: string) => `${keyPrefix}job:${jobId}:op:${id}`;
    expect(await redis.pttl(key(ids[0]!))).toBe(-1);

    await registry.completeOperation(jobId, ids[0]!, { result: { checkpointId: 7 } });
    await registry.completeOperation(jobId, ids[1]!, { failureCause: 'it failed' });
    for (const id of ids.slice(0, 2)) {
      const ttl = await redis.pttl(key(id));
      expect(ttl).toBeGreaterThan(OPERATION_RESULT_TTL_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(OPERATION_RESULT_TTL_MS);
    }
    // Still readable until then, with its outcome.
    expect(await registry.getOperation(jobId, ids[0]!)).toMatchObject({ status: 'COMPLETED', result: { checkpointId: 7 } });
    expect(await registry.getOperation(jobId, ids[1]!)).toMatchObject({ status: 'COMPLETED', failureCause: 'it failed' });
    // The one in progress stays.
    expect(await redis.pttl(key(ids[2]!))).toBe(-1);
  });
});
