/**
 * Retention of ended jobs (Flink's jobstore.expiration-time and jobstore.max-capacity): finished
 * jobs beyond the capacity (oldest first) and past the expiration disappear with their operations
 * and logs; a running job is never removed, however old.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKeys, json, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';

const tag = `ebbtest-retention-${randomBytes(4).toString('hex')}`;
const SHORT = `export default (env, args) => { env.fromElements(['a', 'b']).sinkTo(env.fileSink(args[0])); };`;
const follower = (redisUrl: string) => `export default (env, args) => {
  env.fromRedisStreams({ url: ${JSON.stringify(redisUrl)}, streams: [${JSON.stringify(`${tag}-in`)}] }).sinkTo(env.fileSink(args[0]));
};`;

let d: TestDispatcher | undefined;
afterEach(async () => { if (d) { await deleteKeys(d.redis, `${tag}*`); await d.close(); d = undefined; } });

async function run(jar: string, out: string): Promise<string> {
  const res = await fetch(`${d!.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ programArgsList: [out] }) });
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.jobid;
}

const state = async (id: string): Promise<string | number> => {
  const res = await fetch(`${d!.url}/jobs/${id}`);
  return res.status === 200 ? (await json(res)).state : res.status;
};
const waitState = (id: string, s: string | number) => waitFor(`job ${id} ${s}`, async () => ((await state(id)) === s ? true : undefined), 60_000);
const jarOf = async (name: string, content: string) => (await json(await upload(d!.url, name, content))).filename as string;

describe('retention of ended jobs', () => {
  it('keeps at most jobstore.max-capacity ended jobs, removing the oldest with their operations and logs; running jobs stay', async () => {
    d = await startTestDispatcher({ jobstoreMaxCapacity: 1, jobstoreExpirationTime: 3600 });
    const running = await run(await jarOf('follow.mjs', follower(d.redisUrl)), join(d.dataDir, 'follow.txt'));
    await waitState(running, 'RUNNING');
    const short = await jarOf('short.mjs', SHORT);
    const ended: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await run(short, join(d.dataDir, `short-${i}.txt`));
      await waitState(id, 'FINISHED');
      ended.push(id);
    }
    const [first, second, third] = ended as [string, string, string];
    expect(existsSync(join(d.dataDir, 'logs', first))).toBe(true);
    await d.dispatcher.retention.sweep();
    expect(await state(first)).toBe(404);
    expect(await state(second)).toBe(404);
    expect(await state(third)).toBe('FINISHED');
    expect(await state(running)).toBe('RUNNING');
    const ids = (await json(await fetch(`${d.url}/jobs`))).jobs.map((j: { id: string }) => j.id).sort();
    expect(ids).toEqual([running, third].sort());
    await waitFor('the log directory of the removed job to go', () => (existsSync(join(d!.dataDir, 'logs', first)) ? undefined : true), 5_000);
    expect(existsSync(join(d.dataDir, 'logs', third))).toBe(true);
    expect(await d.redis.keys(`${d.keyPrefix}job:${first}*`)).toEqual([]);
    // What the removed jobs wrote is theirs to keep.
    expect(readFileSync(join(d.dataDir, 'short-0.txt'), 'utf8')).toContain('a');
  }, 120_000);

  it('removes an ended job jobstore.expiration-time after it ended; a running job stays', async () => {
    d = await startTestDispatcher({ jobstoreExpirationTime: 1 });
    const running = await run(await jarOf('follow.mjs', follower(d.redisUrl)), join(d.dataDir, 'follow.txt'));
    await waitState(running, 'RUNNING');
    const done = await run(await jarOf('short.mjs', SHORT), join(d.dataDir, 'short.txt'));
    await waitState(done, 'FINISHED');
    const endTime = (await json(await fetch(`${d.url}/jobs/${done}`)))['end-time'] as number;
    // The periodic sweep (every 250 ms here) removes it once a second has passed since it ended.
    await waitState(done, 404);
    expect(Date.now() - endTime).toBeGreaterThanOrEqual(1000);
    // The record goes first (one Redis step), the log directory right after it.
    await waitFor('the log directory of the removed job to go', () => (existsSync(join(d!.dataDir, 'logs', done)) ? undefined : true), 5_000);
    // The running job started before the finished one and is older than the expiration: it stays.
    await waitFor('a running job older than the expiration', async () => (Date.now() - (await json(await fetch(`${d!.url}/jobs/${running}`)))['start-time'] > 1500 ? true : undefined));
    await d.dispatcher.retention.sweep();
    expect(await state(running)).toBe('RUNNING');
  }, 120_000);
});
