import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BundleRejectedError, BundleStore, SHARED_LEFTOVER_AGE_MS, type StoredBundle } from '../../dispatcher/bundle-store.js';
import { buildZip, type ZipEntrySpec } from '../helpers/zip-writer.js';

const ID_RE = /^[0-9a-f]{32}_[A-Za-z0-9._-]+$/;
const JOB = 'export default function job(env) { env.fromElements(1).print(); }\n';
const MANIFEST = JSON.stringify({ entry: 'lib/job.mjs' });

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'bundle-store-'));
  dir = join(root, 'jars');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function newStore(maxBytes = 1024 * 1024): Promise<BundleStore> {
  const store = new BundleStore({ dir, maxBytes });
  await store.init();
  return store;
}

/** Every path under `root`, relative, directories with a trailing slash. */
function tree(base = root): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const isDir = statSync(p).isDirectory();
      out.push(relative(base, p) + (isDir ? '/' : ''));
      if (isDir) walk(p);
    }
  };
  walk(base);
  return out;
}

/** After a rejected upload only the empty store directories may remain. */
function expectNothingLeft(): void {
  expect(tree()).toEqual(['jars/', 'jars/.tmp/']);
}

async function rejection(p: Promise<unknown>): Promise<BundleRejectedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BundleRejectedError);
  const r = err as BundleRejectedError;
  expect(r.code).toBe('EBBFLOW_BUNDLE_REJECTED');
  return r;
}

const body = (buf: Buffer | string): Readable => Readable.from([Buffer.from(buf)]);
const zip = (entries: ZipEntrySpec[]): Readable => body(buildZip(entries));

/** Builds a .tgz from the files (relative to a crafted source dir) and returns its bytes. */
async function tgz(files: Record<string, string>, paths?: string[], opts: { preservePaths?: boolean; cwd?: string } = {}): Promise<Buffer> {
  const src = join(root, 'src');
  mkdirSync(src, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(src, name, '..'), { recursive: true });
    writeFileSync(join(src, name), content);
  }
  const out = join(root, `archive-${Math.random().toString(16).slice(2)}.tgz`);
  await tar.c({ gzip: true, file: out, cwd: opts.cwd ?? src, portable: true, preservePaths: opts.preservePaths ?? false }, paths ?? Object.keys(files));
  const buf = readFileSync(out);
  await rm(src, { recursive: true, force: true });
  await rm(out);
  return buf;
}

describe('BundleStore: single-module bundles', () => {
  it('accepts an .mjs file, stores it under its id and lists it', async () => {
    const store = await newStore();
    const b = await store.save('fraud-detection.mjs', body(JOB));
    expect(b.id).toMatch(ID_RE);
    expect(b.id.endsWith('_fraud-detection.mjs')).toBe(true);
    expect(b).toMatchObject({ name: 'fraud-detection.mjs', size: Buffer.byteLength(JOB), kind: 'module', entry: undefined });
    expect(b.bundlePath).toBe(join(dir, b.id));
    expect(readFileSync(b.bundlePath, 'utf8')).toBe(JOB);
    expect(existsSync(join(dir, `${b.id}.json`))).toBe(true);
    expect(await store.list()).toEqual([b]);
    expect(await store.get(b.id)).toEqual(b);
    expect(readdirSync(join(dir, '.tmp'))).toEqual([]);
  });

  it('matches extensions case-insensitively, strips directories and sanitizes the name', async () => {
    const store = await newStore();
    const b = await store.save('C:\\Users\\me/my job (v2)!.MJS', body(JOB));
    expect(b.id).toMatch(ID_RE);
    expect(b.id.slice(33)).toBe('my_job__v2__.MJS');
    expect(b.name).toBe('my job (v2)!.MJS');
  });

  it('accepts async iterables in several chunks', async () => {
    const store = await newStore();
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('export default ');
      yield Buffer.from('() => {};\n');
    }
    const b = await store.save('job.js', chunks());
    expect(readFileSync(b.bundlePath, 'utf8')).toBe('export default () => {};\n');
  });

  it('rejects unknown extensions with 400 listing the accepted ones', async () => {
    const store = await newStore();
    const err = await rejection(store.save('job.py', body('print(1)')));
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('.js, .mjs, .zip, .jar, .tgz, .tar.gz');
    await rejection(store.save('job.gz', body('x')));
    await rejection(store.save('job.mjs.exe', body('x')));
    expectNothingLeft();
  });

  it('rejects an empty file with 400', async () => {
    const store = await newStore();
    const err = await rejection(store.save('job.mjs', body('')));
    expect(err.statusCode).toBe(400);
    expect(err.message).toMatch(/empty/);
    expectNothingLeft();
  });

  it('rejects a file over maxBytes with 413 and leaves nothing behind', async () => {
    const store = await newStore(1000);
    async function* big(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 10; i++) yield Buffer.alloc(300, 0x61);
    }
    const err = await rejection(store.save('big.mjs', big()));
    expect(err.statusCode).toBe(413);
    expectNothingLeft();
    // exactly maxBytes is fine
    const ok = await store.save('ok.mjs', body(Buffer.alloc(1000, 0x61)));
    expect(ok.size).toBe(1000);
  });
});

describe('BundleStore: zip archives', () => {
  const good: ZipEntrySpec[] = [
    { name: 'ebbflow.json', data: MANIFEST },
    { name: 'lib/' },
    { name: 'lib/job.mjs', data: JOB },
  ];

  it('accepts a zip with a manifest: bundlePath is the extracted .d dir holding the entry', async () => {
    const store = await newStore();
    const b = await store.save('pipeline.zip', zip(good));
    expect(b).toMatchObject({ kind: 'archive', entry: 'lib/job.mjs', name: 'pipeline.zip' });
    expect(b.bundlePath).toBe(join(dir, `${b.id}.d`));
    expect(statSync(b.bundlePath).isDirectory()).toBe(true);
    expect(readFileSync(join(b.bundlePath, b.entry!), 'utf8')).toBe(JOB);
    expect(existsSync(join(dir, b.id))).toBe(true); // the original archive
    expect(await store.get(b.id)).toEqual(b);
    expect(readdirSync(join(dir, '.tmp'))).toEqual([]);
  });

  it('accepts a .jar with package.json "main" (deflated entries)', async () => {
    const store = await newStore();
    const b = await store.save('app.JAR', zip([
      { name: 'package.json', data: JSON.stringify({ name: 'app', main: 'index.js' }), deflate: true },
      { name: 'index.js', data: JOB, deflate: true },
    ]));
    expect(b.entry).toBe('index.js');
    expect(readFileSync(join(b.bundlePath, 'index.js'), 'utf8')).toBe(JOB);
  });

  it('rejects a corrupt zip with 400 and leaves nothing behind', async () => {
    const store = await newStore();
    const err = await rejection(store.save('bad.zip', body('this is definitely not a zip archive')));
    expect(err.statusCode).toBe(400);
    expect(err.message).toMatch(/^not a valid zip archive: /);
    const truncated = buildZip(good).subarray(0, 60);
    await rejection(store.save('cut.jar', body(truncated)));
    expectNothingLeft();
  });

  it('rejects a "../" entry with 400, writing nothing outside and leaving nothing', async () => {
    const store = await newStore();
    const err = await rejection(store.save('evil.zip', zip([...good, { name: '../evil.js', data: 'pwned' }])));
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('../evil.js');
    await rejection(store.save('evil2.zip', zip([{ name: 'lib/../../../evil.js', data: 'pwned' }, ...good])));
    expectNothingLeft();
    expect(existsSync(join(root, 'evil.js'))).toBe(false);
  });

  it('rejects absolute and backslash entry names with 400', async () => {
    const store = await newStore();
    const abs = await rejection(store.save('abs.zip', zip([...good, { name: '/abs.js', data: 'x' }])));
    expect(abs.statusCode).toBe(400);
    expect(abs.message).toContain('/abs.js');
    const drive = await rejection(store.save('drive.zip', zip([...good, { name: 'C:/abs.js', data: 'x' }])));
    expect(drive.message).toContain('C:/abs.js');
    const bs = await rejection(store.save('bs.zip', zip([...good, { name: 'lib\\helper.js', data: 'x' }])));
    expect(bs.statusCode).toBe(400);
    expect(bs.message).toContain('lib\\helper.js');
    expectNothingLeft();
  });

  it('rejects a symlink entry with 400 naming it', async () => {
    const store = await newStore();
    const err = await rejection(store.save('link.zip', zip([...good, { name: 'passwd', data: '/etc/passwd', unixMode: 0o120777 }])));
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('"passwd"');
    expect(err.message).toMatch(/symbolic link/);
    expectNothingLeft();
  });

  it('rejects duplicate entries with 400 without echoing server paths', async () => {
    const store = await newStore();
    const err = await rejection(store.save('dup.zip', zip([...good, { name: 'lib/job.mjs', data: 'overwrite' }])));
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('"lib/job.mjs"');
    expect(err.message).not.toContain(root);
    expectNothingLeft();
  });

  it('rejects a zip without a manifest, or whose entry is missing, with 400', async () => {
    const store = await newStore();
    const none = await rejection(store.save('plain.zip', zip([{ name: 'job.mjs', data: JOB }])));
    expect(none.statusCode).toBe(400);
    expect(none.message).toContain('ebbflow.json');
    expect(none.message).toContain('package.json');
    const missing = await rejection(store.save('m.zip', zip([{ name: 'ebbflow.json', data: JSON.stringify({ entry: 'nope.mjs' }) }])));
    expect(missing.message).toMatch(/"nope.mjs".*does not exist/);
    const outside = await rejection(store.save('o.zip', zip([{ name: 'ebbflow.json', data: JSON.stringify({ entry: '../x.mjs' }) }])));
    expect(outside.message).toMatch(/outside/);
    const dirEntry = await rejection(store.save('d.zip', zip([{ name: 'ebbflow.json', data: JSON.stringify({ entry: 'lib' }) }, { name: 'lib/' }])));
    expect(dirEntry.message).toMatch(/not a file/);
    expectNothingLeft();
  });

  it('rejects zip bombs: too much uncompressed data or too many entries', async () => {
    const store = await newStore(10_000);
    const bomb = await rejection(store.save('bomb.zip', zip([...good, { name: 'zeros.bin', data: Buffer.alloc(50_000), deflate: true }])));
    expect(bomb.statusCode).toBe(400);
    expect(bomb.message).toMatch(/expands to more than 40000 bytes/);
    const big = await newStore(4 * 1024 * 1024);
    const many: ZipEntrySpec[] = Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}` }));
    const err = await rejection(big.save('many.zip', zip(many)));
    expect(err.message).toMatch(/10001 entries/);
    expectNothingLeft();
  });
});

describe('BundleStore: tar.gz archives', () => {
  it('accepts a .tgz and a .tar.gz with a manifest', async () => {
    const store = await newStore();
    const buf = await tgz({ 'ebbflow.json': MANIFEST, 'lib/job.mjs': JOB }, ['.']);
    const b = await store.save('pipeline.tgz', body(buf));
    expect(b).toMatchObject({ kind: 'archive', entry: 'lib/job.mjs', size: buf.length });
    expect(b.bundlePath).toBe(join(dir, `${b.id}.d`));
    expect(readFileSync(join(b.bundlePath, 'lib/job.mjs'), 'utf8')).toBe(JOB);
    const c = await store.save('pipeline.TAR.GZ', body(await tgz({ 'package.json': '{"main":"main.js"}', 'main.js': JOB })));
    expect(c.entry).toBe('main.js');
    expect(c.id.endsWith('_pipeline.TAR.GZ')).toBe(true);
  });

  it('rejects a .tgz with a ".." entry with 400 and writes nothing outside', async () => {
    const store = await newStore();
    mkdirSync(join(root, 'src'), { recursive: true });
    writeFileSync(join(root, 'evil.js'), 'pwned');
    const buf = await tgz({ 'ebbflow.json': MANIFEST, 'lib/job.mjs': JOB }, ['ebbflow.json', 'lib/job.mjs', '../evil.js'], { preservePaths: true });
    await rm(join(root, 'evil.js'));
    const err = await rejection(store.save('evil.tgz', body(buf)));
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('../evil.js');
    expectNothingLeft();
  });

  it('rejects absolute paths and symlinks in a .tgz with 400', async () => {
    const store = await newStore();
    const absFile = join(root, 'abs.js');
    writeFileSync(absFile, 'x');
    const abs = await tgz({ 'ebbflow.json': MANIFEST, 'lib/job.mjs': JOB }, ['ebbflow.json', 'lib/job.mjs', absFile], { preservePaths: true });
    await rm(absFile);
    const e1 = await rejection(store.save('abs.tgz', body(abs)));
    expect(e1.message).toContain(absFile);
    expect(e1.message).toMatch(/absolute/);

    const src = join(root, 'linksrc');
    mkdirSync(src);
    writeFileSync(join(src, 'ebbflow.json'), JSON.stringify({ entry: 'job.mjs' }));
    symlinkSync('/etc/passwd', join(src, 'job.mjs'));
    const out = join(root, 'link.tgz');
    await tar.c({ gzip: true, file: out, cwd: src }, ['ebbflow.json', 'job.mjs']);
    const linkBuf = readFileSync(out);
    await rm(src, { recursive: true });
    await rm(out);
    const e2 = await rejection(store.save('link.tgz', body(linkBuf)));
    expect(e2.statusCode).toBe(400);
    expect(e2.message).toMatch(/"job.mjs".*symbolic link/);
    expectNothingLeft();
  });

  it('rejects a corrupt .tgz and a .tgz without manifest with 400', async () => {
    const store = await newStore();
    const e1 = await rejection(store.save('bad.tgz', body('not gzip, not tar either, just some text')));
    expect(e1.statusCode).toBe(400);
    expect(e1.message).toMatch(/not a valid tar\.gz archive/);
    const good = await tgz({ 'ebbflow.json': MANIFEST, 'lib/job.mjs': JOB });
    await rejection(store.save('cut.tgz', body(good.subarray(0, good.length >> 1))));
    const e3 = await rejection(store.save('plain.tgz', body(await tgz({ 'job.mjs': JOB }))));
    expect(e3.message).toContain('ebbflow.json');
    expectNothingLeft();
  });
});

describe('BundleStore: get / delete / list / init', () => {
  it('returns undefined / false for unknown and malformed ids without throwing', async () => {
    const store = await newStore();
    const b = await store.save('job.mjs', body(JOB));
    const bad = ['../../etc/passwd', '', 'nope', `${b.id}/../x`, b.id.toUpperCase(), `${'0'.repeat(32)}_job.mjs`, `${b.id}.json`, `../jars/${b.id}`];
    for (const id of bad) {
      expect(await store.get(id)).toBeUndefined();
      expect(await store.delete(id)).toBe(false);
    }
    expect(await store.get(b.id)).toEqual(b); // untouched
  });

  it('deletes every file of a bundle', async () => {
    const store = await newStore();
    const m = await store.save('job.mjs', body(JOB));
    const a = await store.save('a.zip', zip([{ name: 'ebbflow.json', data: '{"entry":"j.mjs"}' }, { name: 'j.mjs', data: JOB }]));
    expect(await store.delete(a.id)).toBe(true);
    expect(await store.delete(a.id)).toBe(false);
    expect(await store.get(a.id)).toBeUndefined();
    expect((await store.list()).map((x: StoredBundle) => x.id)).toEqual([m.id]);
    expect(await store.delete(m.id)).toBe(true);
    expectNothingLeft();
  });

  it('lists newest first and only ids with a sidecar; init cleans leftovers', async () => {
    const store = await newStore();
    const first = await store.save('one.mjs', body(JOB));
    const second = await store.save('two.mjs', body(JOB));
    const third = await store.save('three.zip', zip([{ name: 'ebbflow.json', data: '{"entry":"j.mjs"}' }, { name: 'j.mjs', data: JOB }]));
    const orphan = `${'ab'.repeat(16)}_orphan.mjs`;
    writeFileSync(join(dir, orphan), JOB);
    mkdirSync(join(dir, `${'cd'.repeat(16)}_half.zip.d`));
    writeFileSync(join(dir, '.tmp', 'crashed-upload'), 'x');
    expect((await store.list()).map((b) => b.id)).toEqual([third.id, second.id, first.id]);
    expect(await store.get(orphan)).toBeUndefined();
    const reopened = new BundleStore({ dir, maxBytes: 1024 });
    await reopened.init();
    expect(readdirSync(join(dir, '.tmp'))).toEqual([]);
    expect(existsSync(join(dir, orphan))).toBe(false);
    expect(existsSync(join(dir, `${'cd'.repeat(16)}_half.zip.d`))).toBe(false);
    expect(await reopened.list()).toEqual(await store.list());
    expect(await reopened.get(third.id)).toEqual(third);
  });

  it('in a shared (HA) directory, init removes only leftovers untouched for hours (a younger one may be another dispatcher\'s upload)', async () => {
    const store = new BundleStore({ dir, maxBytes: 1024 * 1024, shared: true });
    await store.init();
    const kept = await store.save('kept.mjs', body(JOB));
    const oldOrphan = `${'ab'.repeat(16)}_old.mjs`;
    const newOrphan = `${'cd'.repeat(16)}_new.mjs`;
    writeFileSync(join(dir, oldOrphan), JOB);
    writeFileSync(join(dir, newOrphan), JOB);
    writeFileSync(join(dir, '.tmp', 'old-upload'), 'x');
    writeFileSync(join(dir, '.tmp', 'upload-in-progress'), 'x');
    const hoursAgo = new Date(Date.now() - SHARED_LEFTOVER_AGE_MS - 60_000);
    utimesSync(join(dir, oldOrphan), hoursAgo, hoursAgo);
    utimesSync(join(dir, '.tmp', 'old-upload'), hoursAgo, hoursAgo);
    await new BundleStore({ dir, maxBytes: 1024 * 1024, shared: true }).init();
    expect(readdirSync(join(dir, '.tmp'))).toEqual(['upload-in-progress']);
    expect(existsSync(join(dir, oldOrphan))).toBe(false);
    expect(existsSync(join(dir, newOrphan))).toBe(true);
    expect((await store.list()).map((b) => b.id)).toEqual([kept.id]);
  });
});
