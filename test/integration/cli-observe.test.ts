/**
 * `ebbflow checkpoint`, `ebbflow logs` and `ebbflow metrics` against a real dispatcher. They use
 * endpoints added beside this change (POST/GET /jobs/:id/checkpoints[/:triggerid], the job process's
 * and TaskManagers' logs, /jobs/:id/metrics and the vertices' aggregated subtask metrics): these
 * tests need them merged.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endlessJobSource, runCli } from '../helpers/cli.js';
import { json, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { runJar, waitForCheckpoints, waitForState } from '../helpers/fraud.js';

let d: TestDispatcher;
let job: string;
const stream = `ebbtest-cli-observe-${randomBytes(4).toString('hex')}`;
const cli = (...args: string[]) => runCli(d, ...args);

beforeAll(async () => {
  d = await startTestDispatcher();
  const jar = (await json(await upload(d.url, 'endless.mjs', endlessJobSource(d.redisUrl, stream)))).filename;
  job = (await runJar(d, jar, { parallelism: 2, flinkConfiguration: { 'execution.checkpointing.interval': 60_000 } })).body.jobid;
  await waitForState(d, job, 'RUNNING');
  for (let i = 0; i < 50; i++) await d.redis.xadd(stream, '*', 'n', String(i));
});
afterAll(async () => {
  await d?.redis.del(stream);
  await d?.close();
});

describe('ebbflow checkpoint, logs, metrics', () => {
  it('triggers a checkpoint and prints its id once completed', async () => {
    const r = await cli('checkpoint', job);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^checkpoint of job ${job} \\(request [0-9a-f]{32}\\); waiting`));
    const id = Number(new RegExp(`^checkpoint (\\d+) of job ${job} completed$`, 'm').exec(r.stdout)?.[1]);
    expect(id).toBeGreaterThan(0);
    const stats = await waitForCheckpoints(d, job, 1);
    expect(stats.history.map((c: { id: number }) => c.id)).toContain(id);
    const noWait = await cli('checkpoint', job, '--no-wait');
    expect(noWait.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    const unknown = await cli('checkpoint', '0'.repeat(32));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/→ 404: Job 0{32} does not exist/);
  });

  it('prints the job process\'s log and a TaskManager\'s, by id or number, the last N lines', async () => {
    const all = await cli('logs', job);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('job planned');
    const tail = await cli('logs', job, '--lines', '3');
    expect(tail.stdout.trimEnd().split('\n')).toHaveLength(3);

    const tms = (await json(await fetch(`${d.url}/taskmanagers`))).taskmanagers.filter((t: { jobId: string }) => t.jobId === job).map((t: { id: string }) => t.id).sort();
    expect(tms.length).toBeGreaterThan(0);
    const byNumber = await cli('logs', job, '--taskmanager', '1', '--lines', '2');
    const byId = await cli('logs', job, '--taskmanager', tms[0], '--lines', '2');
    // A TaskManager's log may hold a single line so far: the tail is at most 2 lines, all from its log.
    const whole = await cli('logs', job, '--taskmanager', tms[0]);
    expect(whole.code, whole.stderr).toBe(0);
    for (const r of [byNumber, byId]) {
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(2);
      for (const line of lines) expect(whole.stdout).toContain(line);
    }
    const missing = await cli('logs', job, '--taskmanager', '99');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`job ${job} has no TaskManager "99"; its TaskManagers: 1 = ${tms[0]}`);
  });

  it('lists the job\'s metrics, and a vertex\'s aggregated over its subtasks', async () => {
    const listed = await waitFor('the job\'s metrics', async () => {
      const r = await cli('metrics', job, '--json');
      const values = r.code === 0 ? (JSON.parse(r.stdout) as Array<{ id: string; value: string }>) : [];
      return values.some((m) => m.id === 'uptime') ? values : undefined;
    }, 30_000, 500);
    expect(listed.find((m) => m.id === 'uptime')!.value).toMatch(/^\d+$/);
    const table = await cli('metrics', job, '--get', 'uptime,numRestarts');
    expect(table.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['uptime', 'numRestarts']);

    const vertices = (await json(await fetch(`${d.url}/jobs/${job}`))).vertices;
    const sink = vertices[1];
    const agg = await waitFor('the sink\'s records in', async () => {
      const r = await cli('metrics', job, '--vertex', sink.name, '--get', 'numRecordsIn', '--json');
      const [m] = r.code === 0 ? (JSON.parse(r.stdout) as Array<{ id: string; sum: number }>) : [];
      return m && m.sum >= 50 ? m : undefined;
    }, 30_000, 500);
    expect(agg).toMatchObject({ id: 'numRecordsIn', sum: 50 });
    const text = await cli('metrics', job, '--vertex', sink.id, '--get', 'numRecordsIn');
    const [header, row] = text.stdout.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['metric', 'min', 'max', 'avg', 'sum']);
    expect(row!.split(/\s+/)[0]).toBe('numRecordsIn');
    expect(Number(row!.split(/\s+/)[4])).toBe(50);
    const names = await cli('metrics', job, '--vertex', sink.name);
    expect(names.stdout).toMatch(/^numRecordsOut\s/m);
  });
});
