/**
 * How busy the machine is while a benchmark runs, and how much of that is the run itself: every
 * second, the machine's busy CPU (/proc/stat), the CPU of this run's processes (this process and the
 * job processes and TaskManagers it started) and of Redis, in cores. On a shared machine the rest
 * ("other") explains a noisy step.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { cpuSeconds } from './procs.js';

export interface CpuShare { machine: number; ours: number; redis: number; other: number; samples: number }

interface Sample { t: number; machine: number; ours: number; redis: number }

function procStat(): { busy: number; total: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - f[3]! - f[4]!, total };
  } catch {
    return undefined;
  }
}

export class MachineSampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private prev: { t: number; stat: { busy: number; total: number }; cpu: Map<number, number>; redis: number } | undefined;
  private readonly cores = availableParallelism();

  constructor(private readonly pids: () => Iterable<number>, private readonly redisPid: number | undefined, private readonly everyMs = 1000) {}

  start(): void {
    this.prev = this.read();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private read() {
    const stat = procStat();
    if (!stat) return undefined;
    const cpu = new Map<number, number>();
    for (const pid of [process.pid, ...this.pids()]) {
      const s = cpuSeconds(pid);
      if (s !== undefined) cpu.set(pid, s);
    }
    return { t: Date.now(), stat, cpu, redis: this.redisPid ? cpuSeconds(this.redisPid) ?? 0 : 0 };
  }

  private sample(): void {
    const now = this.read();
    const prev = this.prev;
    if (!now || !prev) return;
    const secs = (now.t - prev.t) / 1000;
    const dTotal = now.stat.total - prev.stat.total;
    if (secs <= 0 || dTotal <= 0) return;
    let ours = 0;
    for (const [pid, s] of now.cpu) ours += s - (prev.cpu.get(pid) ?? 0);
    // A process that exited took its last interval's CPU along; keep its last value so it counts once.
    for (const [pid, s] of prev.cpu) if (!now.cpu.has(pid)) now.cpu.set(pid, s);
    this.samples.push({ t: now.t, machine: ((now.stat.busy - prev.stat.busy) / dTotal) * this.cores, ours: ours / secs, redis: (now.redis - prev.redis) / secs });
    this.prev = now;
  }

  /** Mean cores busy over the samples taken in [from, to]. */
  share(from: number, to: number): CpuShare {
    const s = this.samples.filter((x) => x.t >= from && x.t <= to);
    const mean = (f: (x: Sample) => number) => (s.length ? s.reduce((a, x) => a + f(x), 0) / s.length : NaN);
    const machine = mean((x) => x.machine), ours = mean((x) => x.ours), redis = mean((x) => x.redis);
    return { machine, ours, redis, other: Math.max(0, machine - ours - redis), samples: s.length };
  }
}
