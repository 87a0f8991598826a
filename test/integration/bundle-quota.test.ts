/**
 * The bundle store's quota over HTTP: at most EBBFLOW_MAX_JARS bundles and EBBFLOW_MAX_JAR_BYTES_TOTAL
 * uploaded bytes (uploads in progress included); an upload past either gets 507 and leaves nothing
 * behind; deleting a bundle makes room again.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json, startTestDispatcher, upload, type TestDispatcher } from '../helpers/dispatcher.js';
import { expectSpecResponse } from '../helpers/openapi.js';

let d: TestDispatcher | undefined;
afterEach(async () => { await d?.close(); d = undefined; });

/** A module bundle of exactly `bytes` bytes. */
const bundleOf = (bytes: number) => {
  const head = 'export default () => {};\n//';
  return head + 'x'.repeat(bytes - head.length);
};

const stored = () => readdirSync(join(d!.dataDir, 'jars')).filter((n) => n !== '.tmp');

describe('bundle quota', () => {
  it('refuses the upload past EBBFLOW_MAX_JARS with 507 until a bundle is deleted', async () => {
    d = await startTestDispatcher({ maxJars: 2 });
    const ids: string[] = [];
    for (const n of [1, 2]) {
      const res = await upload(d.url, `b${n}.mjs`, bundleOf(100));
      expect(res.status).toBe(200);
      ids.push((await json(res)).filename);
    }
    const before = stored();
    const full = await upload(d.url, 'b3.mjs', bundleOf(100));
    const body = await json(full);
    expect(full.status).toBe(507);
    await expectSpecResponse('post', '/jars/upload', 507, body);
    expect(body.errors[0]).toBe('the bundle store is full: 2 bundles stored, at most 2 (EBBFLOW_MAX_JARS); delete bundles that are no longer needed (DELETE /jars/:jarid)');
    expect(stored()).toEqual(before);
    expect(readdirSync(join(d.dataDir, 'jars', '.tmp'))).toEqual([]);
    expect((await fetch(`${d.url}/jars/${ids[0]}`, { method: 'DELETE' })).status).toBe(200);
    expect((await upload(d.url, 'b3.mjs', bundleOf(100))).status).toBe(200);
  });

  it('refuses the upload that would pass EBBFLOW_MAX_JAR_BYTES_TOTAL with 507, counting concurrent uploads', async () => {
    d = await startTestDispatcher({ maxJarBytesTotal: 1000 });
    expect((await upload(d.url, 'a.mjs', bundleOf(400))).status).toBe(200);
    const over = await upload(d.url, 'b.mjs', bundleOf(601));
    expect(over.status).toBe(507);
    expect((await json(over)).errors[0]).toMatch(/^the bundle store is full: this upload would bring the stored bundles to more than 1000 bytes \(EBBFLOW_MAX_JAR_BYTES_TOTAL; 400 stored\)/);
    expect((await upload(d.url, 'c.mjs', bundleOf(600))).status).toBe(200); // exactly at the quota
    const list = (await json(await fetch(`${d.url}/jars`))).files as Array<{ id: string }>;
    await Promise.all(list.map((f) => fetch(`${d!.url}/jars/${f.id}`, { method: 'DELETE' })));
    // Two uploads at once that fit one at a time but not together: exactly one is stored.
    const both = await Promise.all([upload(d.url, 'x.mjs', bundleOf(600)), upload(d.url, 'y.mjs', bundleOf(600))]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 507]);
    expect(stored().filter((n) => n.endsWith('.json'))).toHaveLength(1);
    expect(readdirSync(join(d.dataDir, 'jars', '.tmp'))).toEqual([]);
  });
});
