/**
 * Issue 18 target 1 from a run's rows: medians of the runs of one invocation (the baseline's runs
 * interleaved with the job's), each ratio against the same run's baseline median.
 *   p=1 ≥ 0.85× the baseline's records/s; p=2 ≥ 1.0× it and ≥ 1.25× p=1; p=2 records/CPU-s ≥ 0.6× the baseline's.
 * The job rows counted are those in the default configuration (checkpointing and metrics on).
 */
import type { Row } from './report.js';

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');

export interface ThroughputMedians {
  baseline: { runs: number; recordsPerSecond: number; recordsPerCpuSecond: number };
  byParallelism: Record<number, { runs: number; recordsPerSecond: number; recordsPerCpuSecond: number }>;
}

export function throughputMedians(rows: Row[]): ThroughputMedians {
  const base = rows.filter((r) => r.parallelism === null);
  const jobs = rows.filter((r) => r.parallelism !== null && r.checkpointing !== false && r.metrics !== false);
  const byParallelism: ThroughputMedians['byParallelism'] = {};
  for (const p of [...new Set(jobs.map((r) => r.parallelism!))].sort((a, b) => a - b)) {
    const mine = jobs.filter((r) => r.parallelism === p);
    byParallelism[p] = { runs: mine.length, recordsPerSecond: median(mine.map((r) => r.recordsPerSecond)), recordsPerCpuSecond: median(mine.map((r) => r.recordsPerCpuSecond)) };
  }
  return {
    baseline: { runs: base.length, recordsPerSecond: median(base.map((r) => r.recordsPerSecond)), recordsPerCpuSecond: median(base.map((r) => r.recordsPerCpuSecond)) },
    byParallelism,
  };
}

/** The target-1 lines, each part HOLDS or MISSED (or not measured). */
export function throughputTargetLines(rows: Row[]): { text: string; holds: boolean | null; medians: ThroughputMedians } {
  const m = throughputMedians(rows);
  const b = m.baseline;
  const p1 = m.byParallelism[1];
  const p2 = m.byParallelism[2];
  const parts: Array<{ text: string; holds: boolean | null }> = [];
  const check = (name: string, value: number | undefined, target: number, detail: string) => {
    if (value === undefined || !Number.isFinite(value)) { parts.push({ text: `${name}: not measured`, holds: null }); return; }
    const holds = value >= target;
    parts.push({ text: `${name} ${x(value)} (target ≥ ${target.toFixed(2)}×, ${detail}): ${holds ? 'HOLDS' : 'MISSED'}`, holds });
  };
  check('p=1 records/s vs the baseline', p1 && p1.recordsPerSecond / b.recordsPerSecond, 0.85, `${fmtInt(p1?.recordsPerSecond ?? NaN)} vs ${fmtInt(b.recordsPerSecond)}`);
  check('p=2 records/s vs the baseline', p2 && p2.recordsPerSecond / b.recordsPerSecond, 1.0, `${fmtInt(p2?.recordsPerSecond ?? NaN)} vs ${fmtInt(b.recordsPerSecond)}`);
  check('p=2 vs p=1 records/s', p1 && p2 && p2.recordsPerSecond / p1.recordsPerSecond, 1.25, `${fmtInt(p2?.recordsPerSecond ?? NaN)} vs ${fmtInt(p1?.recordsPerSecond ?? NaN)}`);
  check('p=2 records/CPU-s vs the baseline', p2 && p2.recordsPerCpuSecond / b.recordsPerCpuSecond, 0.6, `${fmtInt(p2?.recordsPerCpuSecond ?? NaN)} vs ${fmtInt(b.recordsPerCpuSecond)}`);
  // Holds only when every part was measured and holds.
  const holds = parts.some((p) => p.holds === null) ? null : parts.every((p) => p.holds);
  const runs = `medians of ${b.runs} baseline run(s), ${p1?.runs ?? 0} at p=1 and ${p2?.runs ?? 0} at p=2, checkpointing and metrics on`;
  return { text: `Issue 18 target 1 (throughput; ${runs}):\n${parts.map((p) => `- ${p.text}`).join('\n')}`, holds, medians: m };
}
