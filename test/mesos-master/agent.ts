/**
 * A simulated Mesos agent of the test master: it owns resources and
 * attributes, fetches a task's URIs into a fresh sandbox the way the Mesos
 * fetcher does (HTTP GET, `output_file`, archive extraction, executable bit),
 * runs the command as a real OS process in its own process group (the
 * built-in command executor), and reports the task's states through the
 * master. Kills follow the kill policy: SIGTERM, then SIGKILL after the grace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, mkdirSync, openSync, closeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import type { Attribute, CommandInfo, TaskInfo, TaskState } from '../../resourcemanager/mesos/types.js';
import type { Res } from './resources.js';

export interface AgentSpec {
  hostname?: string;
  /** @default cpus 4, mem 4096, disk 10000, ports 31000-31099 */
  resources?: Res;
  attributes?: Attribute[];
  /**
   * Runs every task through this command (e.g. `['ip', 'netns', 'exec', 'ns1']`), to stand for an agent
   * on another host: its tasks then live in another network namespace.
   */
  commandPrefix?: string[];
}

export type AgentUpdate = (taskId: string, state: TaskState, extra?: { reason?: string; message?: string; pid?: number }) => void;

interface RunningTask {
  proc?: ChildProcess;
  killRequested: boolean;
  exited: boolean;
  graceTimer?: NodeJS.Timeout;
}

const ARCHIVE = /\.(tgz|tar\.gz|tar)$/i;

export class SimAgent {
  readonly hostname: string;
  readonly total: Res;
  readonly attributes: Attribute[];
  private readonly prefix: string[];
  active = true;
  private readonly tasks = new Map<string, RunningTask>();
  private runs = 0;

  constructor(readonly id: string, spec: AgentSpec, private readonly sandboxRoot: string, private readonly report: AgentUpdate) {
    this.hostname = spec.hostname ?? '127.0.0.1';
    this.total = spec.resources ?? { scalars: { cpus: 4, mem: 4096, disk: 10000 }, ranges: { ports: [[31000, 31099]] } };
    this.attributes = spec.attributes ?? [];
    this.prefix = spec.commandPrefix ?? [];
  }

  /** pids of the task processes running on this agent. */
  pids(): number[] {
    return [...this.tasks.values()].filter((t) => t.proc && !t.exited).map((t) => t.proc!.pid!);
  }

  pidOf(taskId: string): number | undefined {
    const t = this.tasks.get(taskId);
    return t?.proc && !t.exited ? t.proc.pid : undefined;
  }

  launch(frameworkId: string, task: TaskInfo): void {
    const rt: RunningTask = { killRequested: false, exited: false };
    const taskId = task.task_id.value;
    this.tasks.set(taskId, rt);
    const sandbox = join(this.sandboxRoot, this.id, 'frameworks', frameworkId, 'executors', taskId, 'runs', String(++this.runs));
    void this.start(taskId, task.command!, sandbox, rt);
  }

  private async start(taskId: string, command: CommandInfo, sandbox: string, rt: RunningTask): Promise<void> {
    try {
      mkdirSync(sandbox, { recursive: true });
      for (const uri of command.uris ?? []) await fetchUri(uri, sandbox);
    } catch (err) {
      this.tasks.delete(taskId);
      this.report(taskId, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to fetch URIs: ${(err as Error).message}` });
      return;
    }
    if (rt.killRequested) {
      this.tasks.delete(taskId);
      this.report(taskId, 'TASK_KILLED', { reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: 'Task killed before it was launched' });
      return;
    }
    this.report(taskId, 'TASK_STARTING');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox,
      MESOS_SANDBOX: sandbox, MESOS_TASK_ID: taskId, MESOS_AGENT_ID: this.id,
    };
    for (const v of command.environment?.variables ?? []) env[v.name] = v.value ?? '';
    const out = openSync(join(sandbox, 'stdout'), 'a');
    const errOut = openSync(join(sandbox, 'stderr'), 'a');
    const shell = command.shell ?? true;
    const argv = shell ? ['/bin/sh', '-c', command.value ?? ''] : [command.value ?? '', ...(command.arguments ?? []).slice(1)];
    const [file, ...args] = [...this.prefix, ...argv];
    const proc = spawn(file!, args, { cwd: sandbox, env, stdio: ['ignore', out, errOut], detached: true });
    closeSync(out);
    closeSync(errOut);
    rt.proc = proc;
    proc.once('error', (err) => {
      if (proc.pid !== undefined) return;
      rt.exited = true;
      this.tasks.delete(taskId);
      this.report(taskId, 'TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to launch: ${err.message}` });
    });
    proc.once('exit', (code, signal) => {
      rt.exited = true;
      clearTimeout(rt.graceTimer);
      this.tasks.delete(taskId);
      // Whatever the task started in its group goes with it.
      try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* already gone */ }
      if (rt.killRequested) this.report(taskId, 'TASK_KILLED', { message: 'Command terminated on request' });
      else if (code === 0) this.report(taskId, 'TASK_FINISHED', { message: 'Command exited with status 0' });
      else this.report(taskId, 'TASK_FAILED', { reason: 'REASON_EXECUTOR_TERMINATED', message: signal ? `Command terminated with signal ${signal}` : `Command exited with status ${code}` });
    });
    if (proc.pid !== undefined) this.report(taskId, 'TASK_RUNNING', { pid: proc.pid });
    if (rt.killRequested) this.kill(taskId, 0);
  }

  /** Kills a task: SIGTERM to its process group, SIGKILL after `graceMs`. False when the agent does not run it. */
  kill(taskId: string, graceMs: number): boolean {
    const rt = this.tasks.get(taskId);
    if (!rt) return false;
    rt.killRequested = true;
    if (!rt.proc || rt.exited) return true; // still fetching: reported when the fetch ends
    const group = -rt.proc.pid!;
    try { process.kill(group, 'SIGTERM'); } catch { /* gone */ }
    rt.graceTimer ??= setTimeout(() => { try { process.kill(group, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
    return true;
  }

  /** Test hook: the task's process dies on its own (SIGKILL), as a crash would. */
  crash(taskId: string): boolean {
    const rt = this.tasks.get(taskId);
    if (!rt?.proc || rt.exited) return false;
    try { process.kill(-rt.proc.pid!, 'SIGKILL'); } catch { return false; }
    return true;
  }

  /** The agent goes away (removed or partitioned): its processes die and it reports nothing more. */
  shutdown(): void {
    this.active = false;
    for (const rt of this.tasks.values()) {
      rt.killRequested = true;
      if (rt.proc && !rt.exited) try { process.kill(-rt.proc.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  /** Stops every task (the master shutting down); resolves when their processes are gone. */
  async stopAll(): Promise<void> {
    const waits = [...this.tasks.values()].filter((rt) => rt.proc && !rt.exited).map((rt) => new Promise<void>((resolve) => {
      rt.proc!.once('exit', () => resolve());
      rt.killRequested = true;
      try { process.kill(-rt.proc!.pid!, 'SIGKILL'); } catch { resolve(); }
    }));
    await Promise.all(waits);
  }
}

/** The Mesos fetcher's part the test master needs: HTTP GET into the sandbox, then extract or chmod. */
async function fetchUri(uri: NonNullable<CommandInfo['uris']>[number], sandbox: string): Promise<void> {
  const url = new URL(uri.value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${uri.value}: only http(s) URIs are fetched by the test agents`);
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (!res.ok || !res.body) throw new Error(`${uri.value}: HTTP ${res.status}`);
  const name = uri.output_file || basename(url.pathname) || 'download';
  if (name.includes('/') || name === '..' || name === '.') throw new Error(`${uri.value}: bad output_file ${name}`);
  const file = join(sandbox, name);
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file));
  if ((uri.extract ?? true) && ARCHIVE.test(name)) await tar.x({ file, cwd: sandbox, strict: true });
  if (uri.executable) chmodSync(file, 0o755);
}
