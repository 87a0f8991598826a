/**
 * The load profile of the autoscaling benchmark and its oracle, both pure.
 *
 * Profile (a day compressed): night at `nightRate` → a step up to `stepFactor` × that → a plateau
 * with ±`noise` (a new level every `noisePeriodS`, seeded) → a linear ramp back down → night again.
 *
 * Oracle: the smallest parallelism that keeps a vertex's busiest subtask at or below the target
 * utilisation for a rate, from the per-subtask capacity measured by the calibration runs. A Redis
 * Streams source's subtask reads whole streams (stream j → subtask j mod p), so its busiest subtask
 * gets ⌈streams ÷ p⌉ of them: with 8 streams, 3 subtasks read 3, 3 and 2 streams, so the busiest
 * does 3/8 of the work, as 8/3 even subtasks would (the same rule as autoscaler/decision.ts).
 */
import { mulberry32 } from '../examples/fraud-detection/generator.js';

export type PhaseName = 'night' | 'plateau' | 'ramp-down' | 'night-after';
export const PHASES: readonly PhaseName[] = ['night', 'plateau', 'ramp-down', 'night-after'];

export interface ProfileSpec {
  nightRate: number;
  stepFactor: number;
  phases: { night: number; plateau: number; ramp: number; nightAfter: number };
  noise: number;
  noisePeriodS: number;
  seed: number;
}

export interface PhaseWindow { name: PhaseName; fromS: number; toS: number }

export class LoadProfile {
  readonly durationS: number;
  readonly windows: PhaseWindow[];
  private readonly levels: number[];

  constructor(readonly spec: ProfileSpec) {
    const p = spec.phases;
    const bounds = [0, p.night, p.night + p.plateau, p.night + p.plateau + p.ramp, p.night + p.plateau + p.ramp + p.nightAfter];
    this.durationS = bounds[4]!;
    this.windows = PHASES.map((name, i) => ({ name, fromS: bounds[i]!, toS: bounds[i + 1]! }));
    const rng = mulberry32(spec.seed);
    this.levels = Array.from({ length: Math.ceil(p.plateau / spec.noisePeriodS) + 1 }, () => 1 + spec.noise * (2 * rng() - 1));
  }

  get peakRate(): number { return this.spec.nightRate * this.spec.stepFactor; }

  phaseAt(tS: number): PhaseName {
    for (const w of this.windows) if (tS < w.toS) return w.name;
    return 'night-after';
  }

  window(name: PhaseName): PhaseWindow { return this.windows.find((w) => w.name === name)!; }

  /** Records per second written at `tS` seconds into the profile (0 after its end). */
  rateAt(tS: number): number {
    const { nightRate } = this.spec;
    if (tS < 0 || tS >= this.durationS) return 0;
    const w = this.windows.find((x) => tS < x.toS)!;
    switch (w.name) {
      case 'night':
      case 'night-after': return nightRate;
      case 'plateau': return this.peakRate * this.levels[Math.floor((tS - w.fromS) / this.spec.noisePeriodS)]!;
      case 'ramp-down': return this.peakRate + ((nightRate - this.peakRate) * (tS - w.fromS)) / (w.toS - w.fromS);
    }
  }

  /** The rate a phase is sized for: its level without noise (the ramp: where it ends). */
  levelOf(name: PhaseName): number {
    return name === 'plateau' ? this.peakRate : this.spec.nightRate;
  }

  /** The plateau's noise levels (factors around 1) actually drawn. */
  noiseRange(): { min: number; max: number } {
    const n = Math.ceil(this.spec.phases.plateau / this.spec.noisePeriodS);
    const used = this.levels.slice(0, n);
    return { min: Math.min(...used), max: Math.max(...used) };
  }
}

/** What a vertex can do: records per second one subtask processes when fully busy, and the whole streams its work comes in (a source). */
export interface VertexCapacity { vertexId: string; name: string; perSubtask: number; streams?: number; maxParallelism: number }

/** The busiest subtask's share of a vertex's records at parallelism p. */
export function busiestShare(p: number, streams?: number): number {
  return streams ? Math.ceil(streams / p) / streams : 1 / p;
}

/** Utilisation of the busiest subtask at rate `rate` and parallelism `p`. */
export function utilizationAt(v: VertexCapacity, rate: number, p: number): number {
  return (rate * busiestShare(p, v.streams)) / v.perSubtask;
}

/** The smallest parallelism keeping utilisation ≤ target at `rate`, within the vertex's limits; `capped` when even its most is not enough. */
export function oracleParallelism(v: VertexCapacity, rate: number, target: number): { p: number; capped: boolean } {
  const most = Math.max(1, Math.min(v.maxParallelism, v.streams ?? Infinity));
  for (let p = 1; p <= most; p++) if (utilizationAt(v, rate, p) <= target + 1e-9) return { p, capped: false };
  return { p: most, capped: true };
}

/** Per vertex and for the job (TaskManagers = the largest vertex parallelism: one slot per TaskManager, slot sharing). */
export interface Oracle { byVertex: Record<string, number>; taskManagers: number; capped: string[] }

export function oracleFor(vertices: readonly VertexCapacity[], rate: number, target: number): Oracle {
  const byVertex: Record<string, number> = {};
  const capped: string[] = [];
  for (const v of vertices) {
    const o = oracleParallelism(v, rate, target);
    byVertex[v.vertexId] = o.p;
    if (o.capped) capped.push(v.vertexId);
  }
  return { byVertex, taskManagers: Math.max(1, ...Object.values(byVertex)), capped };
}

/**
 * TaskManager-seconds the oracle would use over the profile: each phase at the oracle of its level,
 * the ramp second by second at the oracle of its rate then.
 */
export function oracleTaskManagerSeconds(profile: LoadProfile, vertices: readonly VertexCapacity[], target: number): number {
  let total = 0;
  for (let t = 0; t < profile.durationS; t++) {
    const phase = profile.phaseAt(t);
    const rate = phase === 'ramp-down' ? profile.rateAt(t + 0.5) : profile.levelOf(phase);
    total += oracleFor(vertices, rate, target).taskManagers;
  }
  return total;
}
