/**
 * `ebbflow scale` (dist/cli/main.js) against a real dispatcher: the whole-job and the per-vertex
 * forms on a running job, --no-wait, the progress and result lines, a reported failure (exit 1),
 * and the usage mistakes it refuses before sending anything.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { runJar, waitForState } from '../helpers/fraud.js';
import { recordOnlyJob, vertex, waitForRescale } from '../helpers/rescaling.js';

import { runCli } from '../helpers/cli.js';

let d: TestDispatcher;
let job: string;
const stream = `ebbtest-cli-scale-${randomBytes(4).toString('hex')}`;

const cli = (...args: string[]) => runCli(d, ...args);

beforeAll(async () => {
  d = await startTestDispatcher();
  const src = `export default function (env) {
    env.fromRedisStreams({ url: ${JSON.stringify(d.redisUrl)}, streams: [${JSON.stringify(stream)}] }).rebalance('Spread').sinkTo(env.fileSink('/dev/null'));
  }`;
  const jar = (await json(await upload(d.url, 'endless.mjs', src))).filename;
  job = (await runJar(d, jar, { parallelism: 2 })).body.jobid;
  await waitForState(d, job, 'RUNNING');
});
afterAll(async () => {
  await d?.redis.del(stream);
  await d?.close();
});

describe('ebbflow scale', () => {
  it('rescales every vertex, printing one waiting line and then what changed', async () => {
    const r = await cli('scale', job, '1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^rescaling job ${job} to parallelism 1 \\(request [0-9a-f]{32}\\); waiting`));
    // The source reads one stream, so it ran one subtask; the rebalanced sink goes 2 → 1.
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^rescaled job ${job} in \\d+ ms at checkpoint \\d+:$`)),
      '  Redis Streams Source: 1 → 1',
      '  File Sink: 2 → 1',
      '  subtasks: 2 kept running, 0 added, 1 retired',
    ]);
    const again = await cli('scale', job, '1');
    expect(again.stdout.trim().split('\n')[1]).toBe(`job ${job} already runs at that parallelism; nothing changed`);
  });

  it('with --no-wait prints only the request id, which can be polled', async () => {
    const r = await cli('scale', job, '1', '--no-wait');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    const done = await waitForRescale(d.url, job, r.stdout.trim());
    expect(done.operation).not.toHaveProperty('failure-cause');
  });

  it('changes one vertex (by id or by name) through the resource requirements', async () => {
    const { vertices } = await json(await fetch(`${d.url}/jobs/${job}`));
    const sink = vertices[1];
    const byId = await cli('scale', job, '--vertex', sink.id, '--min', '1', '--max', '1');
    expect(byId.code, byId.stderr).toBe(0);
    expect(byId.stdout).toContain(`vertex ${sink.id} to parallelism 1..1`);
    const byName = await cli('scale', job, '--vertex', sink.name, '--max', '1');
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout).toContain(`vertex ${sink.id} to parallelism 1..1`);
    const unknown = await cli('scale', job, '--vertex', 'no-such-vertex', '--max', '1');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`job ${job} has no vertex "no-such-vertex"; its vertices: ${vertices[0].id} (${vertices[0].name}), ${sink.id} (${sink.name})`);
  });

  it('prints the statistics the job process reports, or its failure cause with exit status 1', async () => {
    const { id, registry } = await recordOnlyJob(d, 'RUNNING', [vertex('Source', 1, 128)]);
    const complete = async (outcome: Parameters<typeof registry.completeOperation>[2]) => {
      const [op] = await waitFor('the queued request', async () => { const l = await d.redis.lrange(`${d.keyPrefix}job:${id}:ops`, 0, -1); return l.length ? l : undefined; });
      await d.redis.del(`${d.keyPrefix}job:${id}:ops`);
      await registry.completeOperation(id, op!, outcome);
    };
    const [ok] = await Promise.all([cli('scale', id, '2'), complete({ result: { durationMs: 640, restoredKeyGroups: 128, taskManagers: ['taskmanager-00002'] } })]);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim().split('\n')[1]).toBe(`rescaled job ${id}: durationMs=640, restoredKeyGroups=128, taskManagers=["taskmanager-00002"]`);
    const [bad] = await Promise.all([cli('scale', id, '3'), complete({ failureCause: 'Error: not enough slots' })]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`rescaling job ${id} failed: Error: not enough slots\n`);
  });

  it('refuses bad combinations and shows the server\'s validation errors', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['scale', job], /give the new parallelism \(ebbflow scale <jobid> <n>\) or --vertex/],
      [['scale', job, '2', '--vertex', 'v'], /either a parallelism for the whole job or --vertex .*not both/],
      [['scale', job, '--min', '1'], /--min and --max need --vertex/],
      [['scale', job, '--vertex', 'v'], /--vertex v needs --min and\/or --max/],
      [['scale', job, '--vertex', 'v', '--min', '3', '--max', '2'], /--min 3 is greater than --max 2/],
      [['scale', job, '0'], /must be a positive integer/],
      [['scale', job, '--vertex', 'v', '--max'], /argument missing/],
      [['scale', job, '999'], /PATCH .*rescaling.* → 400: parallelism 999 exceeds the job's max parallelism 128/],
      [['scale', '0'.repeat(32), '2'], /→ 404: Job 0{32} does not exist/],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(pattern);
    }
  });
});
