/**
 * A dispatcher started while Redis is down adopts the jobs of an earlier dispatcher once Redis is
 * back: a cancel through it then really cancels (the job ends CANCELED and its processes exit). It
 * also queues then the job that was recorded but never queued.
 * The job metadata lives in a private redis-server that the test stops and starts; the job's
 * source reads from the shared test Redis, so the job itself is not disturbed by the outage.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { startDispatcher, type RunningDispatcher } from '../../api/index.js';
import { BundleStore } from '../../dispatcher/index.js';
import { JobRegistry } from '../../metadata/index.js';
import { json, processesMatching, upload, waitFor } from '../helpers/dispatcher.js';
import { privateRedis, type PrivateRedis } from '../helpers/private-redis.js';

let redis: PrivateRedis;
let dataDir: string;
const keyPrefix = `ebbtest-late-${randomBytes(4).toString('hex')}:`;
const stream = `${keyPrefix}in`;
const running: RunningDispatcher[] = [];
let jobId: string | undefined;
let strandedId: string | undefined;

const options = () => ({ host: '127.0.0.1', port: 0, redisUrl: redis.url, dataDir, keyPrefix, logLevel: 'silent' as const });
const state = async (base: string, id: string) => (await json(await fetch(`${base}/jobs/${id}`))).state as string;

/** What a dispatcher leaves when Redis fails between recording a job and queuing it: the record, never queued. */
async function strandedRecord(jar: string): Promise<string> {
  const bundle = (await new BundleStore({ dir: join(dataDir, 'jars') }).get(jar))!;
  const id = randomBytes(16).toString('hex');
  const now = Date.now();
  const client = new Redis(redis.url);
  try {
    expect(await new JobRegistry(client, keyPrefix).create({
      id, name: bundle.name, state: 'INITIALIZING', jarId: jar, bundlePath: bundle.bundlePath, entryClass: '', programArgs: [],
      parallelism: 1, maxParallelism: 0, submitTime: now, startTime: now, configuration: {}, savepointPath: '',
    })).toBe(true);
  } finally {
    client.disconnect();
  }
  return id;
}

beforeAll(async () => {
  redis = await privateRedis();
  dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-late-'));
});

afterAll(async () => {
  // A test that failed leaves the job's processes: kill them, so nothing outlives the test.
  for (const id of [jobId, strandedId]) {
    if (id) for (const p of await processesMatching(id)) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  for (const d of running) await d.close().catch(() => {});
  await redis?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a dispatcher started while Redis is down', () => {
  it('adopts the running jobs once Redis is back, so that a cancel ends the job and its processes, and runs a job never queued', async () => {
    const first = await startDispatcher({ ...options(), cancelJobsOnClose: false });
    running.push(first);
    // Never ends on its own: a stream source (on the shared test Redis) with nothing to read.
    const src = `export default function (env) {
      env.fromRedisStreams({ url: ${JSON.stringify(inject('redisUrl'))}, streams: [${JSON.stringify(stream)}] }).sinkTo(env.fileSink('/dev/null'));
    }`;
    const jar = (await json(await upload(first.url, 'endless.mjs', src))).filename;
    const run = await fetch(`${first.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(run.status).toBe(200);
    const id: string = (await json(run)).jobid;
    jobId = id;
    await waitFor('RUNNING', async () => ((await state(first.url, id)) === 'RUNNING' ? true : undefined));
    await waitFor('the job process and its TaskManager', async () => ((await processesMatching(`ebbflow-taskmanager ${id}`)).length === 1 ? true : undefined));
    const processes = (await processesMatching(id)).map((p) => p.pid);

    await first.close(); // leaves the job running, for the next dispatcher
    running.splice(running.indexOf(first), 1);
    // And a job a dispatcher recorded but never queued (Redis failed between the two steps).
    const stranded = await strandedRecord(jar);
    strandedId = stranded;
    await redis.stop();
    const second = await startDispatcher(options());
    running.push(second);
    expect((await fetch(`${second.url}/jobs/${id}`)).status).toBe(503);
    await redis.start();
    await waitFor('the API to answer again', async () => ((await fetch(`${second.url}/jobs/${id}`)).status === 200 ? true : undefined), 15_000);

    await waitFor('the job never queued RUNNING', async () => ((await state(second.url, stranded)) === 'RUNNING' ? true : undefined), 20_000);
    for (const j of [id, stranded]) expect((await fetch(`${second.url}/jobs/${j}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitFor('the job never queued CANCELED', async () => ((await state(second.url, stranded)) === 'CANCELED' ? true : undefined), 20_000);
    await waitFor('every process of the job never queued gone', async () => ((await processesMatching(stranded)).length === 0 ? true : undefined), 15_000);

    await waitFor('the job CANCELED', async () => ((await state(second.url, id)) === 'CANCELED' ? true : undefined), 20_000);
    await waitFor('every process of the job gone', async () => ((await processesMatching(id)).length === 0 ? true : undefined), 15_000);
    expect(processes.every((pid) => { try { process.kill(pid, 0); return false; } catch { return true; } })).toBe(true);
  });
});
