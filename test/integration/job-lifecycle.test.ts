/**
 * Faults around a running job: a killed job process, a killed TaskManager, a
 * restarted dispatcher, an unreachable Redis, and the token rule.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDispatcher } from '../../api/index.js';
import { compileDispatcherOptions } from '../../dispatcher/index.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { expectSpecResponse } from '../helpers/openapi.js';

let d: TestDispatcher;
const stream = `ebbtest-lifecycle-${randomBytes(4).toString('hex')}`;
let jar: string;

/** Never ends on its own: a Redis stream source with nothing to read. Two streams, so that it can
 * run two subtasks (a source never runs more subtasks than it has streams). */
const endlessSource = () => `export default function (env) {
    env.fromRedisStreams({ url: ${JSON.stringify(d.redisUrl)}, streams: [${JSON.stringify(stream)}, ${JSON.stringify(`${stream}:b`)}] }).sinkTo(env.fileSink('/dev/null'));
  }`;

beforeAll(async () => {
  d = await startTestDispatcher();
  jar = (await json(await upload(d.url, 'endless.mjs', endlessSource()))).filename;
});
afterAll(async () => {
  await d?.redis.del(stream);
  await d?.close();
});

async function startRunning(parallelism = 1, base = d.url, flinkConfiguration?: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${base}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parallelism, flinkConfiguration }) });
  expect(res.status).toBe(200);
  const { jobid } = await json(res);
  await waitFor('RUNNING', async () => ((await json(await fetch(`${base}/jobs/${jobid}`))).state === 'RUNNING' ? true : undefined));
  return jobid;
}

const state = async (id: string, base = d.url) => json(await fetch(`${base}/jobs/${id}`));

describe('job lifecycle', () => {
  it('lists TaskManagers of running jobs with their pids, then cancels and stops every one', async () => {
    const id = await startRunning(2);
    const tms = await waitFor('2 TaskManagers', async () => {
      const body = await json(await fetch(`${d.url}/taskmanagers`));
      const mine = body.taskmanagers.filter((t: { jobId: string }) => t.jobId === id);
      return mine.length === 2 ? body : undefined;
    });
    await expectSpecResponse('get', '/taskmanagers', 200, tms);
    const ps = await processesMatching(`ebbflow-taskmanager ${id}`);
    expect(ps.map((p) => p.pid).sort()).toEqual(tms.taskmanagers.filter((t: { jobId: string }) => t.jobId === id).map((t: { pid: number }) => t.pid).sort());
    const overview = await json(await fetch(`${d.url}/overview`));
    expect(overview.taskmanagers).toBeGreaterThanOrEqual(2);

    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitFor('CANCELED', async () => ((await state(id)).state === 'CANCELED' ? true : undefined));
    expect(await processesMatching(`ebbflow-taskmanager ${id}`)).toEqual([]);
    const s = await state(id);
    expect(s.timestamps.CANCELLING).toBeGreaterThan(0);
    expect(s['end-time']).toBeGreaterThanOrEqual(s['start-time']);
  });

  it('starts a killed job process again: the job carries on with the same TaskManagers, which re-registered with it', async () => {
    const id = await startRunning(2);
    const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
    const oldTms = (await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort();
    expect(oldTms).toHaveLength(2);
    process.kill(jm!.pid, 'SIGKILL');
    await waitFor('a new job process running the job', async () => {
      const [now] = await processesMatching(`ebbflow-jobmaster ${id}`);
      return now && now.pid !== jm!.pid && (await state(id)).state === 'RUNNING' ? true : undefined;
    }, 30_000);
    expect((await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort()).toEqual(oldTms);
    const ex = await json(await fetch(`${d.url}/jobs/${id}/exceptions`));
    await expectSpecResponse('get', '/jobs/{jobid}/exceptions', 200, ex);
    expect(ex.exceptionHistory.entries.map((e: { stacktrace: string }) => e.stacktrace).join('\n')).toMatch(/job process \(pid \d+\) was killed by SIGKILL; starting a new job process .* \(restart 1 of 3\)/);
    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitFor('CANCELED', async () => ((await state(id)).state === 'CANCELED' ? true : undefined));
    // Taken over or not, the job's end stops them.
    await waitFor('TaskManagers to exit', async () => ((await processesMatching(`ebbflow-taskmanager ${id}`)).length === 0 ? true : undefined), 15_000);
  });

  it('marks the job FAILED with a cause when its job process is killed and no restart is left, and its TaskManagers exit', async () => {
    const t = await startTestDispatcher({ redisUrl: d.redisUrl, jobProcessRestarts: 0 });
    try {
      const endless = (await json(await upload(t.url, 'endless.mjs', `export default function (env) {
        env.fromRedisStreams({ url: ${JSON.stringify(d.redisUrl)}, streams: [${JSON.stringify(stream)}] }).sinkTo(env.fileSink('/dev/null'));
      }`))).filename;
      const run = await json(await fetch(`${t.url}/jars/${endless}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
      const id: string = run.jobid;
      await waitFor('RUNNING', async () => ((await json(await fetch(`${t.url}/jobs/${id}`))).state === 'RUNNING' ? true : undefined));
      const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
      process.kill(jm!.pid, 'SIGKILL');
      const s = await waitFor('FAILED', async () => { const j = await json(await fetch(`${t.url}/jobs/${id}`)); return j.state === 'FAILED' ? j : undefined; });
      expect(s['failure-cause']).toMatch(/job process \(pid \d+\) was killed by SIGKILL/);
      await waitFor('TaskManagers to exit', async () => ((await processesMatching(`ebbflow-taskmanager ${id}`)).length === 0 ? true : undefined), 15_000);
    } finally {
      await t.close();
    }
  });

  it('TaskManagers whose job process died and never came back exit after taskmanager.registration.timeout (no orphan)', async () => {
    // A dispatcher of its own (prefix, data directory) that leaves its jobs running when it closes:
    // once it is gone nobody restarts the job process or marks the job ended, so the TaskManagers'
    // own timeout is all that ends them.
    const keyPrefix = `ebbtest-orphan-${randomBytes(4).toString('hex')}:`;
    const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-orphan-'));
    const other = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl: d.redisUrl, dataDir, keyPrefix, logLevel: 'silent', cancelJobsOnClose: false });
    let tms: Array<{ pid: number }> = [];
    let jm: { pid: number } | undefined;
    try {
      const endless = (await json(await upload(other.url, 'endless.mjs', endlessSource()))).filename;
      const res = await fetch(`${other.url}/jars/${endless}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parallelism: 2, flinkConfiguration: { 'taskmanager.registration.timeout': '2 s' } }) });
      expect(res.status).toBe(200);
      const id: string = (await json(res)).jobid;
      await waitFor('RUNNING', async () => ((await json(await fetch(`${other.url}/jobs/${id}`))).state === 'RUNNING' ? true : undefined));
      await other.close();
      [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
      tms = await processesMatching(`ebbflow-taskmanager ${id}`);
      expect(tms).toHaveLength(2);
      const logDir = join(dataDir, 'logs', id);
      const logs = () => readdirSync(logDir).filter((f) => f.includes('-taskmanager-')).map((f) => readFileSync(join(logDir, f), 'utf8'));
      const killedAt = Date.now();
      process.kill(jm!.pid, 'SIGKILL');
      // They outlive it, waiting for a new JobMaster...
      await waitFor('both TaskManagers to notice and wait', () => (logs().every((l) => l.includes('waiting for a new JobMaster of the job')) ? true : undefined), 10_000);
      expect((await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort()).toEqual(tms.map((p) => p.pid).sort());
      // ...and exit once the timeout passed without one.
      const goneAfterMs = await waitFor('the TaskManagers to exit', async () => ((await processesMatching(`ebbflow-taskmanager ${id}`)).length === 0 ? Date.now() - killedAt : undefined), 20_000);
      expect(goneAfterMs).toBeGreaterThanOrEqual(2000);
      expect(logs().every((l) => l.includes('no new JobMaster of the job within taskmanager.registration.timeout'))).toBe(true);
    } finally {
      for (const p of [...tms, ...(jm ? [jm] : [])]) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
      await deleteKeys(d.redis, `${keyPrefix}*`);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('with restarts disabled, fails the job when a TaskManager is killed, and stops the rest', async () => {
    const id = await startRunning(2, d.url, { 'restart-strategy.type': 'none' });
    const tms = await processesMatching(`ebbflow-taskmanager ${id}`);
    expect(tms).toHaveLength(2);
    process.kill(tms[0]!.pid, 'SIGKILL');
    const s = await waitFor('FAILED', async () => { const j = await state(id); return j.state === 'FAILED' ? j : undefined; });
    expect(s['failure-cause']).toMatch(/TaskManager [0-9a-f]{8}-taskmanager-0000\d[\s\S]*restarts are disabled/);
    expect(await processesMatching(`ebbflow-taskmanager ${id}`)).toEqual([]);
  });

  it('keeps jobs running across a dispatcher restart, and the new dispatcher can cancel them', async () => {
    const other = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl: d.redisUrl, dataDir: d.dataDir, keyPrefix: d.keyPrefix, logLevel: 'silent', cancelJobsOnClose: false });
    const id = await startRunning(1, other.url);
    await other.close();
    expect(await processesMatching(`ebbflow-jobmaster ${id}`)).toHaveLength(1);
    // d shares the prefix and data dir: it sees the job, still RUNNING, and can cancel it by pid.
    const restarted = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl: d.redisUrl, dataDir: d.dataDir, keyPrefix: d.keyPrefix, logLevel: 'silent' });
    try {
      expect((await state(id, restarted.url)).state).toBe('RUNNING');
      expect((await fetch(`${restarted.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
      await waitFor('CANCELED', async () => ((await state(id, restarted.url)).state === 'CANCELED' ? true : undefined));
      await waitFor('processes gone', async () => ((await processesMatching(id)).length === 0 ? true : undefined), 15_000);
    } finally {
      await restarted.close();
    }
  });

  it('answers 503 with a clear error while Redis is unreachable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-noredis-'));
    const s = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl: 'redis://127.0.0.1:1', dataDir, logLevel: 'silent' });
    try {
      for (const p of ['/jobs', '/jobs/overview', '/overview']) {
        const res = await fetch(s.url + p);
        const body = await json(res);
        expect(res.status, p).toBe(503);
        expect(body.errors[0]).toMatch(/Redis is unreachable/);
      }
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to listen beyond loopback without a token, and enforces a token when set', async () => {
    expect(() => compileDispatcherOptions({ host: '0.0.0.0' })).toThrow(/token/);
    const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-token-'));
    const s = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl: d.redisUrl, dataDir, keyPrefix: `${d.keyPrefix}tok:`, logLevel: 'silent', token: 's3cret' });
    try {
      expect((await fetch(`${s.url}/jobs`)).status).toBe(401);
      expect((await fetch(`${s.url}/jobs`, { headers: { authorization: 'Bearer wrong!' } })).status).toBe(401);
      expect((await fetch(`${s.url}/jobs`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
      expect((await fetch(`${s.url}/`)).status).toBe(200);
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
