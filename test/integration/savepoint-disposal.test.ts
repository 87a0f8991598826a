/**
 * `flink savepoint -d <path>` against a real dispatcher: only a savepoint (a `_metadata` that
 * decodes as one) inside the allowed state directories is deleted; a retained checkpoint, a
 * corrupt metadata file, a symbolic link out of the allowed directories are refused with a cause
 * Flink's client can read, deleting nothing; and a hung mount fails the disposal after the
 * dispatcher's storage deadline (-D ebbflow.storage.timeout) instead of leaving it IN_PROGRESS.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMetadata } from '../../runtime/checkpoint/snapshot-io.js';
import { startTestDispatcher, type TestDispatcher } from '../helpers/dispatcher.js';
import { expectAsyncOperationInfo, FlinkRestClient } from '../helpers/flink-client.js';
import { HungStorage } from '../helpers/hung-storage.js';

let d: TestDispatcher;
let flink: FlinkRestClient;
let outside: string;
beforeAll(async () => {
  d = await startTestDispatcher({ defaultConfiguration: { 'ebbflow.storage.timeout': 1000 } });
  flink = new FlinkRestClient(d.url);
  outside = mkdtempSync(join(tmpdir(), 'ebbflow-outside-'));
});
afterAll(async () => { await d?.close(); rmSync(outside, { recursive: true, force: true }); });

async function snapshotDir(name: string, isSavepoint: boolean, base = d.dataDir): Promise<string> {
  const dir = join(base, 'savepoints', name);
  mkdirSync(dir, { recursive: true });
  await writeMetadata(dir, { formatVersion: 1, jobId: 'a'.repeat(32), checkpointId: 7, timestamp: Date.now(), isSavepoint, maxParallelism: 128, vertices: [], jobName: 'j' });
  writeFileSync(join(dir, 'v-0.state'), 'state');
  return dir;
}

async function dispose(path: string): ReturnType<typeof expectAsyncOperationInfo> {
  const t = await flink.trigger('/savepoint-disposal', { 'savepoint-path': path });
  return expectAsyncOperationInfo(await flink.poll(`/savepoint-disposal/${t}`, 10_000));
}

describe('savepoint disposal', () => {
  it('deletes a savepoint (also given as a file:// URL), and nothing that is not one', async () => {
    const sp = await snapshotDir('savepoint-a', true);
    expect(await dispose(sp)).toBeUndefined();
    expect(existsSync(sp)).toBe(false);
    const sp2 = await snapshotDir('savepoint-b', true);
    expect(await dispose(`file://${sp2}`)).toBeUndefined();
    expect(existsSync(sp2)).toBe(false);

    const chk = await snapshotDir('chk-7', false);
    expect((await dispose(chk))?.message).toMatch(/is checkpoint 7 of job a{32}, not a savepoint/);
    const corrupt = join(d.dataDir, 'savepoints', 'corrupt');
    mkdirSync(corrupt, { recursive: true });
    writeFileSync(join(corrupt, '_metadata'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect((await dispose(corrupt))?.message).toMatch(/does not look like a savepoint \(.*corrupt/);
    // A link inside the allowed directory to a savepoint outside it: resolved, refused.
    const away = await snapshotDir('away', true, outside);
    const link = join(d.dataDir, 'savepoints', 'link');
    symlinkSync(away, link);
    expect((await dispose(link))?.message).toMatch(/outside the allowed directories/);
    expect((await dispose(join(d.dataDir, 'savepoints', 'missing')))?.originalErrorClassName).toBe('FileNotFoundException');
    for (const kept of [chk, corrupt, away]) expect(existsSync(join(kept, '_metadata')), kept).toBe(true);
  });

  it('fails after the storage deadline on a hung mount, and the dispatcher keeps answering', async () => {
    const hung = new HungStorage(join(outside, 'fifos'));
    const dir = join(d.dataDir, 'savepoints', 'hung');
    mkdirSync(dir, { recursive: true });
    hung.hangAt(join(dir, '_metadata')); // reading it blocks, like a call on a dead NFS mount
    try {
      const started = Date.now();
      const cause = await dispose(dir);
      expect(cause?.message).toMatch(/did not answer within 1000 ms: dispose savepoint .*hung/);
      expect(cause?.originalErrorClassName).toBe('StorageTimeoutError');
      expect(Date.now() - started).toBeLessThan(8000);
      expect((await flink.request('GET', '/jobs/overview')).status).toBe(200);
      expect(existsSync(dir)).toBe(true);
    } finally {
      await hung.release();
    }
  });
});
