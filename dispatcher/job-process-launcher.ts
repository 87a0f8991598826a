/**
 * The seam between the JobSupervisor and the operating system: starting a job process (spec file,
 * log file, `child_process.fork`), signalling it, and watching processes left by an earlier
 * dispatcher, known only by their pid. `ForkJobProcessLauncher` is the real one; tests use a fake.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { JOB_OPTIONS } from '../config/index.js';
import { JOB_SECRET_FILE_ENV } from '../jobmaster/job-secret.js';
import type { JobSpec } from '../jobmaster/job-spec.js';
import { JOB_PROCESS_THREADPOOL_SIZE } from '../runtime/checkpoint/storage-deadline.js';
import { awsEnv, childEnv } from '../runtime/child-env.js';
import { isS3Path } from '../runtime/checkpoint/s3-location.js';
import { processEntry } from '../runtime/install-paths.js';
import { JobProcessStartError } from './supervisor-errors.js';

/** How a job process ended: an exit code, or the signal that killed it. */
export interface JobProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A job process this dispatcher started. */
export interface JobProcess {
  readonly pid: number;
  /** Whether the IPC channel is open, so a message can be sent. */
  readonly connected: boolean;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** Sends an IPC message (the job process understands `{ type: 'cancel' }`). */
  send(message: { type: 'cancel' }): void;
  /** Sends a signal; false when the process could not be signalled. */
  kill(signal: NodeJS.Signals): boolean;
  /** Calls `listener` once, when the process exits (several listeners may wait). */
  onExit(listener: (exit: JobProcessExit) => void): void;
  /** Lets the dispatcher exit without this process: closes the IPC channel, stops holding the event loop. */
  detach(): void;
}

/**
 * HA: the claim a job process must still hold when it starts (dispatcher/fenced-job-process.ts): it
 * records its pid under this launch id, fenced with the leader epoch that claimed it, or exits with
 * LAUNCH_SUPERSEDED_EXIT without running anything.
 */
export interface FencedLaunch {
  launchId: string;
  epoch: string;
  /** The leader hash the epoch is checked against. */
  fenceKey: string;
}

/** The exit status of a job process whose launch was superseded (it ran nothing). */
export const LAUNCH_SUPERSEDED_EXIT = 75;

/** The environment variable carrying a `FencedLaunch` as JSON to the job process. */
export const FENCED_LAUNCH_ENV = 'EBBFLOW_FENCED_LAUNCH';

/** Starts job processes and reaches processes known only by their pid. */
export interface JobProcessLauncher {
  /** Starts the job process for `spec`; resolves once the OS started it, rejects with `JobProcessStartError`. With `fenced` (HA) it starts through the launch check. */
  launch(spec: JobSpec, fenced?: FencedLaunch): Promise<JobProcess>;
  /** The end of the job's process log ('' when there is none). */
  logTail(jobId: string): string;
  /** Whether a process known only by its pid (adopted from an earlier dispatcher) is alive. */
  isAlive(pid: number): boolean;
  /** Signals a process known only by its pid; false when there is none. */
  signal(pid: number, signal: NodeJS.Signals): boolean;
}

const JOBMASTER_MAIN = processEntry('jobmaster/main.js');
const FENCED_JOB_PROCESS = processEntry('dispatcher/fenced-job-process.js');

/** Where a job's process log and spec file live. */
export function jobLogDir(dataDir: string, jobId: string): string { return join(dataDir, 'logs', jobId); }

/** The last `bytes` of a file, '' when it cannot be read. */
function tail(file: string, bytes = 2000): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    const buf = Buffer.alloc(Math.min(bytes, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    closeSync(fd);
    return buf.toString('utf8');
  } catch {
    return ''; // no log yet (the process never started): the cause names the exit status alone
  }
}

/** Wraps a forked child process. */
class ForkedJobProcess implements JobProcess {
  constructor(private readonly child: ChildProcess, private readonly logger: Logger) {}
  get pid(): number { return this.child.pid ?? 0; }
  get connected(): boolean { return this.child.connected; }
  get exited(): boolean { return this.child.exitCode !== null || this.child.signalCode !== null; }
  send(message: { type: 'cancel' }): void {
    // With a callback a closed channel is reported here instead of as an 'error' event nobody handles.
    this.child.send(message, (err) => {
      if (err) this.logger.warn({ pid: this.pid, err: err.message }, `could not send ${message.type} to the job process`);
    });
  }
  kill(signal: NodeJS.Signals): boolean { return this.child.kill(signal); }
  onExit(listener: (exit: JobProcessExit) => void): void {
    this.child.once('exit', (code, signal) => listener({ code, signal }));
  }
  detach(): void {
    if (this.child.connected) this.child.disconnect();
    this.child.unref();
  }
}

/**
 * Whether a job's processes need the dispatcher's AWS variables: its checkpoints or savepoints are on
 * `s3://` and no `s3.access-key` names the credentials (the SDK's default chain then reads them).
 */
export function needsAwsEnv(configuration: Readonly<Record<string, unknown>> = {}): boolean {
  const onS3 = [JOB_OPTIONS.checkpointDir.key, JOB_OPTIONS.savepointDir.key].some((k) => typeof configuration[k] === 'string' && isS3Path(configuration[k] as string));
  return onS3 && configuration[JOB_OPTIONS.s3AccessKey.key] === undefined;
}

/** The real launcher: `child_process.fork` of `dist/jobmaster/main.js`, logs under `<dataDir>/logs/<jobId>/`. */
export class ForkJobProcessLauncher implements JobProcessLauncher {
  constructor(private readonly dataDir: string, private readonly logger: Logger) {}

  async launch(spec: JobSpec, fenced?: FencedLaunch): Promise<JobProcess> {
    const dir = jobLogDir(this.dataDir, spec.jobId);
    mkdirSync(dir, { recursive: true, mode: 0o700 }); // logs/ and logs/<jobid>/: private to the dispatcher's user
    // The spec goes in a file (arguments can be large; an environment variable would hit E2BIG).
    const specFile = join(dir, 'job-spec.json');
    writeFileSync(specFile, JSON.stringify(spec), { mode: 0o600 });
    // The job's secret (what its TaskManagers' data connections prove), new for every launch: TaskManagers
    // a recovered job process takes over get the new one in their new registration answer. Beside the
    // spec, 0600, named by path only; the job process reads it and deletes the file.
    const secretFile = join(dir, 'job-secret');
    writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'w' });
    const log = openSync(join(dir, 'jobmaster.log'), 'a', 0o600);
    // The argv names role and job so ps shows them even where the title cannot be longer than argv.
    const child = fork(fenced ? FENCED_JOB_PROCESS : JOBMASTER_MAIN, ['ebbflow-jobmaster', spec.jobId], {
      // A storage call on a hung mount holds a libuv thread until it returns (storage-deadline.ts):
      // the job process (and the TaskManagers it starts, which inherit this) get more than the 4 default.
      env: childEnv({
        UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(JOB_PROCESS_THREADPOOL_SIZE),
        EBBFLOW_JOB_SPEC_FILE: specFile,
        [JOB_SECRET_FILE_ENV]: secretFile,
        ...(needsAwsEnv(spec.configuration) ? awsEnv() : {}),
        ...(fenced ? { [FENCED_LAUNCH_ENV]: JSON.stringify(fenced) } : {}),
      }),
      stdio: ['ignore', log, log, 'ipc'],
      execArgv: [],
    });
    closeSync(log);
    try {
      await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
    } catch (err) {
      throw new JobProcessStartError(spec.jobId, err);
    }
    // Later errors (a failed kill or send) must not become an unhandled 'error' event in the dispatcher.
    child.on('error', (err) => this.logger.warn({ jobId: spec.jobId, pid: child.pid, err: err.message }, 'job process error'));
    return new ForkedJobProcess(child, this.logger);
  }

  logTail(jobId: string): string { return tail(join(jobLogDir(this.dataDir, jobId), 'jobmaster.log')); }

  isAlive(pid: number): boolean {
    if (!pid) return false;
    try { process.kill(pid, 0); return true; } catch { return false; } // ESRCH: no such process
  }

  signal(pid: number, signal: NodeJS.Signals): boolean {
    try { process.kill(pid, signal); return true; } catch { return false; } // gone in between
  }
}
