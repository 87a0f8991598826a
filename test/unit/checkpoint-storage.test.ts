/**
 * Checkpoint storage (runtime/checkpoint/checkpoint-storage.ts): paths and file:// URLs are the
 * filesystem, s3:// URLs S3 (test/integration/s3-storage.test.ts runs it against a real server),
 * other schemes are refused with a clear message (at submission, naming the key), and
 * the filesystem implementation writes atomically, appends, reads at positions and removes trees.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileJobConfig } from '../../jobmaster/job-config.js';
import { localPath, storageFor, storagePath } from '../../runtime/checkpoint/checkpoint-storage.js';
import { isUnderS3, normalizeS3Path } from '../../runtime/checkpoint/s3-location.js';

const dir = mkdtempSync(join(tmpdir(), 'ebbflow-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkpoint storage', () => {
  it('chooses the filesystem for paths and file:// URLs, S3 for s3:// URLs, and refuses other schemes', () => {
    expect(storageFor('/tmp/x')).toBe(storageFor(`file://${dir}`));
    expect(storageFor('/tmp/x').appendVisible).toBe(true);
    expect(localPath(`file://${dir}/a`)).toBe(`${dir}/a`);
    const s3 = storageFor('s3://my-bucket/ckpt');
    expect(s3.appendVisible).toBe(false);
    expect(storageFor('s3://my-bucket/other')).toBe(s3);
    expect(storageFor('s3://my-bucket/ckpt', { pathStyle: true, endpoint: 'http://127.0.0.1:9' })).not.toBe(s3);
    expect(() => storageFor('s3://x/ckpt')).toThrow(/not a bucket name/);
    expect(() => storageFor('gs://bucket/ckpt')).toThrow(/no checkpoint storage for gs:\/\/ paths/);
    // Paths inside a checkpoint: node:path for files, '/' for s3:// (node:path would fold the '//').
    expect(storagePath('s3://my-bucket/a/', 'chk-1', '_metadata')).toBe('s3://my-bucket/a/chk-1/_metadata');
    expect(storagePath('/data/a', 'chk-1')).toBe('/data/a/chk-1');
    expect(storagePath(`file://${dir}`, 'chk-1')).toBe(`${dir}/chk-1`);
    expect(normalizeS3Path('S3://my-bucket/a//')).toBe('s3://my-bucket/a');
    expect(() => normalizeS3Path('s3://my-bucket/a//b')).toThrow(/empty, '\.' or '\.\.' segments/);
    expect(isUnderS3('s3://my-bucket/a/b', 's3://my-bucket/a')).toBe(true);
    expect(isUnderS3('s3://my-bucket/ab', 's3://my-bucket/a')).toBe(false);
    expect(compileJobConfig({ 'state.checkpoints.dir': `file://${dir}/c` }).checkpointDir).toBe(`${dir}/c`);
    expect(() => compileJobConfig({ 'state.savepoints.dir': 'hdfs://nn/x' })).toThrow(/state.savepoints.dir: no checkpoint storage for hdfs/);
    expect(() => compileJobConfig({ 'state.checkpoints.dir': { a: 1 } })).toThrow(/state.checkpoints.dir must be a directory path/);
  });

  it('writes, appends, reads at positions, and removes', async () => {
    const s = storageFor(dir);
    const chk = join(dir, 'job', 'chk-1');
    const w = await s.create(join(chk, 'v-0.state'));
    await w.writev([Buffer.from('hello '), Buffer.from('world')]);
    await w.close();
    await s.writeAtomically(join(chk, '_metadata'), Buffer.from('meta'));
    expect(readdirSync(chk).sort()).toEqual(['_metadata', 'v-0.state']);
    const r = await s.openRead(join(chk, 'v-0.state'));
    const buf = Buffer.alloc(5);
    expect(await r.read(buf, 6)).toBe(5);
    await r.close();
    expect(buf.toString()).toBe('world');
    expect((await s.readAll(join(chk, '_metadata'))).toString()).toBe('meta');
    await s.removeDir(join(dir, 'job'));
    await s.removeDir(join(dir, 'job'));
    expect(existsSync(join(dir, 'job'))).toBe(false);
  });
});
