/**
 * Isolation by default, end to end: a dispatcher started with EBBFLOW_TOKEN, a Redis URL with a
 * password and a marker variable in its environment runs a job; the job process and its
 * TaskManagers get none of them in their environment (read from /proc/<pid>/environ). A
 * TaskManager's log masks the job's secret program argument where user code's failure quotes it.
 * After a checkpoint and a savepoint, every directory ebbflow made is 0700 and every file 0600.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';

const TOKEN = `isolation-token-${randomBytes(8).toString('hex')}`;
const MARKER = `EBBFLOW_TEST_MARKER_${randomBytes(4).toString('hex').toUpperCase()}`;
const ARG_SECRET = `argsecret${randomBytes(6).toString('hex')}`;
const REDIS_PASSWORD = `redispw${randomBytes(6).toString('hex')}`;
const tag = `ebbtest-isolation-${randomBytes(4).toString('hex')}`;

/**
 * Follows a Redis stream; a map fails on the entry `boom` with a message that quotes the secret
 * argument's value alone (not as `--password value`, which the generic rules would mask anyway).
 */
const bundle = (redisUrl: string, stream: string) => `export default function (env, args) {
  const secret = args[args.indexOf('--password') + 1];
  env.fromRedisStreams({ url: ${JSON.stringify(redisUrl)}, streams: [${JSON.stringify(stream)}] })
    .map((e) => { if (e.fields.v === 'boom') throw new Error('could not log in as ' + secret + ' today'); return e.fields.v; })
    .sinkTo(env.fileSink(args[0]));
}
`;

let d: TestDispatcher;
/** Outside the data directory: one allowed by EBBFLOW_SAVEPOINT_ALLOWED_DIRS, one not. */
const extraAllowed = mkdtempSync(join(tmpdir(), 'ebbflow-allowed-'));
const outside = mkdtempSync(join(tmpdir(), 'ebbflow-outside-'));
const saved: Record<string, string | undefined> = {};

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${d.url}${path}`, {
    ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
  return { status: res.status, body: await json(res) };
}

async function uploadBundle(name: string, content: string): Promise<string> {
  const form = new FormData();
  form.append('jarfile', new Blob([content]), name);
  const res = await fetch(`${d.url}/jars/upload`, { method: 'POST', body: form, headers: { authorization: `Bearer ${TOKEN}` } });
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.filename;
}

/** The environment of a process, as the kernel shows it to the same user. */
function environOf(pid: number): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(raw.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/** Every path under `dir` (itself included) with its permission bits. */
function modesUnder(dir: string): Array<{ path: string; dir: boolean; mode: number }> {
  const st = statSync(dir);
  const out = [{ path: dir, dir: st.isDirectory(), mode: st.mode & 0o777 }];
  if (st.isDirectory()) for (const name of readdirSync(dir)) out.push(...modesUnder(join(dir, name)));
  return out;
}

beforeAll(async () => {
  for (const k of ['EBBFLOW_TOKEN', MARKER, 'NODE_OPTIONS']) saved[k] = process.env[k];
  process.env.EBBFLOW_TOKEN = TOKEN;
  process.env[MARKER] = 'visible-to-the-dispatcher-only';
  const base = (await import('vitest')).inject('redisUrl');
  // The test Redis has no password: ioredis then sends none and goes on, so the URL may carry one.
  d = await startTestDispatcher({ token: TOKEN, redisUrl: base.replace('://', `://:${REDIS_PASSWORD}@`), savepointAllowedDirs: [extraAllowed] });
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  if (d) { await deleteKeys(d.redis, `${tag}*`); await d.close(); }
  rmSync(extraAllowed, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('isolation by default', () => {
  it('job processes and TaskManagers get a scrubbed environment; TaskManager logs mask the job\'s secrets; data is 0700/0600', async () => {
    const stream = `${tag}-in`;
    const out = join(d.dataDir, 'out.txt');
    const jar = await uploadBundle('follow.mjs', bundle(d.redisUrl, stream));
    const run = await api(`/jars/${jar}/run`, {
      method: 'POST',
      body: JSON.stringify({ parallelism: 1, programArgsList: [out, '--password', ARG_SECRET], flinkConfiguration: { 'execution.checkpointing.interval': 200 } }),
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const jobId: string = run.body.jobid;
    await waitFor('RUNNING', async () => ((await api(`/jobs/${jobId}`)).body.state === 'RUNNING' ? true : undefined));
    await d.redis.xadd(stream, '*', 'v', 'first');
    await waitFor('the first record in the output', () => { try { return readFileSync(out, 'utf8').includes('first') ? true : undefined; } catch { return undefined; } });

    // 1. The environment: none of the dispatcher's secrets, its marker or NODE_OPTIONS.
    const jobPid = await waitFor('the job process pid', () => processesMatching(`ebbflow-jobmaster ${jobId}`).then((p) => p[0]?.pid));
    const tms = await waitFor('a TaskManager', () => processesMatching(`ebbflow-taskmanager ${jobId}`).then((p) => (p.length ? p : undefined)));
    for (const pid of [jobPid, ...tms.map((p) => p.pid)]) {
      const env = environOf(pid);
      expect(env.PATH, `pid ${pid}`).toBe(process.env.PATH);
      expect(Object.keys(env), `pid ${pid}`).not.toContain('EBBFLOW_TOKEN');
      expect(Object.keys(env), `pid ${pid}`).not.toContain(MARKER);
      expect(Object.keys(env), `pid ${pid}`).not.toContain('NODE_OPTIONS');
      const all = readFileSync(`/proc/${pid}/environ`, 'utf8');
      expect(all, `pid ${pid}`).not.toContain(TOKEN);
      expect(all, `pid ${pid}`).not.toContain(REDIS_PASSWORD);
    }
    expect(environOf(jobPid).EBBFLOW_JOB_SPEC_FILE).toBe(join(d.dataDir, 'logs', jobId, 'job-spec.json'));

    // 2. A checkpoint and a savepoint, then every directory and file ebbflow wrote is private.
    await waitFor('a completed checkpoint', async () => ((await api(`/jobs/${jobId}/checkpoints`)).body.counts.completed >= 1 ? true : undefined));
    const sp = await api(`/jobs/${jobId}/savepoints`, { method: 'POST', body: JSON.stringify({}) });
    expect(sp.status, JSON.stringify(sp.body)).toBe(202);
    const location: string = await waitFor('the savepoint', async () => {
      const s = await api(`/jobs/${jobId}/savepoints/${sp.body['request-id']}`);
      return s.body.status.id === 'COMPLETED' ? s.body.operation.location : undefined;
    });
    expect(location.startsWith(d.dataDir)).toBe(true);

    // 6. User code in a TaskManager fails quoting the secret: the TaskManager's log masks it.
    await d.redis.xadd(stream, '*', 'v', 'boom');
    const logDir = join(d.dataDir, 'logs', jobId);
    const tmLogs = () => readdirSync(logDir).filter((n) => /-?taskmanager-\d+\.log$/.test(n)).map((n) => readFileSync(join(logDir, n), 'utf8')).join('');
    const line = await waitFor('the TaskManager\'s "subtask failed" line', () => tmLogs().split('\n').find((l) => l.includes('could not log in as')));
    expect(line).toContain('could not log in as ****** today');
    expect(tmLogs()).not.toContain(ARG_SECRET);

    const cancel = await api(`/jobs/${jobId}`, { method: 'PATCH' });
    expect(cancel.status).toBe(202);
    await waitFor('CANCELED', async () => ((await api(`/jobs/${jobId}`)).body.state === 'CANCELED' ? true : undefined));

    const written = [join(d.dataDir, 'jars'), join(d.dataDir, 'logs'), join(d.dataDir, 'checkpoints'), join(d.dataDir, 'savepoints')].flatMap(modesUnder);
    expect(written.filter((w) => !w.dir).length).toBeGreaterThan(5);
    expect(written.some((w) => w.path.endsWith('_metadata') && w.path.startsWith(location))).toBe(true);
    const wrong = written.filter((w) => w.mode !== (w.dir ? 0o700 : 0o600)).map((w) => `${w.path} ${w.mode.toString(8)}`);
    expect(wrong).toEqual([]);
  }, 120_000);

  it('refuses savepoint targets and checkpoint/savepoint directories outside the allowed directories with 400', async () => {
    const jar = await uploadBundle('follow2.mjs', bundle(d.redisUrl, `${tag}-in2`));
    const runWith = (conf: Record<string, unknown>) => api(`/jars/${jar}/run`, {
      method: 'POST', body: JSON.stringify({ programArgsList: [join(d.dataDir, 'out2.txt'), '--password', ARG_SECRET], flinkConfiguration: conf }),
    });
    // A symbolic link inside the data directory that points outside it, and `..` out of it.
    symlinkSync(outside, join(d.dataDir, 'link-out'));
    const refusedDirs = [outside, `file://${outside}/x`, join(d.dataDir, '..', 'escape'), join(d.dataDir, 'link-out', 'chk')];
    const jobsBefore = (await api('/jobs')).body.jobs.length;
    for (const key of ['state.checkpoints.dir', 'state.savepoints.dir']) {
      for (const dir of refusedDirs) {
        const r = await runWith({ [key]: dir });
        expect(r.status, `${key}=${dir}: ${JSON.stringify(r.body)}`).toBe(400);
        expect(r.body.errors[0]).toContain(`flinkConfiguration["${key}"] ${dir} is`);
        expect(r.body.errors[0]).toContain('EBBFLOW_SAVEPOINT_ALLOWED_DIRS');
      }
    }
    expect((await api('/jobs')).body.jobs.length).toBe(jobsBefore);

    // Under the data directory (not yet existing) and under an allowed extra directory: accepted.
    const run = await runWith({ 'state.checkpoints.dir': join(extraAllowed, 'chk'), 'state.savepoints.dir': join(d.dataDir, 'not-yet', 'sp') });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const jobId: string = run.body.jobid;
    await waitFor('RUNNING', async () => ((await api(`/jobs/${jobId}`)).body.state === 'RUNNING' ? true : undefined));
    for (const dir of [...refusedDirs, 's3://bucket/x']) {
      const sp = await api(`/jobs/${jobId}/savepoints`, { method: 'POST', body: JSON.stringify({ 'target-directory': dir }) });
      expect(sp.status, `${dir}: ${JSON.stringify(sp.body)}`).toBe(400);
      expect(sp.body.errors[0]).toContain(`targetDirectory ${dir} is`);
      const stop = await api(`/jobs/${jobId}/stop`, { method: 'POST', body: JSON.stringify({ targetDirectory: dir }) });
      expect(stop.status, `${dir}: ${JSON.stringify(stop.body)}`).toBe(400);
    }
    expect(readdirSync(outside)).toEqual([]);
    mkdirSync(join(extraAllowed, 'sps'));
    const ok = await api(`/jobs/${jobId}/stop`, { method: 'POST', body: JSON.stringify({ targetDirectory: join(extraAllowed, 'sps') }) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    const location: string = await waitFor('the savepoint', async () => {
      const s = await api(`/jobs/${jobId}/savepoints/${ok.body['request-id']}`);
      return s.body.status.id === 'COMPLETED' ? s.body.operation.location : undefined;
    });
    expect(location.startsWith(join(extraAllowed, 'sps'))).toBe(true);
    await waitFor('FINISHED', async () => ((await api(`/jobs/${jobId}`)).body.state === 'FINISHED' ? true : undefined));
  }, 120_000);
});
