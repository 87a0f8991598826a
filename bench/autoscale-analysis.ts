/**
 * What an autoscaling row did, against the oracle (pure: samples, rescales and alerts in, figures
 * and targets out).
 *
 * Two load changes: the step up (at the plateau's start; its window is the plateau) and the ramp
 * down (from its start to the end of the profile; the load reaches its level at the ramp's end).
 * For each, over its window:
 * - chosen: each vertex's parallelism at the window's end; the oracle: the smallest parallelism at
 *   target utilisation for the level the load changed to (autoscale-profile.ts);
 * - settled: the first moment in the window from which the parallelism is the chosen one (the
 *   window's start if it already was, else the end of the rescale that set it);
 * - steps: rescales in the window that ended by then; noisy rescales: those that started after it
 *   (on the plateau: the job rescaled although it already had what it kept);
 * - converged: the first sample after settling from which the backlog stays drained (at most one
 *   second of input, or 50 records) to the window's end, provided no vertex is above its oracle at
 *   the end; time to converge from the load change (the ramp: from the moment it reached its
 *   level, at least 0).
 */
import type { Alert } from '../examples/fraud-detection/reference.js';
import { percentile } from './latency.js';
import { oracleFor, oracleTaskManagerSeconds, PHASES, type LoadProfile, type Oracle, type PhaseName, type VertexCapacity } from './autoscale-profile.js';

export interface AnalysisSample { t: number; parallelism: Record<string, number>; taskManagers: number; backlog: number | null }
export interface AnalysisRescale { start: number; end: number | null; status: string; from: Record<string, number>; to: Record<string, number> }
export interface AnalysisArrival { t: number; alert: Alert }

export interface AnalysisInput {
  profile: LoadProfile;
  /** Date.now() when the profile began. */
  t0: number;
  capacity: VertexCapacity[];
  target: number;
  maxOutOfOrdernessMs: number;
  samples: AnalysisSample[];
  rescales: AnalysisRescale[];
  arrivals: AnalysisArrival[];
  alertsOk: boolean;
  alertsCheck: string;
}

export interface PhaseReport {
  phase: PhaseName; fromS: number; toS: number; level: number; oracle: Oracle;
  parallelismAtEnd: Record<string, number>; taskManagersAtEnd: number;
  peakBacklog: number | null; p99LatencyMs: number | null; alerts: number; rescales: number; taskManagerSeconds: number;
}

export interface ChangeReport {
  change: 'step-up' | 'ramp-down'; atS: number; levelReachedS: number; oracle: Oracle; chosen: Record<string, number>;
  steps: number; noisyRescales: number; settledS: number; convergedS: number | null; timeToConvergeS: number | null;
  /** Some vertex above its oracle after settling (or at the end). */
  aboveOracle: boolean;
}

export interface Target { name: string; holds: boolean | null; detail: string }

export interface RowReport {
  phases: PhaseReport[];
  changes: ChangeReport[];
  taskManagerSeconds: number;
  fixedPeakTaskManagerSeconds: number;
  oracleTaskManagerSeconds: number;
  /** 1 − used ÷ fixed peak. */
  saving: number;
  oracleSaving: number;
  targets: Target[];
}

const relS = (t: number, t0: number) => (t - t0) / 1000;

/** Sample-and-hold integral of the TaskManager count over [from, to] (ms). */
export function taskManagerSeconds(samples: readonly AnalysisSample[], from: number, to: number): number {
  let total = 0;
  let last: number | undefined;
  const inside = samples.filter((s) => Number.isFinite(s.taskManagers));
  for (let i = 0; i < inside.length; i++) {
    const s = inside[i]!;
    const next = inside[i + 1]?.t ?? to;
    const a = Math.max(from, s.t), b = Math.min(to, next);
    if (b > a) total += (s.taskManagers * (b - a)) / 1000;
    last = s.taskManagers;
  }
  // Before the first sample the job had what the first sample shows.
  const first = inside[0];
  if (first && first.t > from) total += (first.taskManagers * (Math.min(first.t, to) - from)) / 1000;
  return last === undefined ? NaN : total;
}

function parallelismAt(samples: readonly AnalysisSample[], t: number): Record<string, number> {
  let p: Record<string, number> = samples[0]?.parallelism ?? {};
  for (const s of samples) { if (s.t > t) break; p = s.parallelism; }
  return p;
}

const above = (p: Record<string, number>, o: Oracle) => Object.entries(o.byVertex).some(([id, n]) => (p[id] ?? 0) > n);
const sameAs = (p: Record<string, number>, q: Record<string, number>) => Object.keys(q).every((id) => p[id] === q[id]);

function analyzeChange(x: AnalysisInput, change: ChangeReport['change']): ChangeReport {
  const { profile, t0 } = x;
  const w = change === 'step-up' ? profile.window('plateau') : { fromS: profile.window('ramp-down').fromS, toS: profile.durationS };
  const levelReachedS = change === 'step-up' ? w.fromS : profile.window('ramp-down').toS;
  const a = t0 + w.fromS * 1000, b = t0 + w.toS * 1000;
  const oracle = oracleFor(x.capacity, profile.levelOf(change === 'step-up' ? 'plateau' : 'night-after'), x.target);
  const inW = x.samples.filter((s) => s.t >= a && s.t < b);
  const chosen = inW[inW.length - 1]?.parallelism ?? parallelismAt(x.samples, b);
  const rescales = x.rescales.filter((r) => r.start >= a && r.start < b);
  // Settled: the window's start if the parallelism already was the chosen one, else the end of the first rescale that made it so.
  let settled = sameAs(parallelismAt(x.samples, a), chosen) ? a : NaN;
  if (Number.isNaN(settled)) {
    let p = { ...parallelismAt(x.samples, a) };
    for (const r of rescales) {
      if (r.status !== 'COMPLETED' || r.end === null) continue;
      p = { ...p, ...r.to };
      if (sameAs(p, chosen)) { settled = r.end; break; }
    }
    if (Number.isNaN(settled)) settled = inW.find((s) => sameAs(s.parallelism, chosen))?.t ?? b;
  }
  const steps = rescales.filter((r) => r.start < settled).length;
  const noisy = rescales.length - steps;
  const aboveOracle = above(chosen, oracle) || inW.some((s) => s.t >= settled && above(s.parallelism, oracle));
  let convergedS: number | null = null;
  if (!above(chosen, oracle)) {
    // The first sample after settling from which the backlog stays drained to the window's end.
    const drained = (s: AnalysisSample) => s.backlog === null || s.backlog <= Math.max(50, profile.rateAt(relS(s.t, t0)));
    const after = inW.filter((s) => s.t >= settled);
    let i = after.length;
    while (i > 0 && drained(after[i - 1]!)) i--;
    if (i < after.length) convergedS = relS(after[i]!.t, t0);
  }
  return {
    change, atS: w.fromS, levelReachedS, oracle, chosen, steps, noisyRescales: noisy, settledS: relS(settled, t0), convergedS,
    timeToConvergeS: convergedS === null ? null : Math.max(0, convergedS - levelReachedS), aboveOracle,
  };
}

function analyzePhase(x: AnalysisInput, name: PhaseName): PhaseReport {
  const { profile, t0 } = x;
  const w = profile.window(name);
  const a = t0 + w.fromS * 1000, b = t0 + w.toS * 1000;
  const inW = x.samples.filter((s) => s.t >= a && s.t < b);
  const backlogs = inW.map((s) => s.backlog).filter((v): v is number => v !== null);
  const latencies = x.arrivals
    .filter((ar) => { const due = ar.alert.windowEnd + x.maxOutOfOrdernessMs; return due >= a && due < b; })
    .map((ar) => ar.t - (ar.alert.windowEnd + x.maxOutOfOrdernessMs))
    .sort((p, q) => p - q);
  const last = inW[inW.length - 1];
  return {
    phase: name, fromS: w.fromS, toS: w.toS, level: profile.levelOf(name), oracle: oracleFor(x.capacity, profile.levelOf(name), x.target),
    parallelismAtEnd: last?.parallelism ?? {}, taskManagersAtEnd: last?.taskManagers ?? NaN,
    peakBacklog: backlogs.length ? Math.max(...backlogs) : null, p99LatencyMs: latencies.length ? percentile(latencies, 0.99) : null, alerts: latencies.length,
    rescales: x.rescales.filter((r) => r.start >= a && r.start < b).length, taskManagerSeconds: taskManagerSeconds(x.samples, a, b),
  };
}

export function analyzeRow(x: AnalysisInput): RowReport {
  const { profile, t0 } = x;
  const phases = PHASES.map((p) => analyzePhase(x, p));
  const changes = [analyzeChange(x, 'step-up'), analyzeChange(x, 'ramp-down')];
  const used = taskManagerSeconds(x.samples, t0, t0 + profile.durationS * 1000);
  const peak = oracleFor(x.capacity, profile.peakRate, x.target).taskManagers;
  const fixed = peak * profile.durationS;
  const ideal = oracleTaskManagerSeconds(profile, x.capacity, x.target);
  const saving = 1 - used / fixed;
  const [up, down] = changes as [ChangeReport, ChangeReport];
  const plateau = phases.find((p) => p.phase === 'plateau')!;
  const order = x.capacity.map((v) => v.vertexId);
  const targets: Target[] = [
    { name: '≤ 2 steps per load change', holds: up.steps <= 2 && down.steps <= 2, detail: `step up ${up.steps}, ramp down ${down.steps}` },
    {
      name: 'never above the oracle after convergence', holds: !up.aboveOracle && !down.aboveOracle,
      detail: `step up ${fmtP(up.chosen, order)} vs oracle ${fmtP(up.oracle.byVertex)}, ramp down ${fmtP(down.chosen, order)} vs oracle ${fmtP(down.oracle.byVertex)} (per vertex)`,
    },
    {
      name: 'converged within 60 s of the step change', holds: up.timeToConvergeS !== null && up.timeToConvergeS <= 60,
      detail: up.timeToConvergeS === null ? 'not converged' : `${up.timeToConvergeS.toFixed(0)} s`,
    },
    { name: '0 rescales during the noisy plateau', holds: up.noisyRescales === 0, detail: `${up.noisyRescales} after settling (${plateau.rescales} on the plateau in all)` },
    {
      name: '≥ 40 % fewer TaskManager-seconds than the fixed-peak job', holds: Number.isFinite(saving) ? saving >= 0.4 : null,
      detail: `${Math.round(used)} vs ${Math.round(fixed)} (${peak} × ${profile.durationS} s): ${(100 * saving).toFixed(1)} % fewer; the oracle itself: ${(100 * (1 - ideal / fixed)).toFixed(1)} % fewer`,
    },
    { name: 'exact alerts', holds: x.alertsOk, detail: x.alertsCheck },
  ];
  return { phases, changes, taskManagerSeconds: used, fixedPeakTaskManagerSeconds: fixed, oracleTaskManagerSeconds: ideal, saving, oracleSaving: 1 - ideal / fixed, targets };
}

/** "2/1" for parallelism by vertex, in the oracle's vertex order when given. */
export function fmtP(p: Record<string, number>, order?: string[]): string {
  return (order ?? Object.keys(p)).map((id) => p[id] ?? '?').join('/');
}
