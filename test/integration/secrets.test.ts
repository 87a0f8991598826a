/**
 * Secrets stay inside: a dispatcher started from the CLI with a Redis URL that carries a password,
 * a job submitted with a secret Flink setting and secret program arguments. No REST answer and no
 * log line (the dispatcher's, the job process's) shows them, while the job itself ran with the real
 * values; an unreachable Redis with a password is reported without it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { JobRegistry } from '../../metadata/index.js';
import { deleteKeys, freePort, json, upload, waitFor } from '../helpers/dispatcher.js';
import { expectSpecResponse } from '../helpers/openapi.js';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
/** Every secret of this file contains it: no answer or log line may. */
const LEAK = /s3cret/;
const REDIS_PASSWORD = 'redispw-s3cret';
const CONF_SECRET = 'conf-s3cret';
const ARG_SECRET = 'arg-s3cret';

interface CliDispatcher { url: string; output: () => string; dataDir: string; stop: () => Promise<void> }

/** `ebbflow dispatcher` as a child process; `output` is everything it wrote (stdout: pino, stderr: the startup line). */
async function startCliDispatcher(redisUrl: string, keyPrefix: string, extra: string[] = []): Promise<CliDispatcher> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-secrets-'));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EBBFLOW_')));
  const child: ChildProcess = spawn(process.execPath, [CLI, 'dispatcher', '--port', '0', '--redis', redisUrl, '--data-dir', dataDir, '--key-prefix', keyPrefix, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: clean });
  let out = '';
  child.stdout!.on('data', (c) => { out += c; });
  child.stderr!.on('data', (c) => { out += c; });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await waitFor('the startup line', () => /listening on (http:\/\/\S+)/.exec(out)?.[1], 20_000);
  return {
    url, dataDir, output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // A dispatcher that cannot finish its shutdown (Redis gone) within 15 s is killed.
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every `*.log` file under `dir`, concatenated (not `job-spec.json`: the job's input, mode 0600, keeps the real values). */
function logsUnder(dir: string): string {
  let all = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) all += logsUnder(p);
    else if (name.endsWith('.log')) all += readFileSync(p, 'utf8');
  }
  return all;
}

const withPassword = (url: string, pw: string) => (url.includes('@') ? url : url.replace('://', `://:${pw}@`));

describe('secrets in answers and logs', () => {
  const keyPrefix = `ebbtest-${randomBytes(4).toString('hex')}:`;
  const redisUrl = withPassword(inject('redisUrl'), REDIS_PASSWORD);
  let d: CliDispatcher;
  let redis: Redis;

  beforeAll(async () => {
    // The test Redis has no password: ioredis then sends none and goes on, so the URL may carry one.
    d = await startCliDispatcher(redisUrl, keyPrefix, ['-D', `mesos.resourcemanager.framework.secret=${CONF_SECRET}`]);
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await d?.stop();
    if (redis) { await deleteKeys(redis, `${keyPrefix}*`); redis.disconnect(); }
  });

  it('masks flinkConfiguration, program arguments and failure causes in every answer; the job gets the real values', async () => {
    const out = join(d.dataDir, 'args.txt');
    const args = ['--password', ARG_SECRET, '--redis', redisUrl, '--redis-password=' + ARG_SECRET, '--input', 'visible-input'];
    const flinkConfiguration = { 'mesos.resourcemanager.framework.secret': CONF_SECRET, 'my.api-key': CONF_SECRET, 'parallelism.default': 1 };
    const run = async (jar: string, status: number) => {
      const res = await fetch(`${d.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ programArgsList: args, flinkConfiguration }) });
      const body = await json(res);
      expect(res.status, JSON.stringify(body)).toBe(status);
      return body;
    };
    const ok = (await json(await upload(d.url, 'args.mjs', `export default (env, args) => { env.fromElements([args.join(' ')]).sinkTo(env.fileSink(${JSON.stringify(out)})); }`))).filename;
    const bad = (await json(await upload(d.url, 'bad.mjs', `export default (env, args) => { throw new Error('cannot log in with ' + args.join(' ')); }`))).filename;
    const finished = (await run(ok, 200)).jobid as string;
    // A job function that throws fails the run request; the answer repeats its message, masked.
    const refused = await run(bad, 400);
    expect(JSON.stringify(refused)).not.toMatch(LEAK);
    expect(refused.errors[0]).toContain('cannot log in with --password ******');
    const failed = /Job ([0-9a-f]{32}) failed to start/.exec(refused.errors[0])![1]!;
    const stateOf = async (id: string) => (await json(await fetch(`${d.url}/jobs/${id}`))).state as string;
    await waitFor('FINISHED', async () => ((await stateOf(finished)) === 'FINISHED' ? true : undefined), 60_000);
    await waitFor('FAILED', async () => ((await stateOf(failed)) === 'FAILED' ? true : undefined), 60_000);

    // The job ran with the real values, and its record keeps them (the job process needs them).
    expect(readFileSync(out, 'utf8')).toContain(`--password ${ARG_SECRET} --redis ${redisUrl}`);
    const rec = await new JobRegistry(redis, keyPrefix).get(finished);
    expect(rec?.configuration['mesos.resourcemanager.framework.secret']).toBe(CONF_SECRET);
    expect(rec?.programArgs).toEqual(args);

    const answers: Record<string, unknown> = {};
    for (const path of ['/jobs', '/jobs/overview', `/jobs/${finished}`, `/jobs/${failed}`, `/jobs/${failed}/exceptions`, `/jobs/${finished}/checkpoints`, `/jobs/${finished}/exceptions`, '/config']) {
      const res = await fetch(`${d.url}${path}`);
      expect(res.status, path).toBe(200);
      answers[path] = await res.json();
    }
    for (const [path, body] of Object.entries(answers)) expect(JSON.stringify(body), path).not.toMatch(LEAK);

    const job = answers[`/jobs/${finished}`] as { flinkConfiguration: Record<string, unknown>; programArgs: string[] };
    await expectSpecResponse('get', '/jobs/{jobid}', 200, job);
    expect(job.flinkConfiguration).toEqual({ 'mesos.resourcemanager.framework.secret': '******', 'my.api-key': '******', 'parallelism.default': 1 });
    expect(job.programArgs).toEqual(['--password', '******', '--redis', withPassword(inject('redisUrl'), '******'), '--redis-password=******', '--input', 'visible-input']);
    const failure = (answers[`/jobs/${failed}`] as { 'failure-cause': string })['failure-cause'];
    expect(failure).toContain('cannot log in with --password ******');
    const ex = answers[`/jobs/${failed}/exceptions`] as { 'root-exception': string };
    expect(ex['root-exception']).toContain('cannot log in with');

    // No log line: the dispatcher's (startup line, pino) and the job processes' under <data-dir>/logs.
    expect(d.output()).toContain('listening on');
    expect(d.output()).not.toMatch(LEAK);
    const jobLogs = logsUnder(join(d.dataDir, 'logs'));
    expect(jobLogs.length).toBeGreaterThan(0);
    expect(jobLogs).not.toMatch(LEAK);
  }, 120_000);
});

describe('an unreachable Redis with a password', () => {
  it('answers 503 and logs the warning without the password', async () => {
    const url = `redis://:${REDIS_PASSWORD}@127.0.0.1:${await freePort()}`;
    const d = await startCliDispatcher(url, `ebbtest-${randomBytes(4).toString('hex')}:`);
    try {
      const res = await fetch(`${d.url}/jobs`);
      expect(res.status).toBe(503);
      const body = await json(res);
      expect(body.errors[0]).toContain('Redis is unreachable at redis://:******@127.0.0.1:');
      expect(JSON.stringify(body)).not.toMatch(LEAK);
      await waitFor('the warning about Redis', () => (d.output().includes('is not reachable yet') ? true : undefined), 10_000);
      expect(d.output()).toContain('redis://:******@127.0.0.1:');
      expect(d.output()).not.toMatch(LEAK);
    } finally {
      await d.stop();
    }
  }, 60_000);
});
