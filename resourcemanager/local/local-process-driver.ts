/**
 * Local driver: each TaskManager is a child process of the job process on this
 * machine, shown in ps as `ebbflow-taskmanager <jobid> <n>`, logging to
 * `<logDir>/<resourceId>.log`. With `maxWorkers`, at most that many run at
 * once for the job; further requests wait in order until one exits (the
 * machine's capacity as a resource provider sees it).
 *
 * A TaskManager's registration secret is written to its stdin pipe (read once at
 * start, taskmanager/launch-secrets.ts), so it is in neither its argv (ps) nor
 * its environment (/proc/<pid>/environ).
 *
 * TaskManagers outlive a job process that dies (they wait for the next one, taskmanager.registration.timeout);
 * the next job process's driver adopts those that re-register (`adoptWorker`): known by pid, watched by
 * polling, stopped by signal like its own children (adopted-process.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { awsEnv, childEnv } from '../../runtime/child-env.js';
import { processEntry } from '../../runtime/install-paths.js';
import type { DriverEventHandler, ResourceManagerDriver, WorkerSpec } from '../driver.js';
import { WorkerStartError } from '../errors.js';
import { launchSecrets, sslFlags } from '../launch-secrets.js';
import { AdoptedProcess } from './adopted-process.js';

export interface LocalProcessDriverOptions {
  logDir: string;
  /** Where TaskManagers' data servers are reached. @default '127.0.0.1' */
  dataHost?: string;
  /** Where TaskManagers bind their data servers (`taskmanager.bind-host`). @default dataHost */
  dataBindHost?: string;
  /** Grace period between SIGTERM and SIGKILL when stopping. @default 5000 */
  stopTimeoutMs?: number;
  /** Heap cap per TaskManager process, passed as --max-old-space-size. @default profile.memoryMb */
  maxOldSpaceMb?: number;
  /** Young-generation semi-space per TaskManager process, passed as --max-semi-space-size (`taskmanager.node.max-semi-space-size`). @default Node's */
  semiSpaceMb?: number;
  /** TaskManager processes that may run at once for this job; more requests wait. @default unlimited */
  maxWorkers?: number;
  /** Processes started per batch; the next batch starts `batchIntervalMs` later (no start storm). @default 8 / 250 */
  batchSize?: number;
  batchIntervalMs?: number;
}

const TASKMANAGER_MAIN = processEntry('taskmanager/main.js');
/** The node arguments of a local TaskManager process: its heap limits, then its entry and its flags. */
export function taskManagerArgs(spec: WorkerSpec, o: Pick<LocalProcessDriverOptions, 'maxOldSpaceMb' | 'semiSpaceMb' | 'dataHost' | 'dataBindHost'>): string[] {
  return [
    `--max-old-space-size=${o.maxOldSpaceMb ?? spec.profile.memoryMb}`,
    ...(o.semiSpaceMb ? [`--max-semi-space-size=${o.semiSpaceMb}`] : []),
    TASKMANAGER_MAIN,
    '--job-id', spec.jobId,
    '--resource-id', spec.resourceId,
    '--index', String(spec.index),
    '--job-master', spec.jobMasterAddress,
    '--slots', String(spec.profile.slots),
    '--data-host', o.dataHost ?? '127.0.0.1',
    ...(o.dataBindHost ? ['--data-bind-host', o.dataBindHost] : []),
    '--parent-pid', String(process.pid),
    ...sslFlags(spec),
  ];
}

/** A TaskManager of the job known by pid (`<jobid prefix>-taskmanager-<n>`: its command line shows the prefix). */
function adoptedProcess(resourceId: string, pid: number): AdoptedProcess {
  return new AdoptedProcess(resourceId, pid, resourceId.split('-taskmanager-')[0] ?? '');
}

/** How often adopted TaskManagers (not our children: no exit event) are checked. */
const ADOPTED_CHECK_MS = 500;

export class LocalProcessDriver implements ResourceManagerDriver {
  readonly name = 'local';
  private handler: DriverEventHandler | undefined;
  private readonly children = new Map<string, ChildProcess>();
  /** TaskManagers an earlier job process started, taken over after a failover. */
  private readonly adopted = new Map<string, AdoptedProcess>();
  private adoptedTimer: NodeJS.Timeout | undefined;
  /** Adopted TaskManagers being stopped (released): `terminate` waits for them too. */
  private readonly adoptedStops = new Set<Promise<void>>();
  private readonly queue: WorkerSpec[] = [];
  private readonly released = new Set<string>();
  private terminated = false;

  constructor(private readonly opts: LocalProcessDriverOptions) {}

  async initialize(handler: DriverEventHandler): Promise<void> {
    this.handler = handler;
    mkdirSync(this.opts.logDir, { recursive: true, mode: 0o700 });
  }

  requestWorker(spec: WorkerSpec): void {
    this.queue.push(spec);
    this.startQueued();
  }

  private batchTimer: NodeJS.Timeout | undefined;
  private windowStart = 0;
  private startedInWindow = 0;

  /** Starts queued workers: at most `batchSize` per `batchIntervalMs` window, within the capacity. */
  private startQueued(): void {
    if (this.batchTimer) return; // this window is full; the timer starts the next
    const size = this.opts.batchSize ?? 8;
    const interval = this.opts.batchIntervalMs ?? 250;
    while (!this.terminated && this.queue.length && this.running < (this.opts.maxWorkers ?? Infinity)) {
      const now = Date.now();
      if (now - this.windowStart >= interval) { this.windowStart = now; this.startedInWindow = 0; }
      if (this.startedInWindow >= size) {
        this.batchTimer = setTimeout(() => { this.batchTimer = undefined; this.startQueued(); }, this.windowStart + interval - now);
        return;
      }
      this.startedInWindow++;
      this.launch(this.queue.shift()!);
    }
  }

  private launch(spec: WorkerSpec): void {
    const log = openSync(join(this.opts.logDir, `${spec.resourceId}.log`), 'a', 0o600);
    const args = taskManagerArgs(spec, this.opts);
    // AWS variables only if the job process got them (its state is on s3:// and the SDK's default chain finds the credentials).
    const child = spawn(process.execPath, args, { stdio: ['pipe', log, log], env: childEnv(awsEnv()) });
    closeSync(log);
    // A child that died at once closes its end: the write fails with EPIPE, and its exit is reported below.
    child.stdin?.on('error', () => {});
    child.stdin?.end(`${JSON.stringify(launchSecrets(spec))}\n`);
    this.children.set(spec.resourceId, child);
    child.once('spawn', () => this.handler?.onWorkerStarted?.(spec.resourceId));
    child.once('error', (err) => {
      if (child.pid !== undefined) return; // errors after a successful spawn end in 'exit'
      this.children.delete(spec.resourceId);
      this.handler?.onWorkerTerminated(spec.resourceId, new WorkerStartError(spec.resourceId, err).message);
      this.startQueued();
    });
    child.once('exit', (code, signal) => {
      this.children.delete(spec.resourceId);
      this.startQueued();
      if (this.released.delete(spec.resourceId)) return;
      this.handler?.onWorkerTerminated(spec.resourceId, `TaskManager ${spec.resourceId} (pid ${child.pid}) exited ${signal ? `on signal ${signal}` : `with code ${code}`}`);
    });
  }

  /** TaskManager processes of the job running now (own children and adopted ones). */
  private get running(): number { return this.children.size + this.adopted.size; }

  adoptWorker(resourceId: string, pid: number): void {
    if (this.children.has(resourceId) || this.terminated) return;
    this.adopted.set(resourceId, adoptedProcess(resourceId, pid));
    this.adoptedTimer ??= setInterval(() => this.checkAdopted(), ADOPTED_CHECK_MS);
    this.adoptedTimer.unref();
  }

  /** An adopted TaskManager that is gone is reported like a child's exit. */
  private checkAdopted(): void {
    for (const [id, p] of [...this.adopted]) {
      if (p.alive()) continue;
      this.adopted.delete(id);
      this.startQueued();
      this.handler?.onWorkerTerminated(id, `TaskManager ${id} (pid ${p.pid}) exited`);
    }
    if (!this.adopted.size) { clearInterval(this.adoptedTimer); this.adoptedTimer = undefined; }
  }

  async releaseWorker(resourceId: string, pid?: number): Promise<void> {
    const queued = this.queue.findIndex((s) => s.resourceId === resourceId);
    if (queued >= 0) this.queue.splice(queued, 1);
    // An earlier job process's TaskManager that did not re-register: stopped by the pid it had, if that is still it.
    const adopted = this.adopted.get(resourceId)
      ?? (pid && !this.children.has(resourceId) ? adoptedProcess(resourceId, pid) : undefined);
    if (adopted) {
      this.adopted.delete(resourceId);
      const stopped = adopted.stop(this.opts.stopTimeoutMs ?? 5000);
      this.adoptedStops.add(stopped);
      await stopped;
      this.adoptedStops.delete(stopped);
      this.startQueued();
      return;
    }
    const child = this.children.get(resourceId);
    if (!child) return;
    this.released.add(resourceId);
    await this.stopChild(child);
  }

  private stopChild(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.stopTimeoutMs ?? 5000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.kill('SIGTERM');
    });
  }

  async terminate(): Promise<void> {
    this.terminated = true;
    clearTimeout(this.batchTimer);
    this.queue.length = 0;
    for (const id of this.children.keys()) this.released.add(id);
    clearInterval(this.adoptedTimer);
    const adopted = [...this.adopted.values()];
    this.adopted.clear();
    await Promise.all([...this.children.values()].map((c) => this.stopChild(c))
      .concat(adopted.map((p) => p.stop(this.opts.stopTimeoutMs ?? 5000)), [...this.adoptedStops]));
  }

  /** Why requests wait, for error messages: the capacity (EBBFLOW_LOCAL_MAX_TASKMANAGERS) is in use. */
  describe(): string {
    if (!this.queue.length) return `local: ${this.running} TaskManager process(es) running`;
    const cap = this.opts.maxWorkers;
    const full = cap !== undefined && this.running >= cap;
    return `local: ${this.queue.length} TaskManager request(s) waiting${full ? ` for capacity: ${this.running} of EBBFLOW_LOCAL_MAX_TASKMANAGERS=${cap} running` : ' to be started'}`;
  }

  /** pids of the running TaskManagers (for tests and the REST API). */
  pids(): number[] {
    return [...this.children.values()].map((c) => c.pid!).concat([...this.adopted.values()].map((p) => p.pid)).filter(Boolean);
  }
}
