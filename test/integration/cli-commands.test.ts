/**
 * The `ebbflow` commands over the REST API (dist/cli/main.js against a real dispatcher): jobs and
 * jars with and without --json, exceptions, rescales after a `scale`, savepoint and stop (polled to
 * the savepoint's location; the stopped job FINISHED), and a refused request (the server's error,
 * exit status 1).
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endlessJobSource, runCli } from '../helpers/cli.js';
import { json, startTestDispatcher, upload, type TestDispatcher } from '../helpers/dispatcher.js';
import { runJar, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import { recordOnlyJob, vertex } from '../helpers/rescaling.js';

let d: TestDispatcher;
let jar: string;
const stream = `ebbtest-cli-commands-${randomBytes(4).toString('hex')}`;
const cli = (...args: string[]) => runCli(d, ...args);

async function startJob(): Promise<string> {
  const id: string = (await runJar(d, jar, { parallelism: 2 })).body.jobid;
  await waitForState(d, id, 'RUNNING');
  return id;
}

beforeAll(async () => {
  d = await startTestDispatcher();
  jar = (await json(await upload(d.url, 'endless.mjs', endlessJobSource(d.redisUrl, stream)))).filename;
});
afterAll(async () => {
  await d?.redis.del(stream);
  await d?.close();
});

describe('ebbflow commands', () => {
  it('lists jobs and jars, as tables and with --json', async () => {
    const job = await startJob();
    const jobs = await cli('jobs');
    expect(jobs.code, jobs.stderr).toBe(0);
    expect(jobs.stdout).toMatch(new RegExp(`^${job}  RUNNING\\s+\\d{4}-\\d\\d-\\d\\dT[^ ]+Z  `, 'm'));
    const jobsJson = JSON.parse((await cli('jobs', '--json')).stdout);
    expect(jobsJson).toEqual(expect.arrayContaining([expect.objectContaining({ jid: job, state: 'RUNNING' })]));

    const jars = await cli('jars');
    expect(jars.code, jars.stderr).toBe(0);
    expect(jars.stdout).toContain(`${jar}  `);
    expect(jars.stdout).toMatch(/ endless\.mjs/);
    expect(JSON.parse((await cli('jars', '--json')).stdout)).toEqual([expect.objectContaining({ id: jar, name: 'endless.mjs' })]);
  });

  it('prints the exception history, newest first, and --json', async () => {
    const { id, registry } = await recordOnlyJob(d, 'RUNNING', [vertex('Source', 1, 128)]);
    expect((await cli('exceptions', id)).stdout).toBe(`no exceptions in job ${id}\n`);
    await registry.update(id, { exceptions: [
      { timestamp: Date.UTC(2026, 0, 1), cause: 'Error: first\n    at a', taskName: 'Source (1/1)', location: 'taskmanager-00001' },
      { timestamp: Date.UTC(2026, 0, 2), cause: 'TaskManagerLost: gone', taskName: null, location: null },
    ] });
    const r = await cli('exceptions', id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe([
      '2026-01-02T00:00:00.000Z  TaskManagerLost', '    TaskManagerLost: gone',
      '2026-01-01T00:00:00.000Z  Error  (Source (1/1) @ taskmanager-00001)', '    Error: first', '        at a', '',
    ].join('\n'));
    const entries = JSON.parse((await cli('exceptions', id, '--json')).stdout);
    expect(entries.map((e: { exceptionName: string }) => e.exceptionName)).toEqual(['TaskManagerLost', 'Error']);
  });

  it('shows the rescale history after `ebbflow scale`, and --json', async () => {
    const job = await startJob();
    expect((await cli('rescales', job)).stdout).toBe(`no rescales of job ${job} recorded\n`);
    const scaled = await cli('scale', job, '1');
    expect(scaled.code, scaled.stderr).toBe(0);
    const r = await cli('rescales', job);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\S+Z  COMPLETED\s+user\s+\d+ ms  Redis Streams Source 1→1, File Sink 2→1  \([0-9a-f]{32}\)$/);
    expect(lines[1]).toMatch(/^ {4}key groups moved 0 \(minimum 0\), state bytes \d+ \(minimum \d+\), longest hold \d+ ms; subtasks 2 kept, 0 added, 1 retired; TaskManagers \+0 −1$/);
    const history = JSON.parse((await cli('rescales', job, '--json')).stdout);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ trigger: 'user', status: 'COMPLETED', statistics: { subtasks: { retired: 1 } } });
  });

  it('takes a savepoint and stops a job with one, printing where each went', async () => {
    const job = await startJob();
    await waitForCheckpoints(d, job, 1);
    const dir = `${d.dataDir}/my-savepoints`;
    const sp = await cli('savepoint', job, dir);
    expect(sp.code, sp.stderr).toBe(0);
    const [waiting, done] = sp.stdout.trim().split('\n');
    expect(waiting).toMatch(new RegExp(`^savepoint of job ${job} into ${dir} \\(request [0-9a-f]{32}\\); waiting`));
    const location = new RegExp(`^savepoint of job ${job} completed: (${dir}/savepoint-\\S+)$`).exec(done!)?.[1];
    expect(location, done).toBeTruthy();
    expect(existsSync(`${location}/_metadata`)).toBe(true);

    const stopped = await cli('stop', job, '--savepoint-path', dir, '--drain');
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(new RegExp(`^stopping job ${job} with a savepoint \\(draining\\) \\(request [0-9a-f]{32}\\)`));
    const last = new RegExp(`^job ${job} stopped; savepoint: (${dir}/savepoint-\\S+)$`, 'm').exec(stopped.stdout)?.[1];
    expect(last, stopped.stdout).toBeTruthy();
    expect(existsSync(`${last}/_metadata`)).toBe(true);
    await waitForState(d, job, 'FINISHED');

    const noWait = await cli('savepoint', job, '--no-wait');
    expect(noWait.code).toBe(1);
    expect(noWait.stderr).toMatch(/POST \/jobs\/[0-9a-f]{32}\/savepoints → 409: .*FINISHED/);
  });

  it('exits 1 with the server\'s error for an unknown job, on every job command', async () => {
    const unknown = '0'.repeat(32);
    for (const args of [['exceptions', unknown], ['rescales', unknown], ['savepoint', unknown], ['stop', unknown]]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`→ 404: Job ${unknown} does not exist`));
    }
  });
});
