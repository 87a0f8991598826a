/**
 * Work neither lost nor doubled at the edges: a job recorded but never queued (its dispatcher died,
 * or Redis failed, between the two steps) runs once a dispatcher starts, or when the run request is
 * retried with the same jobId; ten concurrent savepoint requests with one triggerId take one
 * savepoint (and the job process runs an operation id it is given twice once); a bundle that a running job uses cannot be deleted, so the job's next failover still
 * finds it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDispatcher } from '../../api/index.js';
import { BundleStore } from '../../dispatcher/index.js';
import { OperationRunner } from '../../jobmaster/operation-runner.js';
import { JobRegistry } from '../../metadata/index.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';

let d: TestDispatcher;
let jar: string;
const stream = `ebbtest-edges-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  d = await startTestDispatcher();
  jar = (await json(await upload(d.url, 'endless.mjs', endless(stream)))).filename;
});
afterAll(async () => {
  await d?.close();
});

/** A job that never ends on its own: a Redis stream source with nothing to read. */
const endless = (from: string) => `export default function (env) {
  env.fromRedisStreams({ url: ${JSON.stringify(d.redisUrl)}, streams: [${JSON.stringify(from)}] }).sinkTo(env.fileSink('/dev/null'));
}`;
const hexId = () => randomBytes(16).toString('hex');
const state = async (id: string, base = d.url) => (await json(await fetch(`${base}/jobs/${id}`))).state as string;
const waitForState = (id: string, wanted: string, base = d.url, timeoutMs = 20_000) =>
  waitFor(`job ${id} ${wanted}`, async () => ((await state(id, base)) === wanted ? true : undefined), timeoutMs);

async function cancel(id: string, base = d.url): Promise<void> {
  expect((await fetch(`${base}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
  await waitForState(id, 'CANCELED', base);
  await waitFor(`the processes of ${id} gone`, async () => ((await processesMatching(id)).length === 0 ? true : undefined), 15_000);
}

/** What a dispatcher that died right after recording the job leaves: the record, INITIALIZING, never queued. */
async function strandedRecord(at: { dataDir: string; keyPrefix: string; jar: string } = { ...d, jar }): Promise<string> {
  const bundle = (await new BundleStore({ dir: join(at.dataDir, 'jars') }).get(at.jar))!;
  const id = hexId();
  const now = Date.now();
  const created = await new JobRegistry(d.redis, at.keyPrefix).create({
    id, name: bundle.name, state: 'INITIALIZING', jarId: at.jar, bundlePath: bundle.bundlePath, entryClass: '', programArgs: [],
    parallelism: 1, maxParallelism: 0, submitTime: now, startTime: now, configuration: {}, savepointPath: '',
  });
  expect(created).toBe(true);
  return id;
}

describe('a job recorded but never queued', () => {
  it('is queued and runs when a dispatcher starts', async () => {
    // A dispatcher of its own (d shares nothing with it), which dies after recording the job.
    const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-edges-'));
    const keyPrefix = `ebbtest-edges-${randomBytes(4).toString('hex')}:`;
    const options = { host: '127.0.0.1', port: 0, redisUrl: d.redisUrl, dataDir, keyPrefix, logLevel: 'silent' as const };
    try {
      const first = await startDispatcher(options);
      const own = (await json(await upload(first.url, 'endless.mjs', endless(`${stream}:own`)))).filename;
      await first.close();
      const id = await strandedRecord({ dataDir, keyPrefix, jar: own });
      const next = await startDispatcher(options);
      try {
        await waitForState(id, 'RUNNING', next.url);
        await cancel(id, next.url);
      } finally {
        await next.close();
      }
    } finally {
      await deleteKeys(d.redis, `${keyPrefix}*`);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('is queued by a retried run request with the same jobId, which answers once the job started', async () => {
    const id = await strandedRecord();
    const res = await fetch(`${d.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobId: id }) });
    expect(res.status).toBe(200);
    expect((await json(res)).jobid).toBe(id);
    expect(await state(id)).not.toBe('INITIALIZING');
    await waitForState(id, 'RUNNING');
    await cancel(id);
  });

  it('after Redis failed between recording and queuing it, the 503 names it and a retry with its jobId runs it', async () => {
    const t = await startTestDispatcher({ redisUrl: d.redisUrl });
    try {
      const own = (await json(await upload(t.url, 'endless.mjs', endless(`${stream}:blip`)))).filename;
      const queue = t.dispatcher.submissions.queue;
      const add = queue.add.bind(queue);
      // The record is written; the enqueue meets Redis going away.
      queue.add = async () => { queue.add = add; throw new Error('Connection is closed.'); };
      const first = await fetch(`${t.url}/jars/${own}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(first.status).toBe(503);
      const message: string = (await json(first)).errors[0];
      const id = message.match(/^Job ([0-9a-f]{32}) is recorded but could not be queued yet/)?.[1];
      expect(id, message).toBeDefined();
      expect(message).toContain(`Retry with "jobId": "${id}"`);
      expect(await state(id!, t.url)).toBe('INITIALIZING');
      const retry = await fetch(`${t.url}/jars/${own}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobId: id }) });
      expect(retry.status).toBe(200);
      await waitForState(id!, 'RUNNING', t.url);
      await cancel(id!, t.url);
    } finally {
      await t.close();
    }
  });

  it('ends CANCELED when cancelled', async () => {
    const id = await strandedRecord();
    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitForState(id, 'CANCELED');
    expect(await processesMatching(id)).toEqual([]);
  });
});

describe('savepoint requests with the same triggerId', () => {
  it('ten at once take one savepoint, and all answer its request id', async () => {
    const run = await fetch(`${d.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(run.status).toBe(200);
    const id: string = (await json(run)).jobid;
    await waitForState(id, 'RUNNING');
    // Under the default savepoint directory (<dataDir>/savepoints), its own subdirectory to count in.
    const target = join(d.dataDir, 'savepoints', id);
    const trigger = (triggerId: string) => fetch(`${d.url}/jobs/${id}/savepoints`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ 'target-directory': target, triggerId }),
    }).then(async (r) => ({ status: r.status, body: await json(r) }));
    const triggerId = hexId();
    // Ten connections open first, so that the ten requests reach the dispatcher together.
    await Promise.all(Array.from({ length: 10 }, () => fetch(`${d.url}/jobs/${id}`).then((r) => r.arrayBuffer())));
    const answers = await Promise.all(Array.from({ length: 10 }, () => trigger(triggerId)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    expect(new Set(answers.map((a) => a.body['request-id']))).toEqual(new Set([triggerId]));
    // A second trigger queued behind them: the job process takes operations in order, so once it
    // completed, every copy of the first one it was ever given has been taken too.
    const after = await trigger(hexId());
    expect(after.status).toBe(202);
    for (const t of [triggerId, after.body['request-id']]) {
      const done = await waitFor(`savepoint ${t}`, async () => {
        const s = await json(await fetch(`${d.url}/jobs/${id}/savepoints/${t}`));
        return s.status.id === 'COMPLETED' ? s : undefined;
      });
      expect(done.operation['failure-cause'], JSON.stringify(done)).toBeUndefined();
    }
    const dirs = readdirSync(target).filter((n) => n.startsWith('savepoint-'));
    expect(dirs, dirs.join(', ')).toHaveLength(2);
    await cancel(id);
  });
});

describe('the job process\'s operation queue', () => {
  it('runs an operation id queued twice once', async () => {
    const keyPrefix = `ebbtest-edges-ops-${randomBytes(4).toString('hex')}:`;
    const registry = new JobRegistry(d.redis, keyPrefix);
    const jobId = hexId();
    const runs: string[] = [];
    const runner = new OperationRunner(new Redis(d.redisUrl), registry, jobId, async (op) => { runs.push(op.id); return { location: `/savepoints/${runs.length}` }; }, pino({ level: 'silent' }));
    try {
      const first = hexId();
      expect(await registry.createOperation({ id: first, jobId, kind: 'savepoint', targetDirectory: '', cancelJob: false })).toBe(true);
      expect(await registry.createOperation({ id: first, jobId, kind: 'savepoint', targetDirectory: '', cancelJob: false })).toBe(false);
      await d.redis.rpush(registry.opsQueueKey(jobId), first); // queued again all the same (as a dispatcher before this fix did)
      const second = hexId();
      await registry.createOperation({ id: second, jobId, kind: 'savepoint', targetDirectory: '', cancelJob: false });
      runner.start();
      // Taken in order: once the second completed, both copies of the first were taken.
      await waitFor('the second operation completed', async () => ((await registry.getOperation(jobId, second))?.status === 'COMPLETED' ? true : undefined));
      expect(runs).toEqual([first, second]);
      expect(await registry.getOperation(jobId, first)).toMatchObject({ status: 'COMPLETED', location: '/savepoints/1' });
    } finally {
      runner.stop();
      await deleteKeys(d.redis, `${keyPrefix}*`);
    }
  });
});

describe('deleting a bundle', () => {
  it('answers 409 naming the job while a job not ended uses it; the job still fails over; once it ended, it can be deleted', async () => {
    const other = (await json(await upload(d.url, 'endless-2.mjs', endless(`${stream}:2`)))).filename;
    const run = await fetch(`${d.url}/jars/${other}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(run.status).toBe(200);
    const id: string = (await json(run)).jobid;
    await waitForState(id, 'RUNNING');

    const refused = await fetch(`${d.url}/jars/${other}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect((await json(refused)).errors[0]).toMatch(new RegExp(`used by job ${id}, which has not ended`));
    expect((await json(await fetch(`${d.url}/jars`))).files.map((f: { id: string }) => f.id)).toContain(other);

    // Failover: a new job process loads the bundle again.
    const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
    process.kill(jm!.pid, 'SIGKILL');
    await waitFor('the job running in a new job process', async () => {
      const [now] = await processesMatching(`ebbflow-jobmaster ${id}`);
      return now && now.pid !== jm!.pid && (await state(id)) === 'RUNNING' ? true : undefined;
    }, 30_000);

    await cancel(id);
    expect((await fetch(`${d.url}/jars/${other}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${d.url}/jars/${other}`, { method: 'DELETE' })).status).toBe(404);
  });
});
