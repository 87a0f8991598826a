/** The results table (markdown) and the JSON file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckpointSummary } from './rest.js';

export interface Row {
  run: string;
  parallelism: number | null;
  /** Job runs: whether checkpointing (and so exactly-once output) was on. */
  checkpointing?: boolean;
  /** Job runs: whether metrics collection (ebbflow.metrics.enabled) was on. */
  metrics?: boolean;
  /** Job runs: the on/off pair it belongs to (same parallelism and checkpointing, back to back). */
  pair?: number;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  /** records/s relative to the baseline's (1 = as fast). */
  vsBaseline: number | null;
  cpuSeconds: number;
  recordsPerCpuSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; alerts: number; ok: boolean } | null;
  /** Peak RSS, MB: the baseline's process, or the job master and the largest TaskManager. */
  peakRssMb: { process?: number; jobMaster?: number | null; maxTaskManager?: number | null };
  rssLastToSecondQuarter: number | null;
  /** Job runs: seconds from the run response until the job was RUNNING (included in `seconds`). */
  startupSeconds?: number | null;
  checkpoints: CheckpointSummary | null;
  alertsOk: boolean;
  alertsCheck: string;
  details?: Record<string, unknown>;
}

const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmt = (n: number | null | undefined, digits = 1) => (n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));

export function renderTable(rows: Row[]): string {
  const head = '| run | records | seconds | records/s | vs baseline | records/CPU-s | latency p50/p99 ms | peak RSS MB (JM / max TM) | RSS last/second quarter | checkpoint avg/max ms | alerts ok |';
  const sep = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|';
  const lines = rows.map((r) => {
    const rss = r.peakRssMb.process !== undefined ? `${fmt(r.peakRssMb.process, 0)} (one process)` : `${fmt(r.peakRssMb.jobMaster, 0)} / ${fmt(r.peakRssMb.maxTaskManager, 0)}`;
    const lat = r.latencyMs ? `${fmtInt(r.latencyMs.p50)} / ${fmtInt(r.latencyMs.p99)}${r.latencyMs.ok ? '' : ' ✗'}` : r.parallelism === null ? '—' : 'n/a';
    const cp = r.checkpoints ? (r.checkpoints.count > 0 ? `${fmtInt(r.checkpoints.avgMs)} / ${fmtInt(r.checkpoints.maxMs)} (${r.checkpoints.count})` : 'none completed') : 'n/a';
    const vs = r.vsBaseline === null ? '1.00×' : `${r.vsBaseline.toFixed(2)}×`;
    return `| ${r.run} | ${fmtInt(r.records)} | ${fmt(r.seconds, 2)} | ${fmtInt(r.recordsPerSecond)} | ${vs} | ${fmtInt(r.recordsPerCpuSecond)} | ${lat} | ${rss} | ${fmt(r.rssLastToSecondQuarter, 2)} | ${cp} | ${r.alertsOk ? '✓' : '✗'} |`;
  });
  return [head, sep, ...lines].join('\n');
}

export function targetLine(rows: Row[]): { text: string; holds: boolean | null } {
  const p2 = rows.find((r) => r.parallelism === 2 && r.checkpointing !== false && r.metrics !== false);
  if (!p2 || p2.vsBaseline === null) return { text: 'Target "parallelism 2 sustains ≥ 50% of the baseline\'s records/s": not measured (no parallelism-2 run).', holds: null };
  const holds = p2.vsBaseline >= 0.5;
  const base = p2.recordsPerSecond / p2.vsBaseline;
  const startup = p2.startupSeconds ?? null;
  const steady = startup !== null ? p2.records / (p2.seconds - startup) : null;
  const steadyText = steady !== null ? ` Excluding the job's ${startup!.toFixed(2)} s start-up (run response → RUNNING): ${fmtInt(steady)} records/s = ${((100 * steady) / base).toFixed(1)}%.` : '';
  return {
    text: `Target "parallelism 2 sustains ≥ 50% of the baseline's records/s": ${holds ? 'HOLDS' : 'MISSED'} — ${(p2.vsBaseline * 100).toFixed(1)}% (${fmtInt(p2.recordsPerSecond)} vs ${fmtInt(base)} records/s).${steadyText}`,
    holds,
  };
}

/** records/s excluding the job's start-up (run response → RUNNING), or overall when not known. */
const steadyRate = (r: Row): number => (r.startupSeconds ? r.records / (r.seconds - r.startupSeconds) : r.recordsPerSecond);

/**
 * The cost of metrics collection: per parallelism (and checkpointing), the job with metrics on
 * against the same job with them off in the same run, as a drop in records/s (start-up excluded)
 * and in records per CPU-second. Target: at most 3 %.
 */
export function metricsCostLines(rows: Row[]): { text: string; drops: Array<{ parallelism: number; checkpointing: boolean; rateDropPct: number; cpuDropPct: number }> } {
  const drops: Array<{ parallelism: number; checkpointing: boolean; rateDropPct: number; cpuDropPct: number }> = [];
  for (const on of rows.filter((r) => r.metrics === true)) {
    const off = rows.find((r) => r.metrics === false && r.pair === on.pair);
    if (!off) continue;
    drops.push({
      parallelism: on.parallelism!, checkpointing: on.checkpointing !== false,
      rateDropPct: 100 * (1 - steadyRate(on) / steadyRate(off)), cpuDropPct: 100 * (1 - on.recordsPerCpuSecond / off.recordsPerCpuSecond),
    });
  }
  if (drops.length === 0) return { text: 'Metrics cost: not measured (run with --metrics both).', drops };
  const lines = drops.map((d) => `parallelism ${d.parallelism}${d.checkpointing ? '' : ' (checkpointing off)'}: drop ${d.rateDropPct.toFixed(1)}% in records/s (start-up excluded), ${d.cpuDropPct.toFixed(1)}% in records/CPU-s`);
  const worst = Math.max(...drops.map((d) => d.rateDropPct));
  return { text: `Metrics cost (target: at most 3 % drop with ebbflow.metrics.enabled on vs off, same run; a negative drop = faster with metrics on, i.e. run-to-run noise): ${lines.join('; ')}. Worst: ${worst.toFixed(1)}% — ${worst <= 3 ? 'HOLDS' : 'MISSED'}.`, drops };
}

export function footnotes(o: { windowMs: number; ooo: number; latencySeconds: number; latencyRate: number; cores: number }): string {
  return [
    `* records/s: entries read / wall time. Baseline: a plain Node loop in a child process (XREAD COUNT 1000 round-robin, no framework), first read → last alert XADDed. Job: run response → output stream holds every expected alert; this includes TaskManager start-up and, with exactly-once output, up to one checkpoint interval before the last alerts are published.`,
    `* records/CPU-s: records / (utime+stime) of the measured processes: the baseline process, or the job master plus all TaskManagers (read from /proc before cancelling, start-up included). Redis' own CPU is not included (it is in the JSON as redisCpuSeconds). The machine has ${o.cores} cores shared by Redis, the job's processes and this process.`,
    `* latency: a separate run per parallelism on fresh streams, written live at ${o.latencyRate} records/s for ${o.latencySeconds} s from a window boundary, with event time = wall clock (minus the generator's ≤ 2 s disorder); a window's alerts all fire at once, so the percentiles are over few bursts (alert and window counts in the JSON). Alert latency = time the alert is read from the output stream (XREAD BLOCK) − (window end + max out-of-orderness ${o.ooo} ms), i.e. how long after the earliest moment the alert could be known it became visible. p50/p99 over all alerts of the run.`,
    `* peak RSS: max of 250 ms samples of VmRSS and the process's VmHWM. RSS last/second quarter: mean total RSS of the job's processes (baseline: its process) over the last quarter of the samples / over the second quarter (≈ 1.00 = flat).`,
    `* With checkpointing on (the default) the Redis sink publishes a checkpoint's output when that checkpoint completes (interval 1 s), so a job's time includes the wait for the checkpoint after its last record and a latency floor of up to an interval; rows marked "checkpointing off" run with execution.checkpointing.interval = 0 (output at every flush).`,
    `* metrics off: rows run with ebbflow.metrics.enabled = false (no counters, no timing, no heartbeat metrics, no snapshot); the other rows collect metrics (the default: heartbeats every 1 s, a snapshot every 2 s). On and off alternate in order per parallelism so neither always runs first. The latency phase runs with metrics on only.`,
    `* checkpoint avg/max: end_to_end_duration of completed checkpoints from GET /jobs/:id/checkpoints (count in parentheses); n/a when the endpoint does not exist.`,
    `* alerts ok: the output stream equals the reference (examples/fraud-detection/reference.ts), compared as sorted lists of (window, from, to, total, count); ${o.windowMs / 1000} s tumbling windows per (from, to), alert when the sum > threshold.`,
  ].join('\n');
}

export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}
