/**
 * Small limits of the REST API against a careless or hostile client: a query parameter given
 * twice answers 400 naming it (never 500), and a request body trickled below the minimum data
 * rate answers 408, its upload slot is free again and its temp file is gone.
 */
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';

let d: TestDispatcher;
const MODULE = 'export default function (env) { env.fromElements([1]).sinkTo(env.fileSink("/dev/null")); }';
const JOB = '0123456789abcdef0123456789abcdef';

beforeAll(async () => {
  // A small window so the test is quick: at least 300 bytes in every 300 ms.
  d = await startTestDispatcher({ maxConcurrentUploads: 1, minBodyRateBytesPerS: 1000, minBodyRateWindowMs: 300 });
});
afterAll(async () => { await d?.close(); });

/** Sends `head` on a raw socket, then one byte every 100 ms until the server answers; resolves with the answer. */
function trickle(head: string): Promise<{ answer: string; ms: number }> {
  const u = new URL(d.url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.write(head));
    const t = setInterval(() => { if (s.writable) s.write('x'); }, 100);
    let answer = '';
    s.on('data', (c) => { answer += c; });
    s.on('error', () => {}); // the server closes while we still write
    s.on('close', () => { clearInterval(t); resolve({ answer, ms: Date.now() - started }); });
    // The deadline: far below the 300 s request timeout the rate check replaces.
    setTimeout(() => { clearInterval(t); s.destroy(); reject(new Error(`no answer within 10 s (got ${JSON.stringify(answer)})`)); }, 10_000).unref();
  });
}

const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

describe('repeated query parameters', () => {
  it('answers 400 naming the parameter, never 500', async () => {
    const res = await fetch(`${d.url}/jobs/${JOB}?mode=CANCEL&mode=x`, { method: 'PATCH' });
    expect(res.status).toBe(400);
    expect((await json(res)).errors).toEqual(['the query parameter "mode" must be given once, got 2 values ["CANCEL","x"]']);
    const jar = (await json(await upload(d.url, 'ok.mjs', MODULE))).filename;
    const run = await fetch(`${d.url}/jars/${jar}/run?parallelism=2&parallelism=3`, { method: 'POST' });
    expect(run.status).toBe(400);
    expect((await json(run)).errors.join(' ')).toMatch(/the query parameter "parallelism" must be given once/);
  });
});

describe('minimum body data rate', () => {
  it('answers 408 to a trickled upload, frees its slot and removes its temp file', async () => {
    const u = new URL(d.url);
    const boundary = 'xBOUNDARYx';
    const { answer, ms } = await trickle(`POST /jars/upload HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000\r\n\r\n--${boundary}\r\nContent-Disposition: form-data; name="jarfile"; filename="slow.mjs"\r\n\r\nexport default`);
    expect(answer).toMatch(/^HTTP\/1.1 408 /);
    expect(bodyOf(answer).errors).toEqual([expect.stringMatching(/^request body arrived at \d+ bytes\/s, below the minimum of 1000 bytes\/s \(EBBFLOW_MIN_BODY_RATE_BYTES_PER_S\)$/)]);
    expect(ms).toBeLessThan(5000);
    // The only upload slot is free again at once, and the refused upload left nothing behind.
    const next = await upload(d.url, 'fast.mjs', MODULE);
    expect(next.status).toBe(200);
    await waitFor('the temp directory to be empty', () => (readdirSync(join(d.dataDir, 'jars', '.tmp')).length === 0 ? true : undefined), 5000, 50);
    expect((await json(await fetch(`${d.url}/jars`))).files.map((f: { name: string }) => f.name)).not.toContain('slow.mjs');
  });

  it('answers 408 to a trickled JSON body', async () => {
    const u = new URL(d.url);
    const { answer } = await trickle(`PATCH /jobs/${JOB}?mode=cancel HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":"`);
    expect(answer).toMatch(/^HTTP\/1.1 408 /);
    expect(bodyOf(answer).errors[0]).toMatch(/below the minimum of 1000 bytes\/s/);
  });

  it('lets a body at a good rate through', async () => {
    const res = await upload(d.url, 'big.mjs', `${MODULE}\n${'// padding\n'.repeat(50_000)}`);
    expect(res.status).toBe(200);
  });
});
