/**
 * A hostile or careless client against the REST API: foreign Host headers (DNS rebinding) and
 * cross-site state changes are refused, the web form's pages carry CSP/frame/nosniff headers, a body
 * trickled byte by byte is cut off, uploads beyond the concurrency limit get 503, malformed
 * multipart and non-object or non-JSON run bodies get 400/415, configuration values out of range
 * (timer overflow, objects, deep nesting) get 400 naming the key, a second file in one upload is
 * refused, and the bearer scheme is case-insensitive.
 */
import { connect } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, processesMatching, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';

let d: TestDispatcher;
let jar: string;
const MODULE = 'export default function (env) { env.fromElements([1]).sinkTo(env.fileSink("/dev/null")); }';

beforeAll(async () => {
  d = await startTestDispatcher({ requestTimeoutMs: 2000, maxConcurrentUploads: 1 });
  jar = (await json(await upload(d.url, 'ok.mjs', MODULE))).filename;
});
afterAll(async () => { await d?.close(); });

/** A raw HTTP/1.1 exchange, so Host and Origin can be anything. */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(d.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers, setHost: false }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const run = (body: string | undefined, type?: string) => raw('POST', `/jars/${jar}/run`, { Host: new URL(d.url).host, ...(type ? { 'Content-Type': type } : {}) }, body);

describe('request guard', () => {
  it('refuses a foreign Host (DNS rebinding) and cross-site state changes; lets the CLI and the web form through', async () => {
    const host = new URL(d.url).host;
    expect((await raw('GET', '/overview', { Host: 'attacker.example:8081' })).status).toBe(403);
    expect((await raw('GET', '/overview', { Host: host })).status).toBe(200);
    expect((await raw('GET', '/overview', { Host: `localhost:${new URL(d.url).port}` })).status).toBe(200);
    // A page on another origin posting to the dispatcher (a simple request: no preflight).
    const foreign = await raw('DELETE', `/jars/${jar}`, { Host: host, Origin: 'http://attacker.example' });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).errors[0]).toMatch(/Cross-origin request from http:\/\/attacker.example refused/);
    // A cross-site page whose browser sends Sec-Fetch-Site but no Origin (same-origin writes: request-origin.test.ts).
    expect((await raw('DELETE', `/jars/${jar}`, { Host: host, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    // GETs from any origin only read.
    expect((await raw('GET', '/jars', { Host: host, Origin: 'http://attacker.example' })).status).toBe(200);
    const page = await raw('GET', '/', { Host: host });
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(String(page.headers['content-security-policy'])).toMatch(/frame-ancestors 'none'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(await d.dispatcher.bundles.get(jar)).toBeTruthy();
  });
});

describe('slow and concurrent clients', () => {
  it('cuts off a body trickled one byte at a time', async () => {
    const u = new URL(d.url);
    const started = Date.now();
    const closed = await new Promise<number>((resolve) => {
      const s = connect(Number(u.port), u.hostname, () => {
        s.write(`POST /jars/${jar}/run HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
        const t = setInterval(() => s.write(' '), 500);
        s.on('close', () => { clearInterval(t); resolve(Date.now() - started); });
        s.on('error', () => {});
      });
    });
    expect(closed).toBeLessThan(8000);
  });

  it('answers 503 to an upload beyond the concurrency limit while another is in progress', async () => {
    const u = new URL(d.url);
    const boundary = 'xBOUNDARYx';
    const s = connect(Number(u.port), u.hostname);
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.on('error', () => {});
    // An upload that has started but not finished.
    s.write(`POST /jars/upload HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000\r\n\r\n--${boundary}\r\nContent-Disposition: form-data; name="jarfile"; filename="slow.mjs"\r\n\r\nexport default`);
    await new Promise((r) => setTimeout(r, 200)); // let the server take up the first upload
    const second = await upload(d.url, 'fast.mjs', MODULE);
    expect(second.status).toBe(503);
    expect((await json(second)).errors[0]).toMatch(/uploads are in progress/);
    // The client goes away: its slot frees.
    s.destroy();
    await waitFor('an upload to be taken again', async () => ((await upload(d.url, 'fast.mjs', MODULE)).status === 200 ? true : undefined), 5000);
  });
});

describe('bad request bodies', () => {
  it('answers malformed multipart with 400 and a second file with 400', async () => {
    const host = new URL(d.url).host;
    const noBoundary = await raw('POST', '/jars/upload', { Host: host, 'Content-Type': 'multipart/form-data' }, 'garbage');
    expect(noBoundary.status).toBe(400);
    const cut = await raw('POST', '/jars/upload', { Host: host, 'Content-Type': 'multipart/form-data; boundary=b' }, '--b\r\nContent-Disposition: form-data; name="jarfile"; filename="x.mjs"\r\n\r\nexport');
    expect(cut.status).toBe(400);
    expect(JSON.parse(cut.body)).toHaveProperty('errors');
    const form = new FormData();
    form.append('jarfile', new Blob([MODULE]), 'a.mjs');
    form.append('jarfile', new Blob([MODULE]), 'b.mjs');
    const before = (await json(await fetch(`${d.url}/jars`))).files.length;
    const two = await fetch(`${d.url}/jars/upload`, { method: 'POST', body: form });
    expect(two.status).toBe(400);
    expect((await json(two)).errors[0]).toMatch(/more than one file/);
    expect((await json(await fetch(`${d.url}/jars`))).files.length).toBe(before);
  });

  it('answers a run body that is not a JSON object with 400, and one that is not JSON with 415', async () => {
    expect((await run('[1,2]', 'application/json')).status).toBe(400);
    expect((await run('"x"', 'application/json')).status).toBe(400);
    expect((await run('parallelism=2', 'text/plain')).status).toBe(415);
  });

  it('refuses configuration values out of range, of the wrong type, or nested, naming the key', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ 'execution.checkpointing.interval': 3e9 }, /execution.checkpointing.interval must be at most 2147483647 ms/],
      [{ 'execution.checkpointing.interval': 1 }, /0 \(off\) or at least 10 ms/],
      [{ 'state.checkpoints.dir': { a: 1 } }, /state.checkpoints.dir must be a directory path/],
      [{ 'heartbeat.timeout': [1] }, /heartbeat.timeout must be a duration/],
      [{ 'restart-strategy.fixed-delay.attempts': 1e12 }, /restart-strategy.fixed-delay.attempts must be an integer from 0 to 1000000/],
    ];
    let deep: unknown = 1;
    for (let i = 0; i < 2000; i++) deep = { a: deep };
    cases.push([{ 'state.savepoints.dir': deep }, /state.savepoints.dir must be a directory path/]);
    for (const [conf, message] of cases) {
      const res = await run(JSON.stringify({ flinkConfiguration: conf }), 'application/json');
      expect(res.status, res.body.slice(0, 200)).toBe(400);
      expect(JSON.parse(res.body).errors.join(' ')).toMatch(message);
    }
  });
});

describe('errors from the HTTP layer', () => {
  it('answers oversized headers with 431 and garbage with 400, both as {"errors"}', async () => {
    const u = new URL(d.url);
    const exchange = (bytes: string) => new Promise<string>((resolve) => {
      const s = connect(Number(u.port), u.hostname, () => s.write(bytes));
      let text = '';
      s.on('data', (c) => { text += c; });
      s.on('close', () => resolve(text));
      s.on('error', () => {});
    });
    const big = await exchange(`GET /overview HTTP/1.1\r\nHost: ${u.host}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1.1 431/);
    expect(JSON.parse(big.split('\r\n\r\n')[1]!).errors[0]).toMatch(/headers are larger/);
    const garbage = await exchange('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1.1 400/);
    expect(JSON.parse(garbage.split('\r\n\r\n')[1]!)).toHaveProperty('errors');
  });
});

describe('bearer token', () => {
  it('accepts the scheme in any case', async () => {
    const t = await startTestDispatcher({ token: 's3cret' });
    try {
      expect((await fetch(`${t.url}/overview`, { headers: { Authorization: 'bearer s3cret' } })).status).toBe(200);
      expect((await fetch(`${t.url}/overview`, { headers: { Authorization: 'BEARER s3cret' } })).status).toBe(200);
      expect((await fetch(`${t.url}/overview`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${t.url}/overview`)).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});

describe('stuck jobs, limits and large arguments', () => {
  const LOOP = 'export default function () { for (;;) {} }';
  const WAIT = 'export default async function () { await new Promise(() => {}); }';

  it('fails a job whose planning never ends, kills its process, and never answers 200', async () => {
    const t = await startTestDispatcher({ planningTimeoutMs: 2000 });
    try {
      for (const src of [LOOP, WAIT]) {
        const jar = (await json(await upload(t.url, 'stuck.mjs', src))).filename;
        const res = await fetch(`${t.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        const body = await json(res);
        expect(res.status).toBe(400);
        expect(body.errors[0]).toMatch(/planning the job did not finish within 2000 ms/);
        const id = /Job ([0-9a-f]{32})/.exec(body.errors[0])![1]!;
        expect((await json(await fetch(`${t.url}/jobs/${id}`))).state).toBe('FAILED');
        await waitFor('the job process to be gone', async () => ((await processesMatching(`ebbflow-jobmaster ${id}`)).length === 0 ? true : undefined), 5000);
      }
    } finally {
      await t.close();
    }
  });

  it('cancels a job whose job function blocks its event loop: SIGTERM, then SIGKILL, and the job is CANCELED', async () => {
    const t = await startTestDispatcher({ planningTimeoutMs: 60_000, cancelGraceMs: 500 });
    try {
      const jar = (await json(await upload(t.url, 'loop.mjs', LOOP))).filename;
      const runRes = fetch(`${t.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobId: 'ab'.repeat(16) }) });
      const id = 'ab'.repeat(16);
      await waitFor('the job process to plan', async () => ((await processesMatching(`ebbflow-jobmaster ${id}`)).length === 1 ? true : undefined), 10_000);
      expect((await fetch(`${t.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
      await waitFor('CANCELED', async () => ((await json(await fetch(`${t.url}/jobs/${id}`))).state === 'CANCELED' ? true : undefined), 15_000);
      expect((await processesMatching(`ebbflow-jobmaster ${id}`))).toEqual([]);
      expect((await runRes).status).toBe(409);
    } finally {
      await t.close();
    }
  });

  it('refuses more TaskManagers than a job may have, at submission and at rescale', async () => {
    const t = await startTestDispatcher({ maxTaskManagersPerJob: 3 });
    try {
      const jar = (await json(await upload(t.url, 'ok.mjs', MODULE))).filename;
      const res = await fetch(`${t.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parallelism: 4 }) });
      expect(res.status).toBe(400);
      expect((await json(res)).errors[0]).toMatch(/parallelism 4 needs 4 TaskManagers .* at most 3 \(EBBFLOW_MAX_TASKMANAGERS_PER_JOB\)/);
    } finally {
      await t.close();
    }
  });

  it('refuses a run that would take the dispatcher past its TaskManager limit, until a job ends', async () => {
    const t = await startTestDispatcher({ redisUrl: d.redisUrl, maxTaskManagers: 2 });
    try {
      const stream = `ebbtest-limit-${Date.now()}`;
      const endless = (await json(await upload(t.url, 'endless.mjs', `export default function (env) {
        env.fromRedisStreams({ url: ${JSON.stringify(d.redisUrl)}, streams: [${JSON.stringify(stream)}, ${JSON.stringify(`${stream}:b`)}] }).sinkTo(env.fileSink('/dev/null'));
      }`))).filename;
      const run = (p: number) => fetch(`${t.url}/jars/${endless}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parallelism: p }) });
      const first = await run(2);
      expect(first.status).toBe(200);
      const id = (await json(first)).jobid;
      const second = await run(1);
      expect(second.status).toBe(400);
      expect((await json(second)).errors[0]).toMatch(/have 2 TaskManagers and this one needs 1; together at most 2 \(EBBFLOW_MAX_TASKMANAGERS\)/);
      expect((await fetch(`${t.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
      await waitFor('CANCELED', async () => ((await json(await fetch(`${t.url}/jobs/${id}`))).state === 'CANCELED' ? true : undefined));
      const third = await run(1);
      expect(third.status).toBe(200);
      await fetch(`${t.url}/jobs/${(await json(third)).jobid}?mode=cancel`, { method: 'PATCH' });
    } finally {
      await t.close();
    }
  });

  it('passes large program arguments through a file and refuses oversized ones with 400', async () => {
    const echo = (await json(await upload(d.url, 'args.mjs', 'export default function (env, args) { env.fromElements([args.join("").length]).sinkTo(env.fileSink(args[0])); }'))).filename;
    const out = `${d.dataDir}/args-${Date.now()}.jsonl`;
    const big = [out, 'x'.repeat(200_000)];
    const ok = await fetch(`${d.url}/jars/${echo}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ programArgsList: big }) });
    expect(ok.status, JSON.stringify(await ok.clone().json())).toBe(200);
    const tooBig = await fetch(`${d.url}/jars/${echo}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ programArgsList: [out, 'x'.repeat(300_000)] }) });
    expect(tooBig.status).toBe(400);
    expect((await json(tooBig)).errors[0]).toMatch(/program arguments take 300\d+ bytes; at most 262144/);
  });
});

describe('hostile archives', () => {
  /** gzip of `parts` (buffers, or a number of MB of zeros) at level 1. */
  async function gzipOf(parts: Array<Buffer | number>): Promise<Buffer> {
    const { createGzip } = await import('node:zlib');
    const gz = createGzip({ level: 1 });
    const chunks: Buffer[] = [];
    gz.on('data', (c: Buffer) => chunks.push(c));
    const finished = new Promise((r) => gz.on('end', r));
    const zeros = Buffer.alloc(1024 * 1024);
    for (const p of parts) {
      if (Buffer.isBuffer(p)) gz.write(p);
      else for (let i = 0; i < p; i++) if (!gz.write(zeros)) await new Promise((r) => gz.once('drain', r));
    }
    gz.end();
    await finished;
    return Buffer.concat(chunks);
  }

  /** A tar (uncompressed) of ebbflow.json + job.mjs, plus `extra` files of the given sizes in MB of zeros. */
  async function tarOf(dir: string, extra: Record<string, number> = {}): Promise<Buffer> {
    const tar = await import('tar');
    const { mkdirSync, writeFileSync, readFileSync, truncateSync } = await import('node:fs');
    const { join } = await import('node:path');
    mkdirSync(join(dir, 'b'), { recursive: true });
    writeFileSync(join(dir, 'b', 'ebbflow.json'), '{"entry":"job.mjs"}');
    writeFileSync(join(dir, 'b', 'job.mjs'), MODULE);
    for (const [name, mb] of Object.entries(extra)) { writeFileSync(join(dir, 'b', name), ''); truncateSync(join(dir, 'b', name), mb * 1024 * 1024); }
    await tar.c({ file: join(dir, 'plain.tar'), cwd: join(dir, 'b') }, ['ebbflow.json', 'job.mjs', ...Object.keys(extra)]);
    return readFileSync(join(dir, 'plain.tar'));
  }

  /** Uploads while probing GET /overview every 10 ms; the API must answer each within 100 ms. */
  async function uploadWhileProbing(t: TestDispatcher, name: string, body: Buffer): Promise<Response> {
    const uploading = upload(t.url, name, body);
    let settled = false;
    void uploading.finally(() => { settled = true; });
    const latencies: number[] = [];
    while (!settled) {
      const t0 = Date.now();
      expect((await fetch(`${t.url}/overview`)).status).toBe(200);
      latencies.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(Math.max(0, ...latencies)).toBeLessThan(100);
    return uploading;
  }

  it('reads a .tgz only up to its tar end marker (200 MB of zeros after it cost nothing) and refuses one whose entries expand too far, keeping the API responsive', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'ebbflow-bomb-'));
    const small = await startTestDispatcher({ maxUploadBytes: 4 * 1024 * 1024 });
    try {
      const trailing = await gzipOf([await tarOf(join(dir, 'a')), 200]);
      expect(trailing.length).toBeLessThan(2 * 1024 * 1024);
      const t0 = Date.now();
      const ok = await uploadWhileProbing(small, 'trailing.tgz', trailing);
      expect(ok.status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(5000);

      const inflated = await gzipOf([await tarOf(join(dir, 'b'), { 'zeros.bin': 64 })]);
      const bad = await uploadWhileProbing(small, 'inflated.tgz', inflated);
      expect(bad.status).toBe(400);
      expect((await json(bad)).errors[0]).toMatch(/expands to more than/);
      expect((await json(await fetch(`${small.url}/jars`))).files).toHaveLength(1);
    } finally {
      await small.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
