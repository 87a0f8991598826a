/**
 * Bad input over REST gets a clear error with the documented status, and a
 * rejected upload leaves nothing behind on disk or in Redis.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { buildZip } from '../helpers/zip-writer.js';

let d: TestDispatcher;
const GOOD = `export default function (env, args) {
  env.fromElements([1, 2, 3]).map((x) => x * 2).sinkTo(env.fileSink(args[0] ?? '/dev/null'));
}
export function other(env) { env.fromElements([1]).sinkTo(env.fileSink('/dev/null')); }
`;

beforeAll(async () => { d = await startTestDispatcher({ maxUploadBytes: 64 * 1024 }); });
afterAll(async () => { await d?.close(); });

/** Files in the jar store, including its temp area; must not grow on a rejected upload. */
function storeFiles(): string[] {
  const dir = join(d.dataDir, 'jars');
  const walk = (p: string): string[] => readdirSync(p, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(p, e.name) + '/', ...walk(join(p, e.name))] : [join(p, e.name)]));
  return walk(dir);
}

async function redisKeys(): Promise<string[]> {
  return (await d.redis.keys(`${d.keyPrefix}*`)).filter((k) => !k.includes(':bull:'));
}

async function expectRejected(res: Response, status: number, text: RegExp): Promise<void> {
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.errors.join(' ')).toMatch(text);
  await expectSpecResponse('post', '/jars/upload', status, body);
}

async function uploadGood(): Promise<string> {
  const res = await upload(d.url, 'good.mjs', GOOD);
  expect(res.status).toBe(200);
  return (await json(res)).filename;
}

describe('upload', () => {
  it('refuses a request that is not multipart (415)', async () => {
    const before = storeFiles();
    const res = await fetch(`${d.url}/jars/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await expectRejected(res, 415, /multipart/);
    expect(storeFiles()).toEqual(before);
  });

  it('refuses multipart without the jarfile field (400)', async () => {
    const res = await upload(d.url, 'good.mjs', GOOD, 'file');
    await expectRejected(res, 400, /jarfile/);
  });

  it('refuses a file over the size limit (413) and keeps nothing', async () => {
    const before = storeFiles();
    const res = await upload(d.url, 'big.mjs', Buffer.alloc(200 * 1024, 0x20));
    await expectRejected(res, 413, /larger than|too large/i);
    expect(storeFiles()).toEqual(before);
  });

  it('refuses an unknown extension (400)', async () => {
    const before = storeFiles();
    await expectRejected(await upload(d.url, 'job.txt', GOOD), 400, /\.mjs/);
    expect(storeFiles()).toEqual(before);
  });

  it('refuses a corrupt zip (400) and keeps nothing', async () => {
    const before = storeFiles();
    await expectRejected(await upload(d.url, 'broken.zip', Buffer.from('PK\u0003\u0004 this is not really a zip')), 400, /zip/i);
    expect(storeFiles()).toEqual(before);
  });

  it('refuses zip entries that escape the directory or are absolute (400), writing nothing', async () => {
    const before = storeFiles();
    const escaping = buildZip([{ name: 'ebbflow.json', data: '{"entry":"job.mjs"}' }, { name: 'job.mjs', data: GOOD }, { name: '../../evil.mjs', data: 'x' }]);
    await expectRejected(await upload(d.url, 'escape.zip', escaping), 400, /evil\.mjs/);
    const absolute = buildZip([{ name: 'ebbflow.json', data: '{"entry":"job.mjs"}' }, { name: '/tmp/abs-evil.mjs', data: 'x' }]);
    await expectRejected(await upload(d.url, 'abs.zip', absolute), 400, /abs-evil/);
    expect(storeFiles()).toEqual(before);
  });

  it('accepts a zip with a manifest and lists it', async () => {
    const zip = buildZip([{ name: 'ebbflow.json', data: '{"entry":"lib/job.mjs"}' }, { name: 'lib/job.mjs', data: GOOD }]);
    const res = await upload(d.url, 'ok.zip', zip);
    expect(res.status).toBe(200);
    const { filename } = await json(res);
    const list = await json(await fetch(`${d.url}/jars`));
    await expectSpecResponse('get', '/jars', 200, list);
    expect(list.files.map((f: { id: string }) => f.id)).toContain(filename);
  });

  it('answers 404 for unknown jar ids on delete and run', async () => {
    for (const res of [
      await fetch(`${d.url}/jars/nope.mjs`, { method: 'DELETE' }),
      await fetch(`${d.url}/jars/${'a'.repeat(32)}_x.mjs/run`, { method: 'POST' }),
      await fetch(`${d.url}/jars/..%2F..%2Fetc%2Fpasswd`, { method: 'DELETE' }),
    ]) {
      expect(res.status).toBe(404);
      expect((await json(res)).errors[0]).toMatch(/does not exist/);
    }
  });

  it('deletes a jar', async () => {
    const id = await uploadGood();
    const res = await fetch(`${d.url}/jars/${id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect((await json(await fetch(`${d.url}/jars`))).files.map((f: { id: string }) => f.id)).not.toContain(id);
  });
});

describe('run', () => {
  it('refuses parallelism that is not a positive integer (400) and creates no job', async () => {
    const id = await uploadGood();
    const keysBefore = await redisKeys();
    for (const parallelism of [0, -1, 1.5, 'two', 40000]) {
      const res = await fetch(`${d.url}/jars/${id}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parallelism }) });
      const body = await json(res);
      expect(res.status, String(parallelism)).toBe(400);
      expect(body.errors[0]).toMatch(/parallelism/);
      await expectSpecResponse('post', '/jars/{jarid}/run', 400, body);
    }
    expect(await redisKeys()).toEqual(keysBefore);
  });

  it('refuses a malformed jobId and programArgsList (400)', async () => {
    const id = await uploadGood();
    for (const body of [{ jobId: 'XYZ' }, { programArgsList: 'not-a-list' }, { programArgsList: [1, 2] }]) {
      const res = await fetch(`${d.url}/jars/${id}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  async function runExpectingFailure(source: string, entryClass: string | undefined, cause: RegExp): Promise<void> {
    const res0 = await upload(d.url, 'bad.mjs', source);
    const jar = (await json(res0)).filename;
    const jobId = 'b'.repeat(24) + Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
    const res = await fetch(`${d.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entryClass, jobId }) });
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.errors[0]).toMatch(cause);
    const job = await json(await fetch(`${d.url}/jobs/${jobId}`));
    expect(job.state).toBe('FAILED');
    expect(job['failure-cause']).toMatch(cause);
    const exceptions = await json(await fetch(`${d.url}/jobs/${jobId}/exceptions`));
    await expectSpecResponse('get', '/jobs/{jobid}/exceptions', 200, exceptions);
    expect(exceptions['root-exception']).toMatch(cause);
  }

  it('fails the job with a clear cause when the bundle throws on load', async () => {
    await runExpectingFailure('throw new Error("boom at load time");\nexport default () => {};', undefined, /boom at load time/);
  });

  it('fails the job when the named export does not exist', async () => {
    await runExpectingFailure(GOOD, 'nosuch', /no export named "nosuch"/);
  });

  it('fails the job when the job function throws or defines no sink', async () => {
    await runExpectingFailure('export default () => { throw new Error("bad args: --input missing"); }', undefined, /bad args: --input missing/);
    await runExpectingFailure('export default (env) => { env.fromElements([1]).map((x) => x); }', undefined, /no sink/);
  });

  it('runs a named export to FINISHED, and a repeated submission with the same jobId is one job', async () => {
    const jar = await uploadGood();
    const jobId = 'c'.repeat(32);
    const body = JSON.stringify({ entryClass: 'other', jobId });
    const first = await fetch(`${d.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(first.status).toBe(200);
    const second = await fetch(`${d.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(await json(second)).toEqual({ jobid: jobId });
    await waitFor('FINISHED', async () => ((await json(await fetch(`${d.url}/jobs/${jobId}`))).state === 'FINISHED' ? true : undefined));
    const jobs = (await json(await fetch(`${d.url}/jobs`))).jobs.filter((j: { id: string }) => j.id === jobId);
    expect(jobs).toHaveLength(1);
    // Cancelling a finished job is a conflict.
    const cancel = await fetch(`${d.url}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
    expect(cancel.status).toBe(409);
    await expectSpecResponse('patch', '/jobs/{jobid}', 409, await json(cancel));
  });

  it('answers 404 for unknown or malformed job ids', async () => {
    for (const id of ['f'.repeat(32), 'not-an-id']) {
      expect((await fetch(`${d.url}/jobs/${id}`)).status).toBe(404);
      expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(404);
    }
  });
});
