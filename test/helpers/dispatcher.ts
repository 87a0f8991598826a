/**
 * Starts a real dispatcher (REST on 127.0.0.1, a random port) for a test, with
 * its own data directory and Redis key prefix; `close` cancels its jobs, stops
 * it and deletes its keys and files.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { startDispatcher, type RunningDispatcher } from '../../api/index.js';
import type { DispatcherOptions } from '../../dispatcher/index.js';

export interface TestDispatcher extends RunningDispatcher {
  redisUrl: string;
  keyPrefix: string;
  dataDir: string;
  /** A plain Redis client for the test's own reads and writes. */
  redis: Redis;
  /**
   * More places whose TaskManager logs explain a failure (jobLogTails): e.g. a test Mesos master's
   * sandbox root, where each task's `stdout` is; a test sets it.
   */
  logRoots?: string[];
}

export async function startTestDispatcher(opts: DispatcherOptions = {}): Promise<TestDispatcher> {
  const redisUrl = opts.redisUrl ?? inject('redisUrl');
  const keyPrefix = `ebbtest-${randomBytes(4).toString('hex')}:`;
  const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-test-'));
  const running = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl, dataDir, keyPrefix, logLevel: 'silent', ...opts });
  const redis = new Redis(redisUrl);
  const close = running.close;
  return {
    ...running, redisUrl, keyPrefix, dataDir, redis,
    close: async () => {
      await close();
      await deleteKeys(redis, `${keyPrefix}*`);
      redis.disconnect();
      if (!process.env.EBBFLOW_TEST_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

/** A TCP port nothing listens on right now (127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Uploads a file to /jars/upload and returns the response. */
export async function upload(base: string, name: string, content: Buffer | string, field = 'jarfile'): Promise<Response> {
  const form = new FormData();
  form.append(field, new Blob([content]), name);
  return fetch(`${base}/jars/upload`, { method: 'POST', body: form });
}

export async function json<T = any>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** ps lines (pid and command) whose command line contains `needle`. */
export async function processesMatching(needle: string): Promise<Array<{ pid: number; args: string }>> {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter((l) => l.includes(needle) && !l.includes('ps -eo'))
    .map((l) => ({ pid: Number(l.split(/\s+/)[0]), args: l.replace(/^\d+\s+/, '') }));
}
