/**
 * An S3 server for tests, as its own OS process on 127.0.0.1 (test/helpers/s3-server-main.mjs):
 * s3rver (from npm devDependencies) on a free port with a temp directory and a key pair of its own, or — when
 * EBBFLOW_TEST_S3_URL names one, e.g. `http://minioadmin:minioadmin@127.0.0.1:9000/ebbflow-test` —
 * that server (MinIO, Ceph RGW) behind a TCP forwarder process of ours. Either way `stop()` kills
 * the process by pid and `start()` brings it back on the same port (and, for s3rver, the same
 * directory), which is how the outage tests take S3 away. Each helper works under its own random
 * key prefix; `close()` kills what it started (by pid) and deletes what it wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { S3Storage } from '../../runtime/checkpoint/s3-storage.js';
import type { S3Settings } from '../../runtime/checkpoint/s3-settings.js';

const MAIN = fileURLToPath(new URL('./s3-server-main.mjs', import.meta.url));

export interface TestS3 {
  /** What the job reaches: `http://127.0.0.1:<port>`. */
  endpoint: string;
  bucket: string;
  /** `s3://<bucket>/<this helper's prefix>`. */
  root: string;
  settings: S3Settings;
  /** The `s3.*` configuration keys (for `-D` or a job's flinkConfiguration). */
  configuration: Record<string, string | boolean>;
  /** `s3://<bucket>/<prefix>/<name>`. */
  location(name: string): string;
  /** A storage client of its own (no deadline), for a test's own checks. */
  storage: S3Storage;
  /** pid of the server (or forwarder) process while it runs. */
  pid(): number | undefined;
  /** Kills the process (SIGKILL: as a crash) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port (and directory). */
  start(): Promise<void>;
  close(): Promise<void>;
}

type Upstream = { kind: 's3rver'; dir: string; bucket: string } | { kind: 'forward'; hostPort: string };

function parseGiven(url: string): { hostPort: string; bucket: string; accessKey: string; secretKey: string; protocol: string } {
  const u = new URL(url);
  const bucket = u.pathname.replace(/^\/+|\/+$/g, '') || 'ebbflow-test';
  if (!u.username || !u.password) throw new Error('EBBFLOW_TEST_S3_URL must carry the access and secret key: http://ACCESS:SECRET@host:port/bucket');
  return { hostPort: u.host, bucket, accessKey: decodeURIComponent(u.username), secretKey: decodeURIComponent(u.password), protocol: u.protocol };
}

async function launch(upstream: Upstream, port: number, keys: { accessKey: string; secretKey: string }): Promise<{ child: ChildProcess; port: number }> {
  const args = upstream.kind === 's3rver'
    ? ['--dir', upstream.dir, '--bucket', upstream.bucket]
    : ['--forward', upstream.hostPort];
  const child = spawn(process.execPath, [MAIN, ...args, '--port', String(port), '--parent-pid', String(process.pid)], {
    stdio: ['ignore', 'pipe', 'pipe'], env: upstream.kind === 's3rver' ? { ...process.env, EBBFLOW_TEST_S3_KEYS: `${keys.accessKey}:${keys.secretKey}` } : process.env,
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4000); });
  const lines = createInterface({ input: child.stdout! });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer within 20 s')), 20_000);
      lines.once('line', (l) => { clearTimeout(timer); resolve(l); });
      child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`exited (${code ?? signal})`)); });
      child.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
    return { child, port: (JSON.parse(first) as { port: number }).port };
  } catch (err) {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    throw new Error(`the S3 test server (${MAIN} ${args.join(' ')}) did not start: ${(err as Error).message}\n${stderr}`);
  } finally {
    lines.close();
  }
}

/** Waits until an HTTP request to the endpoint gets any answer (S3 refuses an unsigned one: that is an answer). */
async function waitUntilAnswering(endpoint: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2000) });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the S3 test server at ${endpoint} did not answer within ${timeoutMs} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGKILL');
  await gone;
}

export async function startTestS3(): Promise<TestS3> {
  const given = process.env.EBBFLOW_TEST_S3_URL;
  const prefix = `ebbflow-test-${randomBytes(4).toString('hex')}`;
  let upstream: Upstream;
  let keys: { accessKey: string; secretKey: string };
  let bucket: string;
  let dir: string | undefined;
  if (given) {
    const g = parseGiven(given);
    if (g.protocol !== 'http:') throw new Error('EBBFLOW_TEST_S3_URL: only http:// (a local test server) is supported');
    upstream = { kind: 'forward', hostPort: g.hostPort };
    keys = g;
    bucket = g.bucket;
  } else {
    dir = mkdtempSync(join(tmpdir(), 'ebbflow-s3rver-'));
    bucket = 'ebbflow-test';
    upstream = { kind: 's3rver', dir, bucket };
    // A key pair of this run's (s3rver's built-in one has the same string for both halves).
    keys = { accessKey: `AKEBBFLOW${randomBytes(6).toString('hex').toUpperCase()}`, secretKey: randomBytes(20).toString('base64url') };
  }
  let { child, port } = await launch(upstream, 0, keys);
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(endpoint);
  const settings: S3Settings = { endpoint, pathStyle: true, region: 'us-east-1', ...keys };
  const storage = new S3Storage(settings);
  if (given) await createBucket(settings, bucket);
  const root = `s3://${bucket}/${prefix}`;
  let running = true;
  return {
    endpoint, bucket, root, settings, storage,
    configuration: { 's3.endpoint': endpoint, 's3.path.style.access': true, 's3.region': 'us-east-1', 's3.access-key': keys.accessKey, 's3.secret-key': keys.secretKey },
    location: (name) => `${root}/${name}`,
    pid: () => (running ? child.pid : undefined),
    stop: async () => { running = false; await killAndWait(child); },
    start: async () => {
      ({ child } = await launch(upstream, port, keys));
      running = true;
      await waitUntilAnswering(endpoint);
    },
    close: async () => {
      try {
        if (given && running) await storage.removeDir(root);
      } finally {
        running = false;
        await killAndWait(child);
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Creates the bucket on a given server unless it is there. */
async function createBucket(settings: S3Settings, bucket: string): Promise<void> {
  const { S3Client, CreateBucketCommand, HeadBucketCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint: settings.endpoint, forcePathStyle: true, region: settings.region, credentials: { accessKeyId: settings.accessKey!, secretAccessKey: settings.secretKey! } });
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

/**
 * Puts the test server's keys in this process's AWS_* variables, which dispatchers started from it
 * inherit (the secret then is in no argv); answers the undo, which puts back what was there.
 */
export function exportAwsCredentials(s3: TestS3, extra: Record<string, string> = {}): () => void {
  const vars: Record<string, string> = { AWS_ACCESS_KEY_ID: s3.settings.accessKey!, AWS_SECRET_ACCESS_KEY: s3.settings.secretKey!, ...extra };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => { for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; } };
}
