/**
 * The job process's start with HA (dispatcher/fenced-job-process.ts), as a real process: one whose
 * launch was superseded (another claim since), or whose leader epoch no longer holds the lease,
 * exits with status 75 before anything of the job runs, and records nothing.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { FENCED_LAUNCH_ENV, LAUNCH_SUPERSEDED_EXIT } from '../../dispatcher/job-process-launcher.js';
import { JobRegistry } from '../../metadata/index.js';
import { deleteKeys } from '../helpers/dispatcher.js';

const FENCED_JOB_PROCESS = new URL('../../dist/dispatcher/fenced-job-process.js', import.meta.url).pathname;
const prefix = `ebbtest-launch-${randomBytes(4).toString('hex')}:`;
const leaderKey = `${prefix}ha:test:leader`;
const dir = mkdtempSync(join(tmpdir(), 'ebbflow-launch-'));
let redis: Redis;

beforeAll(() => { redis = new Redis(inject('redisUrl')); });
afterAll(async () => { await deleteKeys(redis, `${prefix}*`); redis.disconnect(); rmSync(dir, { recursive: true, force: true }); });

function start(jobId: string, launchId: string, epoch: string) {
  const specFile = join(dir, `${jobId}.json`);
  writeFileSync(specFile, JSON.stringify({ jobId, redisUrl: inject('redisUrl'), keyPrefix: prefix, bundlePath: '/nonexistent', programArgs: [], parallelism: 1, dataDir: dir }));
  return spawnSync(process.execPath, [FENCED_JOB_PROCESS, 'ebbflow-jobmaster', jobId], {
    env: { ...process.env, EBBFLOW_JOB_SPEC_FILE: specFile, [FENCED_LAUNCH_ENV]: JSON.stringify({ launchId, epoch, fenceKey: leaderKey }) },
    encoding: 'utf8', timeout: 20_000,
  });
}

describe('a job process started with a fenced launch', () => {
  it('exits with 75, recording nothing, when its launch was superseded or its leader no longer leads', async () => {
    await redis.hset(leaderKey, 'id', 'd1', 'epoch', '7', 'url', 'http://d1');
    const registry = new JobRegistry(redis, prefix, { key: leaderKey, epoch: () => '7' });
    const job = { id: 'a'.repeat(32), name: 'j', state: 'INITIALIZING' as const, jarId: 'x', bundlePath: '/x', entryClass: '', programArgs: [], parallelism: 1, maxParallelism: 0, submitTime: 1, startTime: 1, configuration: {}, savepointPath: '' };
    expect(await registry.create(job)).toBe(true);
    expect(await registry.claimLaunch(job.id, 'L1', 0)).toBe(true);
    expect(await registry.claimLaunch(job.id, 'L2', 0)).toBe(true);

    const superseded = start(job.id, 'L1', '7');
    expect(superseded.status, superseded.stderr).toBe(LAUNCH_SUPERSEDED_EXIT);
    expect(superseded.stderr).toMatch(/no longer the job's claimed start/);
    expect((await registry.get(job.id))!.pid).toBe(0);

    // The claim stands, but another dispatcher leads now (epoch 8): the process of epoch 7 does not run.
    await redis.hset(leaderKey, 'id', 'd2', 'epoch', '8', 'url', 'http://d2');
    const deposed = start(job.id, 'L2', '7');
    expect(deposed.status, deposed.stderr).toBe(LAUNCH_SUPERSEDED_EXIT);
    expect(deposed.stderr).toMatch(/leader epoch 7\) no longer leads/);
    expect((await registry.get(job.id))!.pid).toBe(0);
  });
});
