/**
 * A redis-server of the test's own on a free port, which the test can stop and start again. With an
 * append-only file (fsync always) its data survives a stop, as a real Redis restart keeps it.
 * `close` stops it (if running) and removes its directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitFor } from './dispatcher.js';

export interface PrivateRedis {
  port: number;
  url: string;
  /** Whether the server runs now. */
  readonly running: boolean;
  /** Starts the server (again) and resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops the server (SIGTERM: it writes its AOF; SIGKILL: a crash, which fsync always survives) and resolves once it exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  close(): Promise<void>;
}

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ebbflow-private-redis-'));
  let server: ChildProcess | undefined;
  const r: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() { return server !== undefined; },
    async start() {
      if (server) return;
      const s = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
      server = s;
      const spawnFailure = new Promise<never>((_, reject) => s.once('error', (err) => reject(new Error(`could not start redis-server: ${err.message}`))));
      await Promise.race([spawnFailure, waitFor('the private redis-server to answer', async () => {
        const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on('error', () => {});
        try { await c.connect(); return (await c.ping()) === 'PONG' ? true : undefined; } finally { c.disconnect(); }
      }, 10_000, 50)]);
    },
    async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') {
      const s = server;
      if (!s) return;
      if (s.exitCode === null && s.signalCode === null) {
        const exited = new Promise((resolve) => s.once('exit', resolve));
        s.kill(signal);
        await exited;
      }
      server = undefined;
    },
    async close() {
      await r.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await r.start();
  return r;
}
