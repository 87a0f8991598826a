/**
 * Issue 18 target 3's checkpoint overhead: the same throughput run with checkpoints every
 * `intervalMs` (exactly-once output) and with checkpointing off (interval 0, output at every flush),
 * `runs` times each per parallelism, the two variants interleaved (order alternating) so that a
 * neighbour's load hits both alike. The figure is the median of each variant: records/s with the
 * job's start-up excluded (start-up is no checkpoint cost) and records/CPU-s; overhead = 1 − (with
 * checkpoints ÷ without). Target: at most 10 % in records/s.
 */
import type { Alert } from '../examples/fraud-detection/reference.js';
import type { Redis } from 'ioredis';
import { runJobThroughput, type JobRunResult } from './job-run.js';

export interface OverheadInput {
  api: string; jarId: string; redis: Redis; redisUrl: string; redisPid: number | undefined;
  inputs: string[]; prefix: string; expected: Alert[]; windowMs: number; maxOutOfOrdernessMs: number; threshold: string; timeoutMs: number;
  parallelisms: number[]; runs: number; intervalMs: number; extraArgs?: string[]; jobConf?: Record<string, string>;
}

export interface OverheadRun { parallelism: number; checkpointing: boolean; seconds: number; steadyRecordsPerSecond: number; recordsPerCpuSecond: number; alertsOk: boolean; checkpoints: number | null }

export interface OverheadGroup {
  parallelism: number; runs: number;
  /** Medians: records/s (start-up excluded) and records/CPU-s, with checkpoints and without. */
  on: { recordsPerSecond: number; recordsPerCpuSecond: number };
  off: { recordsPerSecond: number; recordsPerCpuSecond: number };
  rateOverheadPct: number; cpuOverheadPct: number;
  holds: boolean;
}

const median = (xs: number[]): number => {
  const o = [...xs].sort((a, b) => a - b);
  const m = o.length >> 1;
  return o.length === 0 ? NaN : o.length % 2 ? o[m]! : (o[m - 1]! + o[m]!) / 2;
};

function summarize(j: JobRunResult, records: number, parallelism: number, checkpointing: boolean): OverheadRun {
  const steady = j.startupSeconds !== null ? j.seconds - j.startupSeconds : j.seconds;
  return { parallelism, checkpointing, seconds: j.seconds, steadyRecordsPerSecond: records / steady, recordsPerCpuSecond: records / j.cpuSeconds, alertsOk: j.alertsOk, checkpoints: j.checkpoints?.count ?? null };
}

export async function runCheckpointOverhead(x: OverheadInput, records: number, log: (s: string) => void): Promise<{ runs: OverheadRun[]; groups: OverheadGroup[] }> {
  const runs: OverheadRun[] = [];
  const ps = [...new Set(x.parallelisms)];
  let n = 0;
  for (let r = 0; r < x.runs; r++) {
    for (const p of ps) {
      const order = n++ % 2 === 0 ? [true, false] : [false, true];
      for (const on of order) {
        log(`checkpoint overhead: run ${r + 1}/${x.runs}, p=${p}, checkpoints ${on ? `every ${x.intervalMs} ms` : 'off'}`);
        const j = await runJobThroughput({
          api: x.api, jarId: x.jarId, redis: x.redis, redisUrl: x.redisUrl, redisPid: x.redisPid, inputs: x.inputs,
          output: `${x.prefix}overhead-${r}-p${p}-${on ? 'on' : 'off'}:alerts`, parallelism: p, expected: x.expected,
          windowMs: x.windowMs, maxOutOfOrdernessMs: x.maxOutOfOrdernessMs, threshold: x.threshold, timeoutMs: x.timeoutMs,
          flinkConfiguration: { ...x.jobConf, 'execution.checkpointing.interval': on ? String(x.intervalMs) : '0' }, extraArgs: x.extraArgs,
        }, log);
        runs.push(summarize(j, records, p, on));
      }
    }
  }
  const groups = ps.map((p): OverheadGroup => {
    const pick = (on: boolean) => runs.filter((r) => r.parallelism === p && r.checkpointing === on);
    const on = { recordsPerSecond: median(pick(true).map((r) => r.steadyRecordsPerSecond)), recordsPerCpuSecond: median(pick(true).map((r) => r.recordsPerCpuSecond)) };
    const off = { recordsPerSecond: median(pick(false).map((r) => r.steadyRecordsPerSecond)), recordsPerCpuSecond: median(pick(false).map((r) => r.recordsPerCpuSecond)) };
    const rateOverheadPct = 100 * (1 - on.recordsPerSecond / off.recordsPerSecond);
    const cpuOverheadPct = 100 * (1 - on.recordsPerCpuSecond / off.recordsPerCpuSecond);
    return { parallelism: p, runs: pick(true).length, on, off, rateOverheadPct, cpuOverheadPct, holds: rateOverheadPct <= 10 };
  });
  return { runs, groups };
}

const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

export function overheadLines(intervalMs: number, groups: OverheadGroup[], runs: OverheadRun[]): string {
  if (groups.length === 0) return 'Checkpoint overhead: not measured (--overhead-runs 0).';
  const lines = groups.map((g) => {
    const each = (on: boolean) => runs.filter((r) => r.parallelism === g.parallelism && r.checkpointing === on).map((r) => fmtInt(r.steadyRecordsPerSecond)).join(', ');
    return `- parallelism ${g.parallelism}, ${g.runs} run(s) each: records/s (start-up excluded) median ${fmtInt(g.on.recordsPerSecond)} with checkpoints (${each(true)}) vs ${fmtInt(g.off.recordsPerSecond)} off (${each(false)}): overhead ${g.rateOverheadPct.toFixed(1)} %; records/CPU-s ${fmtInt(g.on.recordsPerCpuSecond)} vs ${fmtInt(g.off.recordsPerCpuSecond)}: ${g.cpuOverheadPct.toFixed(1)} % — ${g.holds ? 'HOLDS' : 'MISSED'}`;
  });
  const wrong = runs.filter((r) => !r.alertsOk).length;
  return `Checkpoint overhead (target: ≤ 10 % fewer records/s with checkpoints every ${intervalMs} ms than with checkpointing off; medians of interleaved runs, same data):\n${lines.join('\n')}${wrong ? `\n- ${wrong} run(s) with WRONG alerts` : ''}`;
}
