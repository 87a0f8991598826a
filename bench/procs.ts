/** Process measurements from /proc (Linux): RSS, peak RSS, CPU time; and a sampler for a job's processes. */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { logIgnored } from './log.js';

const execFileAsync = promisify(execFile);

let ticksPerSecond: number | undefined;
/** Clock ticks per second (utime/stime unit in /proc/<pid>/stat). */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM); undefined when the process is gone. */
export function statusKb(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of a process in seconds (children not included); undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (Number(rest[11]) + Number(rest[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

export interface JobProcess { pid: number; role: 'jobmaster' | 'taskmanager'; args: string }

/** The processes of a job (or of several), from one `ps -eo pid=,args=` (their titles are `ebbflow-jobmaster <jobid>` / `ebbflow-taskmanager <jobid> <n>`). */
export async function jobProcesses(jobId: string | string[]): Promise<JobProcess[]> {
  const ids = typeof jobId === 'string' ? [jobId] : jobId;
  if (ids.length === 0) return [];
  const { stdout } = await execFileAsync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  const out: JobProcess[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const args = m[2]!;
    if (ids.some((id) => args.includes(`ebbflow-jobmaster ${id}`))) out.push({ pid: Number(m[1]), role: 'jobmaster', args });
    else if (ids.some((id) => args.includes(`ebbflow-taskmanager ${id}`))) out.push({ pid: Number(m[1]), role: 'taskmanager', args });
  }
  return out;
}

export interface MemoryReport {
  samples: number;
  /** Peak RSS of the job master process, MB (max of the samples and its VmHWM). */
  jobMasterPeakMb: number | null;
  /** Largest peak RSS over the TaskManagers, MB. */
  taskManagerPeakMb: number | null;
  /** Mean total RSS of the job's processes in the last quarter of samples / in the second quarter. */
  lastToSecondQuarter: number | null;
  /** Total RSS of the job's processes per sample, MB (for the JSON). */
  totalMbSeries: number[];
}

/** Mean of the last quarter of a series divided by the mean of its second quarter (null if too short). */
export function quarterRatio(series: number[]): number | null {
  if (series.length < 8) return null;
  const q = Math.floor(series.length / 4);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const second = mean(series.slice(q, 2 * q));
  const last = mean(series.slice(series.length - q));
  return second > 0 ? last / second : null;
}

/**
 * Samples every `everyMs` the RSS of every process of a job. `ps` runs until the expected number of
 * processes is known (and again whenever one disappears); between scans only /proc is read.
 */
export class JobProcessSampler {
  private readonly known = new Map<number, JobProcess>();
  private readonly peakKb = new Map<number, number>();
  private readonly totals: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly jobId: string, private readonly expectedProcesses: number, private readonly everyMs = 250) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.everyMs);
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.known.size < this.expectedProcesses) await this.rescan();
      let total = 0;
      let gone = false;
      for (const p of this.known.values()) {
        const kb = statusKb(p.pid, 'VmRSS');
        if (kb === undefined) { gone = true; continue; }
        total += kb;
        this.peakKb.set(p.pid, Math.max(this.peakKb.get(p.pid) ?? 0, kb));
      }
      if (gone) await this.rescan();
      if (this.known.size > 0) this.totals.push(total);
    } catch {
      // ps failed once (fork pressure): skip this sample.
    } finally {
      this.busy = false;
    }
  }

  private async rescan(): Promise<void> {
    for (const p of await jobProcesses(this.jobId)) this.known.set(p.pid, p);
    for (const pid of [...this.known.keys()]) if (statusKb(pid, 'VmRSS') === undefined) this.known.delete(pid);
  }

  /** Final scan: the job's live processes (call before cancelling). */
  async processes(): Promise<JobProcess[]> {
    await this.rescan();
    return [...this.known.values()];
  }

  stop(): MemoryReport {
    clearInterval(this.timer);
    let jm: number | null = null;
    let tm: number | null = null;
    for (const p of this.known.values()) {
      const kb = Math.max(this.peakKb.get(p.pid) ?? 0, statusKb(p.pid, 'VmHWM') ?? 0);
      const mb = kb / 1024;
      if (p.role === 'jobmaster') jm = Math.max(jm ?? 0, mb);
      else tm = Math.max(tm ?? 0, mb);
    }
    const totalMbSeries = this.totals.map((kb) => Math.round(kb / 102.4) / 10);
    return { samples: this.totals.length, jobMasterPeakMb: jm, taskManagerPeakMb: tm, lastToSecondQuarter: quarterRatio(this.totals), totalMbSeries };
  }
}

/** pid of a local redis-server listening on `port`, if one is visible (its CPU is reported separately). */
export async function localRedisPid(redisUrl: string): Promise<number | undefined> {
  try {
    const u = new URL(redisUrl);
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)) return undefined;
    const port = u.port || '6379';
    const { stdout } = await execFileAsync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
    for (const line of stdout.split('\n')) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (m && /redis-server/.test(m[2]!) && m[2]!.includes(`:${port}`)) return Number(m[1]);
    }
  } catch {
    // not Linux or no ps: no Redis CPU figure
  }
  return undefined;
}

/** Whether a process is gone (no /proc entry, or a zombie waiting to be reaped). */
export function processExited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/** Polls every 20 ms until every pid has exited; pid → Date.now() at which it was first seen gone (absent on time-out). */
export async function waitForExits(pids: number[], timeoutMs: number): Promise<Map<number, number>> {
  const gone = new Map<number, number>();
  const deadline = Date.now() + timeoutMs;
  while (gone.size < pids.length && Date.now() < deadline) {
    for (const pid of pids) if (!gone.has(pid) && processExited(pid)) gone.set(pid, Date.now());
    if (gone.size < pids.length) await new Promise((r) => setTimeout(r, 20));
  }
  return gone;
}

/**
 * Every `everyMs`, adds the pids of the job processes and TaskManagers of `jobs` (read each time: the
 * caller may add ids) to `pids`, so the clean-up can end every one by pid even if it outlives its
 * job. Answers the timer (clearInterval it).
 */
export function watchJobPids(jobs: readonly string[], pids: Set<number>, everyMs: number): NodeJS.Timeout {
  return setInterval(() => {
    void jobProcesses([...jobs]).then((ps) => { for (const p of ps) pids.add(p.pid); }).catch(logIgnored('listing the job processes'));
  }, everyMs);
}
