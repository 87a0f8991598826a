/**
 * Three dispatchers with HA on Redis and checkpoints on S3, for the failover benchmark and
 * `npm run demo:ha`: the S3 test server (s3rver, test/helpers/s3-server-main.mjs) as its own
 * process, and `node dist/cli/main.js dispatcher` processes on 127.0.0.1, each on a free port, all
 * under one Redis key prefix and one HA storage directory. Every process it starts is recorded by
 * pid and ended by pid in `close()` (job processes and TaskManagers too, found by their titles);
 * the keys under the prefix and the temp directories are deleted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { deleteByPrefix } from './data.js';
import { logIgnored } from './log.js';
import { jobProcesses, processExited, watchJobPids } from './procs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const S3_MAIN = join(ROOT, 'test/helpers/s3-server-main.mjs');

export interface HaTimings { leaseMs: number; renewDeadlineMs: number; retryPeriodMs: number }

export interface HaDispatcher { index: number; url: string; pid: number; proc: ChildProcess; logFile: string; dead: boolean }

export interface LeaderView { self: { id: string; url: string; leader: boolean }; leader: { id: string; url: string; epoch: number } | null }

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns a value; throws after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) { last = err; }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

export class HaStack {
  readonly dispatchers: HaDispatcher[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'ebbflow-ha-stack-'));
  readonly storageDir = join(this.dir, 'ha-storage');
  readonly clusterId = 'ha';
  readonly bucket = 'ebbflow-ha';
  /** Every job the stack ran (their processes are ended by pid in `close`). */
  readonly jobs: string[] = [];
  /** Other processes the caller started and wants ended with the stack (generators). */
  readonly extraPids = new Set<number>();
  s3Endpoint = '';
  private s3: ChildProcess | undefined;
  private readonly keys = { accessKey: `AKEBBFLOW${randomBytes(6).toString('hex').toUpperCase()}`, secretKey: randomBytes(20).toString('base64url') };
  private readonly seenJobPids = new Set<number>();
  private watch: NodeJS.Timeout | undefined;
  /** Set when `close` begins: a run interrupted by a signal starts nothing more. */
  private closing = false;

  constructor(readonly redis: Redis, readonly redisUrl: string, readonly keyPrefix: string, readonly timings: HaTimings) {}

  /** `s3://<bucket>/<prefix>/checkpoints`: where the jobs checkpoint. */
  get checkpointsDir(): string { return `s3://${this.bucket}/${this.keyPrefix.replace(/:$/, '')}/checkpoints`; }

  get alive(): HaDispatcher[] { return this.dispatchers.filter((d) => !d.dead); }

  async startS3(): Promise<void> {
    if (this.closing) throw new Error('the stack is closing');
    const child = spawn(process.execPath, [S3_MAIN, '--dir', join(this.dir, 's3'), '--bucket', this.bucket, '--port', '0', '--parent-pid', String(process.pid)], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EBBFLOW_TEST_S3_KEYS: `${this.keys.accessKey}:${this.keys.secretKey}` },
    });
    this.s3 = child;
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4000); });
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the S3 test server did not start within 20 s')), 20_000);
      lines.once('line', (l) => { clearTimeout(timer); resolve(l); });
      child.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`the S3 test server exited (${code ?? sig}): ${stderr}`)); });
    }).finally(() => lines.close());
    this.s3Endpoint = `http://127.0.0.1:${(JSON.parse(first) as { port: number }).port}`;
  }

  get s3Pid(): number | undefined { return this.s3?.pid; }

  async startDispatcher(): Promise<HaDispatcher> {
    if (this.closing) throw new Error('the stack is closing');
    const index = this.dispatchers.length;
    const port = await freePort();
    if (this.closing) throw new Error('the stack is closing'); // no await from here to the push below
    const logFile = join(this.dir, `dispatcher-${index}.log`);
    const fd = openSync(logFile, 'a');
    const t = this.timings;
    const proc = spawn(process.execPath, [CLI, 'dispatcher', '--host', '127.0.0.1', '--port', String(port), '--redis', this.redisUrl,
      '--key-prefix', this.keyPrefix, '--data-dir', join(this.dir, `data-${index}`), '--high-availability', 'redis',
      '--ha-storage-dir', this.storageDir, '--ha-cluster-id', this.clusterId, '--ha-lease-duration', String(t.leaseMs),
      '--ha-renew-deadline', String(t.renewDeadlineMs), '--ha-retry-period', String(t.retryPeriodMs),
      '-D', `s3.endpoint=${this.s3Endpoint}`, '-D', 's3.path.style.access=true', '-D', 's3.region=us-east-1',
      '-D', `state.checkpoints.dir=${this.checkpointsDir}`], {
      // The S3 keys reach the jobs through the AWS SDK's default chain (no secret in any argv).
      stdio: ['ignore', fd, fd], env: { ...process.env, AWS_ACCESS_KEY_ID: this.keys.accessKey, AWS_SECRET_ACCESS_KEY: this.keys.secretKey },
    });
    closeSync(fd);
    const d: HaDispatcher = { index, url: `http://127.0.0.1:${port}`, pid: proc.pid!, proc, logFile, dead: false };
    this.dispatchers.push(d);
    proc.on('exit', () => { d.dead = true; });
    await until(`dispatcher ${index} to answer`, async () => {
      if (d.dead) throw new Error(`dispatcher ${index} exited: ${this.log(d).slice(-2000)}`);
      return (await fetch(`${d.url}/cluster/leader`, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined;
    }, 30_000);
    return d;
  }

  /** The S3 server, then `n` dispatchers; resolves once one leads. */
  async start(n = 3): Promise<void> {
    await this.startS3();
    for (let i = 0; i < n; i++) await this.startDispatcher();
    await this.waitForLeader();
    this.watch = watchJobPids(this.jobs, this.seenJobPids, 500);
  }

  log(d: HaDispatcher): string {
    try { return readFileSync(d.logFile, 'utf8'); } catch { return ''; }
  }

  async view(d: HaDispatcher): Promise<LeaderView> {
    return (await fetch(`${d.url}/cluster/leader`, { signal: AbortSignal.timeout(2000) })).json() as Promise<LeaderView>;
  }

  /** The dispatcher every live one agrees leads (other than `not`). */
  async waitForLeader(timeoutMs = this.timings.leaseMs + 15_000, not?: HaDispatcher, everyMs = 25): Promise<HaDispatcher> {
    return until('one leader every running dispatcher agrees on', async () => {
      const views = await Promise.all(this.alive.map(async (d) => ({ d, v: await this.view(d) })));
      const leaders = views.filter(({ v }) => v.self.leader);
      if (leaders.length !== 1 || leaders[0]!.d === not) return undefined;
      const url = leaders[0]!.d.url;
      return views.every(({ v }) => v.leader?.url === url) ? leaders[0]!.d : undefined;
    }, timeoutMs, everyMs);
  }

  kill(d: HaDispatcher): void {
    process.kill(d.pid, 'SIGKILL');
  }

  async waitExited(d: HaDispatcher, timeoutMs = 10_000): Promise<void> {
    await until(`dispatcher ${d.index} to exit`, async () => (d.dead ? true : undefined), timeoutMs, 10);
  }

  /** Ends everything by pid: jobs (cancelled through a live dispatcher, then their processes killed), dispatchers, S3; keys and files deleted. */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    this.closing = true;
    clearInterval(this.watch);
    const at = this.alive[0];
    if (at) {
      for (const id of this.jobs) await fetch(`${at.url}/jobs/${id}?mode=cancel`, { method: 'PATCH', signal: AbortSignal.timeout(5000) }).catch(logIgnored(`cancelling job ${id}`));
      await until('the jobs\' processes to end', async () => ((await jobProcesses(this.jobs)).length === 0 ? true : undefined), 20_000, 200).catch(logIgnored('waiting for the jobs\' processes to end (they are killed by pid next)'));
    }
    for (const p of await jobProcesses(this.jobs).catch((err: unknown) => { logIgnored('listing the job processes')(err); return []; })) this.seenJobPids.add(p.pid);
    for (const pid of [...this.seenJobPids, ...this.extraPids]) {
      if (processExited(pid)) continue;
      try { process.kill(pid, 'SIGKILL'); } catch { /* exited in between */ }
    }
    for (const d of this.dispatchers) {
      if (d.dead) continue;
      const gone = new Promise<void>((r) => d.proc.once('exit', () => r()));
      try { process.kill(d.pid, 'SIGKILL'); } catch { /* exited in between */ }
      await gone;
    }
    if (this.s3 && this.s3.exitCode === null && this.s3.signalCode === null) {
      const gone = new Promise<void>((r) => this.s3!.once('exit', () => r()));
      try { process.kill(this.s3.pid!, 'SIGKILL'); } catch { /* exited */ }
      await gone;
    }
    try {
      let n = await deleteByPrefix(this.redis, this.keyPrefix);
      await sleep(300);
      n += await deleteByPrefix(this.redis, this.keyPrefix);
      void n;
    } catch (err) { problems.push(`deleting keys ${this.keyPrefix}*: ${(err as Error).message}`); }
    rmSync(this.dir, { recursive: true, force: true });
    return problems;
  }
}

/** POST /jobs/:id/checkpoints through `url`: a write only the leader accepts (202). */
export async function writeAccepted(url: string, jobId: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/jobs/${jobId}/checkpoints`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ triggerId: randomBytes(16).toString('hex') }), signal: AbortSignal.timeout(2000),
    });
    await res.arrayBuffer();
    return res.status === 202;
  } catch {
    return false;
  }
}
