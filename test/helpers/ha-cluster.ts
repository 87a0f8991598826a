/**
 * Several dispatchers as separate OS processes (`node dist/cli/main.js dispatcher`, HA over Redis)
 * on 127.0.0.1, each on its own port, sharing one Redis key prefix and one HA storage directory.
 * Each one's log goes to a file the test can read. `close` cancels what still runs, kills every
 * dispatcher by its pid (after SIGCONT, should one be stopped), deletes the keys and the files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { CLI } from './cli.js';
import { deleteKeys, freePort, json, processesMatching, waitFor, type TestDispatcher } from './dispatcher.js';

/** Timings short enough for tests: a dead leader is replaced within 3 s (+ one retry period). */
export const HA_TIMINGS = { leaseMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 };

export interface HaNode {
  /** 0, 1, 2: the order they were started in. */
  index: number;
  url: string;
  port: number;
  pid: number;
  proc: ChildProcess;
  logFile: string;
  /** Whether the test killed it. */
  dead: boolean;
  stopped: boolean;
}

export interface LeaderView {
  highAvailability: string;
  self: { id: string; url: string; leader: boolean };
  leader: { id: string; url: string; epoch: number } | null;
  writes: string;
  fencedWrites: number;
}

export class HaCluster {
  readonly nodes: HaNode[] = [];
  readonly redis: Redis;
  readonly keyPrefix = `ebbtest-ha-${randomBytes(4).toString('hex')}:`;
  readonly storageDir = mkdtempSync(join(tmpdir(), 'ebbflow-ha-storage-'));
  readonly logDir = mkdtempSync(join(tmpdir(), 'ebbflow-ha-logs-'));
  readonly clusterId = 'test';

  constructor(readonly redisUrl: string = inject('redisUrl'), readonly extraArgs: string[] = []) {
    this.redis = new Redis(redisUrl);
  }

  /** Starts `n` dispatchers and waits until each answers and one leads. */
  async start(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.startNode();
    await this.waitForLeader();
  }

  async startNode(): Promise<HaNode> {
    const index = this.nodes.length;
    const port = await freePort();
    const logFile = join(this.logDir, `dispatcher-${index}.log`);
    const fd = openSync(logFile, 'a');
    const dataDir = join(this.logDir, `data-${index}`);
    const proc = spawn(process.execPath, [CLI, 'dispatcher', '--host', '127.0.0.1', '--port', String(port), '--redis', this.redisUrl,
      '--key-prefix', this.keyPrefix, '--data-dir', dataDir, '--high-availability', 'redis', '--ha-storage-dir', this.storageDir,
      '--ha-cluster-id', this.clusterId, '--ha-lease-duration', String(HA_TIMINGS.leaseMs), '--ha-renew-deadline', String(HA_TIMINGS.renewDeadlineMs),
      '--ha-retry-period', String(HA_TIMINGS.retryPeriodMs), ...this.extraArgs], {
      stdio: ['ignore', fd, fd], env: { ...process.env, EBBFLOW_LOG_LEVEL: 'info' },
    });
    closeSync(fd);
    const node: HaNode = { index, url: `http://127.0.0.1:${port}`, port, pid: proc.pid!, proc, logFile, dead: false, stopped: false };
    this.nodes.push(node);
    proc.on('exit', () => { node.dead = true; });
    await waitFor(`dispatcher ${index} to answer`, async () => {
      if (node.dead) throw new Error(`dispatcher ${index} exited: ${this.log(node).slice(-2000)}`);
      return (await fetch(`${node.url}/cluster/leader`)).ok ? true : undefined;
    }, 20_000, 50);
    return node;
  }

  log(node: HaNode): string {
    try { return readFileSync(node.logFile, 'utf8'); } catch { return ''; }
  }

  async view(node: HaNode): Promise<LeaderView> {
    return json(await fetch(`${node.url}/cluster/leader`, { signal: AbortSignal.timeout(2000) }));
  }

  /** The nodes neither killed nor stopped. */
  get alive(): HaNode[] { return this.nodes.filter((n) => !n.dead && !n.stopped); }

  /** The node that leads by its own view (and that every running node agrees on); waits for one. */
  async waitForLeader(timeoutMs = HA_TIMINGS.leaseMs + 5000, not?: HaNode): Promise<HaNode> {
    return waitFor('one leader every running dispatcher agrees on', async () => {
      const views = await Promise.all(this.alive.map(async (n) => ({ n, v: await this.view(n) })));
      const leaders = views.filter(({ v }) => v.self.leader);
      if (leaders.length !== 1 || leaders[0]!.n === not) return undefined;
      const url = leaders[0]!.n.url;
      return views.every(({ v }) => v.leader?.url === url) ? leaders[0]!.n : undefined;
    }, timeoutMs, 25);
  }

  /** A TestDispatcher-shaped view on one node, for the shared fraud helpers. */
  as(node: HaNode): TestDispatcher {
    return { url: node.url, redis: this.redis, redisUrl: this.redisUrl, keyPrefix: this.keyPrefix, dataDir: join(this.storageDir, this.clusterId) } as unknown as TestDispatcher;
  }

  kill(node: HaNode, signal: NodeJS.Signals = 'SIGKILL'): void {
    process.kill(node.pid, signal);
    if (signal === 'SIGSTOP') node.stopped = true;
    if (signal === 'SIGCONT') node.stopped = false;
  }

  async close(): Promise<void> {
    // Jobs first (through any dispatcher that answers), so no job process outlives the test.
    const at = this.alive[0];
    if (at) {
      const jobs = await fetch(`${at.url}/jobs`).then((r) => json(r)).catch(() => ({ jobs: [] }));
      for (const j of jobs.jobs ?? []) {
        if (['RUNNING', 'CREATED', 'RESTARTING', 'INITIALIZING'].includes(j.status)) await fetch(`${at.url}/jobs/${j.id}?mode=cancel`, { method: 'PATCH' }).catch(() => undefined);
      }
      for (const j of jobs.jobs ?? []) {
        await waitFor(`job ${j.id} to end`, async () => ((await processesMatching(`ebbflow-jobmaster ${j.id}`)).length === 0 ? true : undefined), 20_000).catch(() => undefined);
      }
      for (const j of jobs.jobs ?? []) {
        for (const p of [...await processesMatching(`ebbflow-jobmaster ${j.id}`), ...await processesMatching(`ebbflow-taskmanager ${j.id}`)]) {
          try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
        }
      }
    }
    for (const n of this.nodes) {
      if (n.dead) continue;
      try { process.kill(n.pid, 'SIGCONT'); process.kill(n.pid, 'SIGKILL'); } catch { /* gone */ }
      await new Promise<void>((r) => { if (n.dead) r(); else n.proc.once('exit', () => r()); });
    }
    await deleteKeys(this.redis, `${this.keyPrefix}*`);
    this.redis.disconnect();
    rmSync(this.storageDir, { recursive: true, force: true });
    if (!process.env.EBBFLOW_KEEP_HA_LOGS) rmSync(this.logDir, { recursive: true, force: true });
  }
}
