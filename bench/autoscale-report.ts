/** The autoscaling benchmark's printed report: per row a table of phases, the two load changes, and the targets. */
import { fmtP, type ChangeReport, type RowReport } from './autoscale-analysis.js';
import type { Calibration } from './autoscale-calibrate.js';
import type { AutoscaleOptions, Policy } from './autoscale-options.js';
import type { LoadProfile } from './autoscale-profile.js';
import type { FlinkOptions } from './flink-policy.js';

export const POLICY_NAMES: Record<Policy, string> = { builtin: 'built-in autoscaler', flink: 'Flink-operator-style (FLIP-271, external)' };

const f0 = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const s = (ms: number) => `${Math.round(ms / 1000)} s`;

export function calibrationLines(c: Calibration, o: AutoscaleOptions, profile: LoadProfile): string {
  const runs = c.runs.map((r) => `parallelism ${r.parallelism}: ${f0(r.recordsPerSecond)} records/s (${f0(r.perSubtask)} per subtask, busiest subtask busy ${f0(r.sourceBusyMs)} ms/s)`).join('; ');
  const src = c.vertices[0]!;
  const noise = profile.noiseRange();
  return [
    `Calibration (${o.calibrateSeconds} s at saturation each): ${runs}; parallelism 2 did ${c.scaling?.toFixed(2) ?? 'n/a'}× parallelism 1.`,
    `Per-subtask capacity ${f0(c.perSubtask)} records/s (a lookup of ${o.enrichLatencyMs} ms per ${o.enrichBatch} records: at most ${f0((o.enrichBatch * 1000) / o.enrichLatencyMs)}); ` +
      `window vertex ${Number.isFinite(c.vertices[1]?.perSubtask ?? Infinity) ? `${f0(c.vertices[1]!.perSubtask)} records per busy second` : 'not measured (oracle 1)'}.`,
    `Profile: night ${f0(profile.spec.nightRate)}/s (${o.nightUtilization} of one subtask) for ${profile.window('night').toS} s → ×${o.stepFactor} = ${f0(profile.peakRate)}/s, ` +
      `plateau ${o.phases.plateau} s with ±${Math.round(o.noise * 100)} % (drawn ${noise.min.toFixed(2)}–${noise.max.toFixed(2)}, new level every ${o.noisePeriodS} s) → ramp down over ${o.phases.ramp} s → night ${o.phases.nightAfter} s; ` +
      `${o.streams} streams; the source vertex (${src.name.split(' -> ').length} chained operators, the enrichment last) runs at most ${Math.min(o.streams, src.maxParallelism)} subtasks.`,
  ].join('\n');
}

export function flinkLine(f: FlinkOptions, scale: number): string {
  return `Flink-style row: the operator's defaults × ${scale.toPrecision(3)} (profile ÷ 24 h): metrics window ${s(f.metricsWindowMs)}, stabilization ${s(f.stabilizationMs)}, ` +
    `scale-down interval ${s(f.scaleDownIntervalMs)}, catch-up ${s(f.catchUpMs)}, restart time ${s(f.restartMs)}, backlog lag threshold ${s(f.lagThresholdMs)}; ` +
    `utilization target ${f.targetUtilization} ± ${f.boundary}, scale-down max factor ${f.scaleDownMaxFactor}, vertex max parallelism ${f.vertexMaxParallelism}; busy time MAX over subtasks; parallelism aligned to the partitions / key groups.`;
}

function changeLine(c: ChangeReport, order: string[]): string {
  const what = c.change === 'step-up' ? `step up at ${c.atS} s` : `ramp down from ${c.atS} s (level reached at ${c.levelReachedS} s)`;
  const conv = c.timeToConvergeS === null ? (c.aboveOracle ? 'not converged (above the oracle at the end)' : 'not converged (backlog not drained)') : `converged ${c.timeToConvergeS.toFixed(0)} s after the ${c.change === 'step-up' ? 'change' : 'load reached its level'}`;
  return `- ${what}: ${c.steps} step(s), chosen ${fmtP(c.chosen, order)} vs oracle ${fmtP(c.oracle.byVertex)} (source/window vertex), ${conv}` +
    `${c.change === 'step-up' ? `, ${c.noisyRescales} rescale(s) after settling` : c.noisyRescales ? `, ${c.noisyRescales} rescale(s) after settling` : ''}${c.aboveOracle ? ', ABOVE the oracle after settling' : ''}`;
}

/** "48 s 1/1 → 4/1 in 1.7 s" per rescale, seconds into the profile. */
export function rescaleLine(rescales: ReadonlyArray<{ start: number; end: number | null; status: string; from: Record<string, number>; to: Record<string, number> }>, t0: number, order: string[]): string {
  if (!rescales.length) return '- rescales: none';
  return `- rescales: ${rescales.map((r) => `${Math.round((r.start - t0) / 1000)} s ${fmtP(r.from, order)} → ${fmtP({ ...r.from, ...r.to }, order)}` +
    (r.end !== null ? ` in ${((r.end - r.start) / 1000).toFixed(1)} s` : '') + (r.status !== 'COMPLETED' ? ` (${r.status})` : '')).join(', ')}`;
}

export function rowText(policy: Policy, r: RowReport | undefined, unavailable: string | undefined, order: string[], rescales = ''): string {
  const title = `### ${POLICY_NAMES[policy]}`;
  if (!r) return `${title}\n\n${policy === 'builtin' ? 'built-in autoscaler not available in this build' : 'not run'}${unavailable ? `: ${unavailable}` : ''}\n`;
  const head = '| phase | load records/s | oracle src/win (TMs) | parallelism at end | rescales | peak backlog | p99 alert latency ms | TaskManager-s (oracle) |';
  const sep = '|---|---:|---:|---:|---:|---:|---:|---:|';
  const rows = r.phases.map((p) => `| ${p.phase} ${p.fromS}–${p.toS} s | ${p.phase === 'ramp-down' ? '↓' : ''}${f0(p.level)} | ${fmtP(p.oracle.byVertex)} (${p.oracle.taskManagers}) | ` +
    `${fmtP(p.parallelismAtEnd, order)} (${f0(p.taskManagersAtEnd)}) | ${p.rescales} | ${f0(p.peakBacklog)} | ${f0(p.p99LatencyMs)} | ${f0(p.taskManagerSeconds)} |`);
  const targets = r.targets.map((t) => `- ${t.name}: ${t.holds === null ? 'NOT MEASURED' : t.holds ? 'HOLDS' : 'MISSED'} — ${t.detail}`);
  return [title, '', head, sep, ...rows, '', ...r.changes.map((c) => changeLine(c, order)), ...(rescales ? [rescales] : []),
    `- TaskManager-seconds: ${f0(r.taskManagerSeconds)} used, ${f0(r.fixedPeakTaskManagerSeconds)} for a job fixed at the peak's oracle, ${f0(r.oracleTaskManagerSeconds)} for the oracle`,
    '', 'Targets:', ...targets, ''].join('\n');
}
