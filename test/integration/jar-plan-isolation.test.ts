/**
 * Planning a bundle for GET|POST /jars/:jarid/plan happens in a short-lived child process with a
 * deadline (dispatcher/jar-planner.ts): a job function that never returns is killed and answered
 * as a refusal, and the dispatcher's process keeps running.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidRequest } from '../../dispatcher/index.js';
import { planInChild } from '../../dispatcher/jar-planner.js';
import { processesMatching, waitFor } from '../helpers/dispatcher.js';

const dir = mkdtempSync(join(tmpdir(), 'ebbflow-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bundle(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `export default function (env, args) {\n${body}\n}\n`);
  return path;
}

describe('jar planning in a child process', () => {
  it('answers the job graph with each vertex cap', async () => {
    const path = bundle('ok.mjs', "env.fromRedisStreams({ url: 'redis://127.0.0.1:1', streams: ['a', 'b'] }).map((r) => r, 'Same').keyBy((r) => r.id).process({ processElement: (r, ctx, out) => out.collect(r) }, 'All').sinkTo(env.fileSink('/dev/null'));");
    const { graph, caps } = await planInChild({ bundlePath: path, programArgs: [], parallelism: 3 }, 20_000);
    expect(graph.vertices).toHaveLength(2);
    expect(graph.edges.map((e) => e.partitioning)).toEqual(['HASH']);
    expect(graph.vertices.map((v) => caps[v.id])).toEqual([2, graph.maxParallelism]);
  });

  it('kills a job function that never returns and refuses the request', async () => {
    const path = bundle('loop.mjs', 'for (;;) {}');
    const started = Date.now();
    const err = await planInChild({ bundlePath: path, programArgs: [], parallelism: 1 }, 1500).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRequest);
    expect((err as Error).message).toMatch(/planning the job took longer than 1500 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await waitFor('the planning process to be gone', async () => ((await processesMatching(path)).length === 0 && (await processesMatching('ebbflow-plan')).length === 0 ? true : undefined), 5000);
  });
});
