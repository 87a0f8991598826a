/**
 * Fuzzing every route of openapi.yaml (bounded: a fixed number of cases per operation, seeded, and a
 * time budget): random and boundary values for every path parameter, query parameter and body
 * (JSON of every type, deep nesting, huge strings, unicode, traversal strings, numbers at the edges).
 * No answer may be a 5xx, every error answer is `{"errors":[...]}`, the dispatcher keeps answering,
 * and rejected requests leave no file in the data directory and no Redis key behind.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../examples/fraud-detection/generator.js';
import { json, startTestDispatcher, type TestDispatcher } from '../helpers/dispatcher.js';
import { spec } from '../helpers/openapi.js';

let d: TestDispatcher;
beforeAll(async () => { d = await startTestDispatcher(); });
afterAll(async () => { await d?.close(); });

const rand = mulberry32(20261126);
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;

const STRINGS = [
  '', ' ', '0', '-1', '1e309', 'NaN', 'null', 'true', '..', '../../etc/passwd', '%2e%2e%2f', '/', '\\', 'a'.repeat(5000),
  '0'.repeat(32), 'f'.repeat(32), 'F'.repeat(32), 'ab'.repeat(16) + 'x', '☃😀', '\u0000', '<script>alert(1)</script>', "' OR 1=1 --", '${jndi:x}',
  '9'.repeat(30), '2147483648', '-2147483649', '0x10', '1.5', ' 3 ',
];
const NUMBERS = [0, -1, 1, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, 0.5, 32768, 32769];

function randomJson(depth = 0): unknown {
  switch (Math.floor(rand() * (depth > 3 ? 4 : 7))) {
    case 0: return pick(STRINGS);
    case 1: return pick(NUMBERS);
    case 2: return pick([true, false, null]);
    case 3: return pick([[], {}, '']);
    case 4: return Array.from({ length: Math.floor(rand() * 4) }, () => randomJson(depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const keys = ['parallelism', 'programArgsList', 'programArgs', 'entryClass', 'jobId', 'savepointPath', 'flinkConfiguration', 'target-directory', 'cancel-job',
        'triggerId', 'drain', 'execution.checkpointing.interval', 'state.checkpoints.dir', 'mesos.master', 'pipeline.max-parallelism', 'x', '__proto__', 'constructor'];
      for (let i = 0; i < 1 + Math.floor(rand() * 4); i++) o[pick(keys)] = randomJson(depth + 1);
      return o;
    }
  }
}

function deep(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = rand() < 0.5 ? { a: v } : [v];
  return v;
}

function body(): { text: string | undefined; type: string | undefined } {
  const r = rand();
  if (r < 0.1) return { text: undefined, type: undefined };
  if (r < 0.15) return { text: JSON.stringify(deep(3000)), type: 'application/json' };
  if (r < 0.2) return { text: '{"a":', type: 'application/json' };
  if (r < 0.25) return { text: pick(STRINGS), type: pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) };
  if (r < 0.3) return { text: `--b\r\nContent-Disposition: form-data; name="jarfile"; filename="${pick(STRINGS)}"\r\n\r\n${pick(STRINGS)}\r\n--b--\r\n`, type: 'multipart/form-data; boundary=b' };
  return { text: JSON.stringify(randomJson()), type: 'application/json' };
}

async function redisKeys(): Promise<string[]> {
  return (await d.redis.keys(`${d.keyPrefix}*`)).sort();
}

function dataFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: import('node:fs').Dirent[];
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p); else out.push(p);
    }
  };
  walk(d.dataDir);
  return out.sort();
}

describe('fuzzing the REST API', () => {
  it('answers every random and boundary request without a 5xx, with {"errors"} on errors, leaving nothing behind', async () => {
    const keysBefore = await redisKeys();
    const filesBefore = dataFiles();
    const deadline = Date.now() + 60_000;
    const failures: string[] = [];
    let sent = 0;
    const operations = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => [m, path] as const));
    expect(operations.length).toBeGreaterThan(15);
    for (const [method, template] of operations) {
      const params = (spec.paths[template] as any)[method].parameters as Array<{ name: string; in: string }> | undefined;
      for (let i = 0; i < 40 && Date.now() < deadline; i++) {
        const path = template.replace(/\{[^}]+\}/g, () => encodeURIComponent(pick(STRINGS)));
        const q = new URLSearchParams();
        for (const p of params ?? []) if (p.in === 'query' && rand() < 0.7) q.set(p.name, String(rand() < 0.5 ? pick(STRINGS) : pick(NUMBERS)));
        if (rand() < 0.2) q.set(pick(['parallelism', 'mode', 'programArg', 'savepointPath', 'x']), pick(STRINGS));
        const b = method === 'get' || method === 'delete' ? { text: undefined, type: undefined } : body();
        const url = `${d.url}${path}${q.size ? `?${q}` : ''}`;
        const what = `${method.toUpperCase()} ${path.slice(0, 120)}${q.size ? `?${q.toString().slice(0, 120)}` : ''} ${b.type ?? ''} ${b.text?.slice(0, 80) ?? ''}`;
        sent++;
        let res: Response;
        try {
          res = await fetch(url, { method: method.toUpperCase(), headers: b.type ? { 'content-type': b.type } : {}, body: b.text, signal: AbortSignal.timeout(10_000) });
        } catch (err) {
          failures.push(`${what}: no answer (${(err as Error).message})`);
          continue;
        }
        const text = await res.text();
        if (res.status >= 500) failures.push(`${what}: ${res.status} ${text.slice(0, 200)}`);
        else if (res.status >= 400) {
          let ok = false;
          try { const j = JSON.parse(text); ok = Array.isArray(j.errors) && j.errors.every((e: unknown) => typeof e === 'string'); } catch { /* not JSON */ }
          if (!ok) failures.push(`${what}: ${res.status} without {"errors"}: ${text.slice(0, 200)}`);
          if (/\/work\/|\/tmp\/|node_modules|at .*\.js:\d+/.test(text)) failures.push(`${what}: ${res.status} leaks a server path or stack: ${text.slice(0, 200)}`);
        }
      }
    }
    expect(failures, failures.slice(0, 20).join('\n')).toEqual([]);
    expect(sent).toBeGreaterThan(300);
    expect((await fetch(`${d.url}/overview`)).status).toBe(200);
    expect(await redisKeys()).toEqual(keysBefore);
    expect(dataFiles()).toEqual(filesBefore);
    expect((await json(await fetch(`${d.url}/jobs`))).jobs).toEqual([]);
  });
});
