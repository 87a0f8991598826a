/**
 * The bundle store with HA storage on S3 (dispatcher/bundle-store.ts with bundle-remote.ts) against a
 * real S3-protocol server in its own process (test/helpers/s3-server.ts): two stores with their own
 * local caches share one `s3://…/jars` the way two dispatchers with different data directories do.
 * An upload at one is listed, fetched (an archive extracted and checked again) and deleted at the
 * other; the quota counts what is on S3; a bundle whose sidecar never arrived does not exist; a
 * write-through that fails leaves nothing listed and nothing in the cache; a cached bundle starts a
 * job process while S3 is unreachable.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RemoteBundles } from '../../dispatcher/bundle-remote.js';
import { BundleRejectedError, BundleStore, type StoredBundle } from '../../dispatcher/bundle-store.js';
import { S3Storage } from '../../runtime/checkpoint/s3-storage.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { buildZip } from '../helpers/zip-writer.js';

const JOB = 'export default function job(env) { env.fromElements(1).print(); }\n';
const body = (buf: Buffer | string): Readable => Readable.from([Buffer.from(buf)]);
const archive = (): Readable => body(buildZip([{ name: 'ebbflow.json', data: '{"entry":"lib/j.mjs"}' }, { name: 'lib/j.mjs', data: JOB }]));

let s3: TestS3;
let root: string;
let n = 0;
let jars: string;

beforeAll(async () => { s3 = await startTestS3(); });
afterAll(async () => { await s3?.close(); });
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'bundle-store-s3-'));
  jars = s3.location(`jars-${n++}`); // every test its own prefix
});
afterEach(async () => { await rm(root, { recursive: true, force: true }); });

/** A store as one dispatcher has it: its own cache directory, the shared S3 prefix. */
async function store(name: string, opts: { maxCount?: number; maxTotalBytes?: number } = {}): Promise<BundleStore> {
  const s = new BundleStore({ dir: join(root, name, 'jars'), maxBytes: 1024 * 1024, ...opts, remote: new RemoteBundles(new S3Storage(s3.settings), jars) });
  await s.init();
  return s;
}

/** What every dispatcher agrees on (bundlePath is each one's own cache). */
const shared = (b: StoredBundle) => ({ id: b.id, name: b.name, uploaded: b.uploaded, size: b.size, kind: b.kind, entry: b.entry, location: b.location });

async function rejection(p: Promise<unknown>): Promise<BundleRejectedError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(BundleRejectedError);
  return err as BundleRejectedError;
}

describe('bundle store with HA storage on S3', () => {
  it('an upload at one dispatcher is listed, fetched and run from at another with a data directory that never saw it', async () => {
    const a = await store('a');
    const b = await store('b');
    const m = await a.save('job.mjs', body(JOB));
    const z = await a.save('bundle.zip', archive());
    expect(m.location).toBe(`${jars}/${m.id}`);
    // On S3: each file and its sidecar.
    expect((await s3.storage.list(jars)).sort()).toEqual([m.id, `${m.id}.json`, z.id, `${z.id}.json`].sort());
    // The other dispatcher lists both, newest first, from S3 alone.
    expect(readdirSync(join(root, 'b', 'jars'))).toEqual(['.tmp']);
    expect((await b.list()).map(shared)).toEqual([z, m].map(shared));
    expect(existsSync((await b.get(z.id))!.bundlePath)).toBe(false);
    // A job start there brings the bundle into its cache: the module as uploaded, the archive extracted.
    const mb = await b.materialiseLocation(m.location!);
    expect(mb.bundlePath).toBe(join(root, 'b', 'jars', m.id));
    expect(readFileSync(mb.bundlePath, 'utf8')).toBe(JOB);
    const zb = await b.materialiseLocation(z.location!);
    expect(zb.bundlePath).toBe(join(root, 'b', 'jars', `${z.id}.d`));
    expect(readFileSync(join(zb.bundlePath, 'lib', 'j.mjs'), 'utf8')).toBe(JOB);
    expect(readFileSync(join(root, 'b', 'jars', z.id))).toEqual(readFileSync(join(root, 'a', 'jars', z.id)));
    // Concurrent starts share one download; a second materialise finds the cache complete.
    await Promise.all([b.materialise(zb), b.materialise(zb)]);
    expect(readdirSync(join(root, 'b', 'jars', '.tmp'))).toEqual([]);
    // Locations of another prefix and ids that are not bundles are refused.
    await expect(b.materialiseLocation(`${s3.location('elsewhere')}/${m.id}`)).rejects.toThrow(/is not a bundle of this cluster's HA storage/);
    await expect(b.materialiseLocation(`${jars}/x/../${m.id}`)).rejects.toThrow(/is not a bundle/);
  });

  it('a delete at one dispatcher removes the bundle for all, from S3 and the deleting one\'s cache', async () => {
    const a = await store('a');
    const b = await store('b');
    const m = await a.save('job.mjs', body(JOB));
    const z = await a.save('bundle.zip', archive());
    await b.materialiseLocation(z.location!);
    expect(await b.delete(z.id)).toBe(true);
    expect(await b.delete(z.id)).toBe(false);
    expect(await a.get(z.id)).toBeUndefined();
    expect((await a.list()).map((x) => x.id)).toEqual([m.id]);
    expect((await s3.storage.list(jars)).sort()).toEqual([m.id, `${m.id}.json`].sort());
    expect(readdirSync(join(root, 'b', 'jars'))).toEqual(['.tmp']);
    await expect(b.materialiseLocation(z.location!)).rejects.toThrow(/is not in the HA storage \(deleted\?\)/);
    expect(await a.delete(`${'0'.repeat(32)}_nope.mjs`)).toBe(false);
    expect(await a.delete('../../x')).toBe(false);
  });

  it('the quota counts the bundles on S3, whichever dispatcher uploaded them', async () => {
    const a = await store('a');
    await a.save('one.mjs', body(JOB));
    await a.save('two.mjs', body(JOB));
    const b = await store('b', { maxCount: 2 });
    const full = await rejection(b.save('three.mjs', body(JOB)));
    expect(full.statusCode).toBe(507);
    expect(full.message).toMatch(/2 bundles stored, at most 2/);
    const bytes = await store('c', { maxTotalBytes: 2 * Buffer.byteLength(JOB) + 10 });
    expect((await rejection(bytes.save('four.mjs', body(JOB)))).statusCode).toBe(507);
    expect((await a.list()).length).toBe(2);
  });

  it('appears whole: a file without its sidecar is no bundle; a failed write-through leaves nothing', async () => {
    const a = await store('a');
    // A dispatcher that died between the file and the sidecar.
    const id = `${'ab'.repeat(16)}_half.mjs`;
    await s3.storage.writeAtomically(`${jars}/${id}`, Buffer.from(JOB));
    expect(await a.list()).toEqual([]);
    expect(await a.get(id)).toBeUndefined();
    await expect(a.materialiseLocation(`${jars}/${id}`)).rejects.toThrow(/not in the HA storage/);
    // S3 gone during the upload: the upload fails with S3's error, nothing is listed, the cache is empty.
    await s3.stop();
    try {
      const err = await a.save('job.mjs', body(JOB)).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/S3 .* failed/);
    } finally {
      await s3.start();
    }
    expect(await a.list()).toEqual([]);
    expect(readdirSync(join(root, 'a', 'jars')).sort()).toEqual(['.tmp']);
    expect(readdirSync(join(root, 'a', 'jars', '.tmp'))).toEqual([]);
    // And a later upload works.
    const ok = await a.save('job.mjs', body(JOB));
    expect((await a.list()).map((x) => x.id)).toEqual([ok.id]);
  });

  it('a bundle in the cache starts a job process while S3 is unreachable; one that is not fails with S3\'s error', async () => {
    const a = await store('a');
    const b = await store('b');
    const cachedAtA = await a.save('job.mjs', body(JOB));
    const elsewhere = await b.save('other.mjs', body(JOB));
    await s3.stop();
    try {
      expect((await a.materialiseLocation(cachedAtA.location!)).bundlePath).toBe(join(root, 'a', 'jars', cachedAtA.id));
      await expect(a.materialiseLocation(elsewhere.location!)).rejects.toThrow(/S3 read .* failed/);
    } finally {
      await s3.start();
    }
    expect(readdirSync(join(root, 'a', 'jars', '.tmp'))).toEqual([]);
    expect(readFileSync((await a.materialiseLocation(elsewhere.location!)).bundlePath, 'utf8')).toBe(JOB);
  });
});
