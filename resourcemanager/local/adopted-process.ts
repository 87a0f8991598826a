/**
 * A TaskManager process the local driver did not start itself: one an earlier job process of the job
 * started, taken over after a job-process failover. It is not our child, so there is no 'exit'
 * event: it is known by its pid, watched by polling, and signalled only while its command line still
 * shows it as a TaskManager of the job (a pid the kernel gave to another process since is left alone).
 */
import { readFileSync } from 'node:fs';

/** How often an adopted process is looked at while stopping it. */
const STOP_POLL_MS = 50;

/** What a TaskManager of the job shows as its command line (taskmanager/main.ts sets `ebbflow-taskmanager <jobid> <n>`). */
function looksLikeTaskManager(pid: number, jobIdPrefix: string): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // No /proc (not Linux): the signal 0 probe alone decides.
    return process.platform !== 'linux';
  }
  return cmdline.replace(/\0/g, ' ').includes(`ebbflow-taskmanager ${jobIdPrefix}`);
}

/** A zombie (exited, not yet reaped by whoever inherited it) counts as gone. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

export class AdoptedProcess {
  /** @param jobIdPrefix the start of the job id its command line shows */
  constructor(readonly resourceId: string, readonly pid: number, private readonly jobIdPrefix: string) {}

  /** Whether the process still runs as this job's TaskManager. */
  alive(): boolean {
    if (!this.pid) return false;
    try {
      process.kill(this.pid, 0);
    } catch {
      return false; // ESRCH: gone (EPERM: someone else's process now)
    }
    return !isZombie(this.pid) && looksLikeTaskManager(this.pid, this.jobIdPrefix);
  }

  private signal(sig: NodeJS.Signals): void {
    if (!this.alive()) return;
    try { process.kill(this.pid, sig); } catch { /* gone in between */ }
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once it is gone. */
  async stop(timeoutMs: number): Promise<void> {
    this.signal('SIGTERM');
    const killAt = Date.now() + timeoutMs;
    let killed = false;
    while (this.alive()) {
      if (!killed && Date.now() >= killAt) { this.signal('SIGKILL'); killed = true; }
      if (killed && Date.now() >= killAt + 5000) return; // unkillable (D state): nothing more to do
      await new Promise((r) => setTimeout(r, STOP_POLL_MS));
    }
  }
}
