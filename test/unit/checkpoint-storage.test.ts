/**
 * Checkpoint storage (runtime/checkpoint/checkpoint-storage.ts): paths and file:// URLs are the
 * filesystem, other schemes are refused with a clear message (at submission, naming the key), and
 * the filesystem implementation writes atomically, appends, reads at positions and removes trees.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileJobConfig } from '../../jobmaster/job-config.js';
import { localPath, storageFor } from '../../runtime/checkpoint/checkpoint-storage.js';

const dir = mkdtempSync(join(tmpdir(), 'ebbflow-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkpoint storage', () => {
  it('chooses the filesystem for paths and file:// URLs and refuses other schemes', () => {
    expect(storageFor('/tmp/x')).toBe(storageFor(`file://${dir}`));
    expect(localPath(`file://${dir}/a`)).toBe(`${dir}/a`);
    expect(() => storageFor('s3://bucket/ckpt')).toThrow(/no checkpoint storage for s3:\/\/ paths/);
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
