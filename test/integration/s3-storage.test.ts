/**
 * Checkpoint storage on S3 (runtime/checkpoint/s3-storage.ts) against a real S3-protocol server in
 * its own process (test/helpers/s3-server.ts: s3rver, or EBBFLOW_TEST_S3_URL's MinIO), mostly
 * through a proxy of the test's that can answer 503 SlowDown or hang: files written, read whole and
 * by ranges (only the bytes asked for travel), listed and removed by prefix; a big file as a
 * multipart upload; throttling retried with back-off; a hung request aborted at the storage
 * deadline; the state-file layout of a rescale (moved key groups first, as an object of their own).
 */
import { serialize } from 'node:v8';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileJobConfig } from '../../jobmaster/job-config.js';
import { storageFor, storagePath, type CheckpointStorage } from '../../runtime/checkpoint/checkpoint-storage.js';
import { MAX_ATTEMPTS, PART_SIZE } from '../../runtime/checkpoint/s3-storage.js';
import { latestCompletedCheckpoint, readSubtaskStates, StateFileWriter, writeMetadata } from '../../runtime/checkpoint/snapshot-io.js';
import { hungStorageCalls, setStorageTimeout, storageTimeout } from '../../runtime/checkpoint/storage-deadline.js';
import { StorageTimeoutError } from '../../runtime/errors.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { startSlowDownProxy, type SlowDownProxy } from '../helpers/s3-slowdown-proxy.js';
import { waitFor } from '../helpers/wait-for.js';

let s3: TestS3;
let proxy: SlowDownProxy;
let storage: CheckpointStorage;
const defaultTimeout = storageTimeout();

beforeAll(async () => {
  s3 = await startTestS3();
  proxy = await startSlowDownProxy(s3.endpoint);
  // Through the proxy: a distinct endpoint is a distinct client.
  storage = storageFor(s3.root, { ...s3.settings, endpoint: proxy.endpoint });
});
afterAll(async () => { await proxy?.close(); await s3?.close(); });
afterEach(() => { setStorageTimeout(defaultTimeout); proxy.failNext(0); proxy.hangNext(0); });

describe('S3 checkpoint storage', () => {
  it('writes, lists, reads whole and by ranges, and removes by prefix', async () => {
    const chk = s3.location('job-a/chk-1');
    expect(chk).toMatch(/^s3:\/\/[a-z0-9.-]+\/ebbflow-test-[0-9a-f]+\/job-a\/chk-1$/);
    await storage.ensureDir(chk);
    const w = await storage.create(storagePath(chk, 'v-0.state'));
    await w.writev([Buffer.from('hello '), Buffer.from('world')]);
    await w.close();
    await storage.writeAtomically(storagePath(chk, '_metadata'), Buffer.from('meta'));
    await storage.writeAtomically(storagePath(s3.location('job-a/chk-2'), '_metadata'), Buffer.from('meta2'));
    expect((await storage.list(chk)).sort()).toEqual(['_metadata', 'v-0.state']);
    expect((await storage.list(s3.location('job-a'))).sort()).toEqual(['chk-1', 'chk-2']);
    expect(await storage.list(s3.location('nothing-here'))).toEqual([]);
    expect(await storage.size(storagePath(chk, 'v-0.state'))).toBe(11);
    await expect(storage.size(storagePath(chk, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await storage.readAll(storagePath(chk, '_metadata'))).toString()).toBe('meta');

    proxy.forwarded.length = 0;
    const r = await storage.openRead(storagePath(chk, 'v-0.state'));
    const buf = Buffer.alloc(5);
    expect(await r.read(buf, 6)).toBe(5);
    expect(buf.toString()).toBe('world');
    // Past the end: what there is, then nothing.
    const tail = Buffer.alloc(8);
    expect(await r.read(tail, 8)).toBe(3);
    expect(tail.subarray(0, 3).toString()).toBe('rld');
    expect(await r.read(Buffer.alloc(4), 11)).toBe(0);
    await r.close();
    // Only the bytes asked for were requested.
    expect(proxy.forwarded.filter((f) => f.method === 'GET').map((f) => f.range)).toEqual(['bytes=6-10', 'bytes=8-15', 'bytes=11-14']);

    await storage.removeDir(s3.location('job-a'));
    await storage.removeDir(s3.location('job-a'));
    expect(await storage.list(s3.location('job-a'))).toEqual([]);
    await expect(storage.readAll(storagePath(chk, '_metadata'))).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringMatching(/S3 read s3:\/\/.*\/_metadata failed: NoSuchKey \(HTTP 404\)/) });
  });

  it('sends a big file as a multipart upload, in parts, and reads it back exactly', async () => {
    const path = s3.location('big/v-0.state');
    const size = 2 * PART_SIZE + 1234567;
    const data = Buffer.alloc(size);
    for (let i = 0; i + 4 <= size; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    proxy.forwarded.length = 0;
    const w = await storage.create(path);
    // Chunks of odd sizes, as key groups come.
    for (let off = 0; off < size;) {
      const n = Math.min(size - off, 777_777);
      await w.writev([data.subarray(off, off + Math.floor(n / 2)), data.subarray(off + Math.floor(n / 2), off + n)]);
      off += n;
    }
    await w.close();
    const parts = proxy.forwarded.filter((f) => f.method === 'PUT' && /partNumber=/.test(f.url));
    expect(parts.map((p) => Number(/partNumber=(\d+)/.exec(p.url)![1]))).toEqual([1, 2, 3]);
    expect(proxy.forwarded.some((f) => f.method === 'POST' && /uploads/.test(f.url))).toBe(true);
    expect(proxy.forwarded.some((f) => f.method === 'POST' && /uploadId=/.test(f.url))).toBe(true);
    expect(await storage.size(path)).toBe(size);
    expect((await storage.readAll(path)).equals(data)).toBe(true);
    const r = await storage.openRead(path);
    const slice = Buffer.alloc(100_000);
    expect(await r.read(slice, PART_SIZE - 50_000)).toBe(100_000);
    expect(slice.equals(data.subarray(PART_SIZE - 50_000, PART_SIZE + 50_000))).toBe(true);
    // A file given up drops its upload: no object appears. (s3rver answers AbortMultipartUpload with
    // 405, which the writer reports; its parts then wait for the store's clean-up, as on S3 with a
    // lifecycle rule. MinIO aborts.)
    const dropped = await storage.create(s3.location('big/dropped.state'));
    await dropped.writev([data.subarray(0, PART_SIZE + 10)]);
    await dropped.abort().catch((err: Error) => expect(err.message).toMatch(/S3 abort multipart upload of s3:\/\/.*dropped\.state failed/));
    await expect(storage.size(s3.location('big/dropped.state'))).rejects.toMatchObject({ code: 'ENOENT' });
    await storage.removeDir(s3.location('big'));
  });

  it('retries 503 SlowDown with back-off, and fails with the store\'s answer once the attempts are used up', async () => {
    const path = s3.location('slow/_metadata');
    proxy.refused.length = 0;
    proxy.failNext(3, (req) => req.method === 'PUT');
    await storage.writeAtomically(path, Buffer.from('m'));
    expect(proxy.refused).toHaveLength(3);
    // Backed off: the retries were spread out, not fired at once.
    expect(proxy.refused[2]!.at - proxy.refused[0]!.at).toBeGreaterThan(0);
    proxy.failNext(2, (req) => req.method === 'GET');
    expect((await storage.readAll(path)).toString()).toBe('m');
    expect(proxy.refused).toHaveLength(5);
    // Attempts used up (a 500, whose back-off is shorter than throttling's): the store's answer is the error.
    proxy.failNext(100, (req) => req.method === 'GET', { status: 500, code: 'InternalError' });
    const seen = proxy.seen;
    await expect(storage.readAll(path)).rejects.toThrow(/S3 read s3:\/\/.*slow\/_metadata failed: InternalError \(HTTP 500\)/);
    expect(proxy.seen - seen).toBe(MAX_ATTEMPTS);
    proxy.failNext(0);
    await storage.removeDir(s3.location('slow'));
  });

  it('aborts a request that passes the storage deadline', async () => {
    setStorageTimeout(300);
    proxy.hangNext(1_000);
    const t0 = Date.now();
    await expect(storage.readAll(s3.location('hung/_metadata'))).rejects.toThrow(StorageTimeoutError);
    expect(Date.now() - t0).toBeLessThan(5000);
    // The HTTP request was aborted, so nothing stays counted as a stuck call.
    await waitFor('the aborted call to end', () => (hungStorageCalls().length === 0 ? true : undefined), 3000);
  });

  it('keeps a rescale\'s moved key groups in an object of their own and restores from both; finds the newest complete checkpoint', async () => {
    const base = s3.location('job-b');
    const chk = storagePath(base, 'chk-7');
    // Storage calls from snapshot-io use this process's settings: the same store, directly.
    const { setS3Settings } = await import('../../runtime/checkpoint/s3-settings.js');
    setS3Settings(s3.settings);
    try {
      const w = new StateFileWriter(chk, 'v-0.state', 0, [{ start: 0, end: 3 }]);
      const blob = (kg: number) => { const bytes = serialize({ kg, data: 'x'.repeat(kg * 10) }); return { operatorId: 1, keyGroup: kg, chunks: [bytes], length: bytes.length }; };
      await w.append([blob(2), blob(3)]);
      // Readable before the rest is written (what a gainer relies on).
      const early = await readSubtaskStates(chk, [w.written() as never], 1, new Set([3]));
      expect(early.keyed.get(1)?.get(3)).toEqual({ kg: 3, data: 'x'.repeat(30) });
      await w.append([blob(0), blob(1)]);
      const state = await w.finish(serialize({}));
      expect((await s3.storage.list(chk)).sort()).toEqual(['v-0.state', 'v-0.state.1']);
      const all = await readSubtaskStates(chk, [{ ...state, operatorState: Buffer.alloc(0) } as never], 1, new Set([0, 1, 2, 3]));
      expect([...all.keyed.get(1)!.keys()].sort()).toEqual([0, 1, 2, 3]);
      expect(all.keyed.get(1)!.get(1)).toEqual({ kg: 1, data: 'x'.repeat(10) });

      expect(await latestCompletedCheckpoint(base)).toBeUndefined();
      await writeMetadata(chk, { formatVersion: 1, jobId: 'j', checkpointId: 7, timestamp: 1, isSavepoint: false, maxParallelism: 4, vertices: [] });
      await s3.storage.put({ bucket: s3.bucket, key: `${chk.slice(`s3://${s3.bucket}/`.length).replace('chk-7', 'chk-8')}/v-0.state` }, Buffer.from('incomplete'));
      expect(await latestCompletedCheckpoint(base)).toBe(chk);
    } finally {
      setS3Settings({ pathStyle: false });
      await s3.storage.removeDir(base);
    }
  });

  it('accepts s3:// state locations in a job\'s configuration, normalised, and refuses malformed ones', () => {
    const c = compileJobConfig({ 'state.checkpoints.dir': 's3://my-bucket/a/b/', 'state.savepoints.dir': 's3://my-bucket', ...s3.configuration });
    expect(c.checkpointDir).toBe('s3://my-bucket/a/b');
    expect(c.savepointDir).toBe('s3://my-bucket');
    expect(c.s3).toEqual({ endpoint: s3.endpoint, pathStyle: true, region: 'us-east-1', accessKey: s3.settings.accessKey, secretKey: s3.settings.secretKey });
    expect(() => compileJobConfig({ 'state.checkpoints.dir': 's3://my-bucket/a/../b' })).toThrow(/state.checkpoints.dir: .*'\.\.' segments/);
    expect(() => compileJobConfig({ 'state.checkpoints.dir': 's3://B/x' })).toThrow(/not a bucket name/);
    expect(() => compileJobConfig({ 's3.access-key': 'AK' })).toThrow(/s3.secret-key is required with s3.access-key/);
    expect(() => compileJobConfig({ 's3.endpoint': 'http://user:pw@host:9000' })).toThrow(/without user info/);
  });
});
