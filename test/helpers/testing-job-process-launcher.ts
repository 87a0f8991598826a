/**
 * A JobProcessLauncher without processes: it records every launch (with its spec), hands out
 * `TestingJobProcess`es the test makes exit, answer IPC or ignore signals, and keeps a table of
 * pids "left by an earlier dispatcher" for adoption. Exits are delivered a microtask later, as
 * a real exit event comes after the kill that caused it.
 */
import type { JobProcess, JobProcessExit, JobProcessLauncher } from '../../dispatcher/job-process-launcher.js';
import type { JobSpec } from '../../jobmaster/job-spec.js';

export class TestingJobProcess implements JobProcess {
  connected = true;
  exited = false;
  detached = false;
  exitedWith: JobProcessExit | undefined;
  /** IPC messages received, oldest first. */
  readonly messages: unknown[] = [];
  /** Signals received, oldest first (also the ignored ones). */
  readonly signals: NodeJS.Signals[] = [];
  /** Signals this process survives (user code blocking the event loop ignores SIGTERM's handler). */
  readonly ignoring = new Set<NodeJS.Signals>();
  /** How the process answers an IPC message (the test's stand-in for the JobMaster); none by default. */
  answer: ((message: { type: 'cancel' }, proc: TestingJobProcess) => void) | undefined;
  private readonly listeners: ((exit: JobProcessExit) => void)[] = [];

  constructor(readonly pid: number, readonly spec: JobSpec) {}

  send(message: { type: 'cancel' }): void {
    if (!this.connected) throw new Error('channel closed');
    this.messages.push(message);
    this.answer?.(message, this);
  }

  kill(signal: NodeJS.Signals): boolean {
    if (this.exited) return false;
    this.signals.push(signal);
    if (!this.ignoring.has(signal)) queueMicrotask(() => this.exit(null, signal));
    return true;
  }

  onExit(listener: (exit: JobProcessExit) => void): void { this.listeners.push(listener); }

  detach(): void { this.detached = true; this.connected = false; }

  /** Ends the process now (the exit listeners run at once). */
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exited) return;
    this.exited = true;
    this.connected = false;
    this.exitedWith = { code, signal };
    for (const l of this.listeners.splice(0)) l({ code, signal });
  }
}

export class TestingJobProcessLauncher implements JobProcessLauncher {
  /** Every process launched, oldest first. */
  readonly launches: TestingJobProcess[] = [];
  /** Pids of processes known only by pid (adopted ones) that are alive. */
  readonly alivePids = new Set<number>();
  /** Adopted pids that survive SIGTERM. */
  readonly pidsIgnoringSigterm = new Set<number>();
  /** Signals sent by pid, oldest first. */
  readonly pidSignals: { pid: number; signal: NodeJS.Signals }[] = [];
  /** Job id → its process log. */
  readonly logs = new Map<string, string>();
  /** When set, the next launch fails with this error. */
  failNextLaunch: Error | undefined;
  private nextPid = 1000;

  async launch(spec: JobSpec): Promise<TestingJobProcess> {
    const err = this.failNextLaunch;
    this.failNextLaunch = undefined;
    if (err) throw err;
    const proc = new TestingJobProcess(this.nextPid++, structuredClone(spec));
    this.launches.push(proc);
    return proc;
  }

  /** The newest process of a job. */
  latest(jobId: string): TestingJobProcess {
    const proc = this.launches.filter((p) => p.spec.jobId === jobId).at(-1);
    if (!proc) throw new Error(`no process was launched for job ${jobId}`);
    return proc;
  }

  launchesOf(jobId: string): TestingJobProcess[] { return this.launches.filter((p) => p.spec.jobId === jobId); }

  logTail(jobId: string): string { return this.logs.get(jobId) ?? ''; }

  isAlive(pid: number): boolean { return this.alivePids.has(pid) || this.launches.some((p) => p.pid === pid && !p.exited); }

  signal(pid: number, signal: NodeJS.Signals): boolean {
    if (!this.isAlive(pid)) return false;
    this.pidSignals.push({ pid, signal });
    if (!(signal === 'SIGTERM' && this.pidsIgnoringSigterm.has(pid))) this.alivePids.delete(pid);
    return true;
  }
}
