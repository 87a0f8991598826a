/**
 * Starts and watches job processes (one OS process per job: JobMaster +
 * ResourceManager). If a job process dies before its job reached a terminal
 * state, the job is marked FAILED with the exit status and the tail of its log.
 * Jobs left by an earlier dispatcher are watched by pid.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distFile } from '../runtime/install-paths.js';
import type { Logger } from 'pino';
import type { JobRecord, JobRegistry } from '../metadata/index.js';
import type { JobSpec } from '../jobmaster/job-spec.js';
import { cleanupAfterDeadJobProcess } from './provider-cleanup.js';

const JOBMASTER_MAIN = distFile('jobmaster/main.js');

export interface JobSupervisorOptions {
  registry: JobRegistry;
  redisUrl: string;
  keyPrefix: string;
  dataDir: string;
  slotsPerTaskManager: number;
  taskManagerMemoryMb: number;
  localMaxTaskManagers: number;
  resourceManager: string;
  mesosMaster: string | undefined;
  mesosContentType: 'protobuf' | 'json';
  /** Configuration every job starts from; the job's own keys win. */
  defaultConfiguration: Record<string, unknown>;
  /** Restarts of a job process that died while its job ran (then the job fails). @default 3 */
  jobProcessRestarts?: number;
  /** TaskManagers one job may have. @default 0 = unlimited */
  maxTaskManagersPerJob?: number;
  /** A job still INITIALIZING (planning: user code) after this long is killed and FAILED. @default 30000 */
  planningTimeoutMs?: number;
  /** After a cancel, SIGTERM a job process still alive after this long, then SIGKILL 5 s later. @default 10000 */
  cancelGraceMs?: number;
  logger: Logger;
}

function tail(file: string, bytes = 2000): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    const buf = Buffer.alloc(Math.min(bytes, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    closeSync(fd);
    return buf.toString('utf8');
  } catch {
    return '';
  }
}

export function isAlive(pid: number): boolean {
  if (!pid) return false;
  try { process.kill(pid, 0); return true; } catch { return false; }
}

export class JobSupervisor {
  private readonly children = new Map<string, ChildProcess>();
  private readonly orphans = new Map<string, number>();
  private orphanTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: JobSupervisorOptions) {}

  logDir(jobId: string): string { return join(this.o.dataDir, 'logs', jobId); }

  isRunning(jobId: string): boolean { return this.children.has(jobId) || this.orphans.has(jobId); }

  private readonly restarts = new Map<string, number>();
  private closing = false;

  /** Spawns the job process; resolves once the OS started it. `recoveryAttempt` > 0 restores a job whose process died. */
  async start(rec: JobRecord, recoveryAttempt = 0): Promise<void> {
    if (this.children.has(rec.id)) return;
    const dir = this.logDir(rec.id);
    mkdirSync(dir, { recursive: true });
    const logFile = join(dir, 'jobmaster.log');
    const spec: JobSpec = {
      jobId: rec.id, bundlePath: rec.bundlePath, entryClass: rec.entryClass, programArgs: rec.programArgs, parallelism: rec.parallelism,
      defaultName: rec.name, redisUrl: this.o.redisUrl, keyPrefix: this.o.keyPrefix, dataDir: this.o.dataDir,
      slotsPerTaskManager: this.o.slotsPerTaskManager, taskManagerMemoryMb: this.o.taskManagerMemoryMb, localMaxTaskManagers: this.o.localMaxTaskManagers,
      maxTaskManagers: this.o.maxTaskManagersPerJob ?? 0,
      configuration: { ...this.o.defaultConfiguration, ...rec.configuration }, savepointPath: rec.savepointPath || undefined,
      resourceManager: this.o.resourceManager, mesosMaster: this.o.mesosMaster, mesosContentType: this.o.mesosContentType,
      recoveryAttempt,
    };
    // The spec goes in a file (arguments can be large; an environment variable would hit E2BIG).
    const specFile = join(dir, 'job-spec.json');
    writeFileSync(specFile, JSON.stringify(spec), { mode: 0o600 });
    const log = openSync(logFile, 'a');
    // The argv names role and job so ps shows them even where the title cannot be longer than argv.
    const child = fork(JOBMASTER_MAIN, ['ebbflow-jobmaster', rec.id], {
      env: { ...process.env, EBBFLOW_JOB_SPEC_FILE: specFile },
      stdio: ['ignore', log, log, 'ipc'],
      execArgv: [],
    });
    closeSync(log);
    await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
    this.children.set(rec.id, child);
    this.o.logger.info({ jobId: rec.id, pid: child.pid }, 'job process started');
    await this.o.registry.update(rec.id, { pid: child.pid ?? 0 });
    const planning = setTimeout(() => void this.checkPlanned(rec.id, child), this.o.planningTimeoutMs ?? 30_000);
    planning.unref();
    child.once('exit', (code, signal) => {
      clearTimeout(planning);
      this.children.delete(rec.id);
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      void this.onExit(rec.id, `job process (pid ${child.pid}) ${how}`, logFile);
    });
  }

  /** Planning runs the user's job function: one that loops or waits forever must not hold the job. */
  private async checkPlanned(jobId: string, child: ChildProcess): Promise<void> {
    const rec = await this.o.registry.get(jobId).catch(() => undefined);
    if (!rec || rec.state !== 'INITIALIZING' || child.exitCode !== null || child.signalCode !== null) return;
    const ms = this.o.planningTimeoutMs ?? 30_000;
    this.o.logger.error({ jobId }, `planning did not finish within ${ms} ms; killing the job process`);
    await this.o.registry.transition(jobId, 'FAILED', {
      failureCause: `planning the job did not finish within ${ms} ms (EBBFLOW_PLANNING_TIMEOUT_MS): the job function must build the dataflow and return, not loop or wait`,
    }).catch(() => {});
    child.kill('SIGKILL');
  }

  private async onExit(jobId: string, how: string, logFile: string): Promise<void> {
    try {
      const rec = await this.o.registry.get(jobId);
      if (!rec) return;
      if (await this.maybeRestart(rec, how)) return;
      // A cancelled job whose process had to be killed is still cancelled.
      const applied = rec.state === 'CANCELLING'
        ? await this.o.registry.transition(jobId, 'CANCELED', { failureCause: `${how} while cancelling` })
        : await this.o.registry.transition(jobId, 'FAILED', {
          failureCause: `${how} before the job ended. Last log lines:\n${tail(logFile).split('\n').slice(-8).join('\n')}`,
        });
      if (applied) this.o.logger.error({ jobId }, `${how}; job marked ${rec.state === 'CANCELLING' ? 'CANCELED' : 'FAILED'}`);
      await this.reap(rec);
    } catch (err) {
      this.o.logger.error({ err, jobId }, 'could not record the end of a job process');
    }
  }

  /** The job is gone for good: on Mesos its framework, and any task left, must go too. */
  private async reap(rec: JobRecord): Promise<void> {
    await cleanupAfterDeadJobProcess(this.o, rec);
  }

  /**
   * A job process that died while its job ran (not planning, not cancelling, not ended) is started
   * again, at most `jobProcessRestarts` times with backoff (1 s, 2 s, 4 s, …); the new JobMaster
   * restores from the newest completed checkpoint. Each restart is in the job's exception history.
   */
  private async maybeRestart(rec: JobRecord, how: string): Promise<boolean> {
    const max = this.o.jobProcessRestarts ?? 3;
    const attempt = (this.restarts.get(rec.id) ?? 0) + 1;
    if (this.closing || !['CREATED', 'RUNNING', 'RESTARTING'].includes(rec.state) || attempt > max) return false;
    this.restarts.set(rec.id, attempt);
    const delay = 1000 * 2 ** (attempt - 1);
    const cause = `${how}; starting a new job process in ${delay} ms (restart ${attempt} of ${max}), restoring from the latest completed checkpoint`;
    this.o.logger.error({ jobId: rec.id }, cause);
    const exceptions = [...(rec.exceptions ?? []), { timestamp: Date.now(), cause, taskName: null, location: null }].slice(-20);
    await this.o.registry.transition(rec.id, 'RESTARTING', { exceptions });
    await new Promise((r) => setTimeout(r, delay));
    const now = await this.o.registry.get(rec.id);
    if (!now || this.closing) return true;
    if (now.state === 'CANCELLING') {
      await this.o.registry.transition(rec.id, 'CANCELED');
      await this.reap(now);
      return true;
    }
    if (now.state !== 'RESTARTING') return true;
    await this.start(now, attempt).catch(async (err: Error) => {
      await this.o.registry.transition(rec.id, 'FAILED', { failureCause: `${how}; a new job process could not be started: ${err.message}` });
    });
    return true;
  }

  /**
   * Asks the job's process to cancel; false when no process of this job is known. A process that
   * does not exit within the grace period (user code blocking its event loop) gets SIGTERM, then SIGKILL.
   */
  cancel(jobId: string): boolean {
    const child = this.children.get(jobId);
    if (child) {
      const grace = this.o.cancelGraceMs ?? 10_000;
      const escalate = setTimeout(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        this.o.logger.warn({ jobId, pid: child.pid }, `the job process did not stop within ${grace} ms of the cancel; SIGTERM, then SIGKILL`);
        child.kill('SIGTERM');
        setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, 5000).unref();
      }, grace);
      escalate.unref();
      child.once('exit', () => clearTimeout(escalate));
    }
    if (child?.connected) { child.send({ type: 'cancel' }); return true; }
    if (child) return child.kill('SIGTERM');
    const pid = this.orphans.get(jobId);
    if (pid && isAlive(pid)) { process.kill(pid, 'SIGTERM'); return true; }
    return false;
  }

  /** Adopts non-terminal jobs from an earlier dispatcher: alive ones are watched, dead ones fail. */
  async adopt(jobs: JobRecord[]): Promise<void> {
    for (const j of jobs) {
      if (this.children.has(j.id)) continue;
      if (j.pid && isAlive(j.pid)) this.orphans.set(j.id, j.pid);
      else if (j.state !== 'INITIALIZING' || j.pid) {
        await this.onExit(j.id, `job process (pid ${j.pid || 'unknown'}) is gone (found on dispatcher start)`, join(this.logDir(j.id), 'jobmaster.log'));
      }
    }
    this.orphanTimer ??= setInterval(() => {
      for (const [id, pid] of this.orphans) {
        if (isAlive(pid)) continue;
        this.orphans.delete(id);
        void this.onExit(id, `job process (pid ${pid}) exited`, join(this.logDir(id), 'jobmaster.log'));
      }
    }, 1000);
    this.orphanTimer.unref();
  }

  /** Cancels every running job process and waits (bounded) for them to exit. */
  async close(cancelJobs: boolean, timeoutMs = 15000): Promise<void> {
    this.closing = true;
    clearInterval(this.orphanTimer);
    if (!cancelJobs) {
      for (const c of this.children.values()) { c.disconnect?.(); c.unref(); }
      return;
    }
    const exits = [...this.children.values()].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      const t = setTimeout(() => { c.kill('SIGKILL'); }, timeoutMs);
      c.once('exit', () => { clearTimeout(t); resolve(); });
    }));
    for (const id of this.children.keys()) this.cancel(id);
    await Promise.all(exits);
  }
}
