/**
 * A fluid model of a running job for the autoscaler's tests: a load profile arrives at the sources'
 * streams, each vertex processes what reaches it up to its subtasks' capacity (records per busy
 * second), a source's backlog grows by what it cannot read, and each tick yields the per-subtask
 * rates the JobMaster's metrics collector would report. Subtasks get their share of the work in
 * whole streams (stream j → subtask j mod p) or key groups (the runtime's contiguous tables), so the
 * uneven split a real job has is there; a hot key (`hotShare`) adds skew no parallelism fixes.
 * closedLoop() runs a policy against it: its rescales take effect after `rescaleMs`, or fail.
 */
import { expect } from 'vitest';
import { contiguousTable } from '../../state/key-group-assignment.js';
import { AutoscalerPolicy, DEFAULT_AUTOSCALER_OPTIONS } from '../../autoscaler/index.js';
import type { AutoscalerOptions, AutoscalerSample, Evaluation, SubtaskSample, VertexInfo } from '../../autoscaler/index.js';

export interface SimVertex {
  id: string;
  upstream?: string[];
  /** Records one subtask processes per busy second. */
  perSubtask: number;
  /** Records out per record in (default 1). */
  selectivity?: number;
  parallelism: number;
  streams?: number;
  keyGroups?: number;
  maxParallelism?: number;
  lowerBound?: number;
  upperBound?: number;
  /** Relative load of each stream or key group (default even). */
  unitWeights?: number[];
  /** This share of the vertex's records goes to the subtask holding unit 0 (one hot key). */
  hotShare?: number;
}

export class JobSim {
  /** Now (ms). */
  t = 0;
  backlog = 0;
  readonly vertices: SimVertex[];

  constructor(vertices: SimVertex[], private readonly load: (tMs: number) => number, readonly tickMs = 2000) {
    this.vertices = vertices.map((v) => ({ ...v }));
  }

  get(id: string): SimVertex { return this.vertices.find((v) => v.id === id)!; }

  parallelism(): Record<string, number> { return Object.fromEntries(this.vertices.map((v) => [v.id, v.parallelism])); }

  setParallelism(p: Record<string, number>): void { for (const [id, n] of Object.entries(p)) this.get(id).parallelism = n; }

  /** Each subtask's share of vertex `v`'s records at parallelism `p`. */
  shares(v: SimVertex, p = v.parallelism): number[] {
    const units = v.streams ?? v.keyGroups;
    let shares: number[];
    if (!units) shares = Array.from({ length: p }, () => 1 / p);
    else {
      const owner = v.streams ? (j: number) => j % p : ((t) => (j: number) => t[j]!)(contiguousTable(units, p));
      const w = v.unitWeights ?? Array.from({ length: units }, () => 1);
      const total = w.reduce((a, b) => a + b, 0);
      shares = Array.from({ length: p }, () => 0);
      for (let j = 0; j < units; j++) shares[owner(j)]! += w[j]! / total;
    }
    if (v.hotShare) {
      const hot = v.streams ? 0 : v.keyGroups ? contiguousTable(v.keyGroups, p)[0]! : 0;
      shares = shares.map((s, i) => (1 - v.hotShare!) * s + (i === hot ? v.hotShare! : 0));
    }
    return shares;
  }

  /** Records reaching vertex `id` per record read by the sources. */
  gain(id: string): number {
    const v = this.get(id);
    if (!v.upstream?.length) return 1;
    return v.upstream.reduce((s, u) => s + this.gain(u) * (this.get(u).selectivity ?? 1), 0);
  }

  /** The records per second (read by the sources) vertex `v` keeps up with at parallelism `p`. */
  capacity(v: SimVertex, p = v.parallelism): number {
    return v.perSubtask / Math.max(...this.shares(v, p)) / this.gain(v.id);
  }

  /**
   * The oracle: the smallest parallelism of `id` that keeps its busiest subtask at most `u` busy at
   * `load` records/s read by the sources (its cap when none does).
   */
  oracle(id: string, load: number, u = 0.7): number {
    const v = this.get(id);
    const cap = Math.min(v.streams ?? Infinity, v.maxParallelism ?? 128, v.upperBound ?? Infinity);
    for (let p = 1; p <= cap; p++) if (this.capacity(v, p) * u >= load) return p;
    return cap;
  }

  /** Advances one tick; returns what the metrics collector would report for it. */
  tick(): AutoscalerSample {
    const dt = this.tickMs / 1000;
    const arrival = this.load(this.t);
    const ceiling = Math.min(...this.vertices.map((v) => this.capacity(v)));
    const read = Math.min(arrival + this.backlog / dt, ceiling);
    this.backlog = Math.max(0, this.backlog + (arrival - read) * dt);
    const throttled = read < arrival + this.backlog / dt - 1e-9;
    this.t += this.tickMs;
    const subtasks: SubtaskSample[] = [];
    for (const v of this.vertices) {
      const rate = read * this.gain(v.id);
      this.shares(v).forEach((share, i) => {
        const busy = Math.min(1000, (rate * share * 1000) / v.perSubtask);
        subtasks.push({
          vertexId: v.id, subtask: i, recordsInPerSecond: rate * share, recordsOutPerSecond: rate * share * (v.selectivity ?? 1),
          busyMsPerSecond: busy, backPressuredMsPerSecond: throttled ? 1000 - busy : 0,
          ...(v.upstream?.length ? {} : { pendingRecords: this.backlog * share }),
        });
      });
    }
    return { vertices: this.info(), subtasks };
  }

  info(): VertexInfo[] {
    return this.vertices.map((v) => ({
      id: v.id, upstream: v.upstream ?? [], parallelism: v.parallelism, maxParallelism: v.maxParallelism ?? 128,
      lowerBound: v.lowerBound, upperBound: v.upperBound, streams: v.streams, keyGroups: v.keyGroups,
    }));
  }
}

export interface LoopEvent { at: number; evaluation: Evaluation; parallelism: Record<string, number>; backlog: number }
export interface RescaleRequest { at: number; decisionId: number; parallelism: Record<string, number>; completedAt?: number; failedAt?: number }

export interface LoopOptions {
  /** How long a rescale takes before it takes effect. */
  rescaleMs?: number;
  /** Make a rescale fail: return the error (and after how long), or undefined to let it complete. */
  fail?: (r: RescaleRequest) => { message: string; unsatisfiable: boolean; afterMs: number } | undefined;
}

/** Runs `policy` against `sim` until `untilMs`: an evaluation per tick, each rescale carried out as asked. */
export function closedLoop(sim: JobSim, policy: AutoscalerPolicy, untilMs: number, o: LoopOptions = {}): { events: LoopEvent[]; requests: RescaleRequest[] } {
  const events: LoopEvent[] = [];
  const requests: RescaleRequest[] = [];
  let due: { at: number; run: () => void } | undefined;
  policy.jobStarted(sim.t);
  while (sim.t < untilMs) {
    // What is due by the end of this tick happens before its sample is taken (as the JobMaster's scale changes at the switch).
    if (due && due.at <= sim.t) { const d = due; due = undefined; d.run(); }
    const sample = sim.tick();
    const now = sim.t;
    const evaluation = policy.evaluate(now, sample);
    events.push({ at: now, evaluation, parallelism: sim.parallelism(), backlog: sim.backlog });
    if (evaluation.action !== 'rescale') continue;
    const r: RescaleRequest = { at: now, decisionId: evaluation.decisionId, parallelism: evaluation.parallelism };
    requests.push(r);
    const failure = o.fail?.(r);
    const rescaleMs = o.rescaleMs ?? 2000;
    due = failure
      ? { at: now + failure.afterMs, run: () => { r.failedAt = sim.t; policy.rescaleFailed(r.decisionId, failure, sim.t); } }
      : {
          at: now + rescaleMs,
          run: () => {
            sim.setParallelism(r.parallelism);
            r.completedAt = sim.t;
            policy.rescaleCompleted(r.decisionId, { parallelism: sim.parallelism(), durationMs: rescaleMs, holdMs: 300, requestId: `req-${r.decisionId}` }, sim.t);
          },
        };
  }
  return { events, requests };
}


/** Redis source (16 streams, cheap) → enrich (keyed, 100 records per busy second per subtask: the bottleneck) → sink. */
export function pipeline(enrich: Partial<SimVertex> = {}): SimVertex[] {
  return [
    { id: 'src', perSubtask: 5000, parallelism: 1, streams: 16 },
    { id: 'enrich', upstream: ['src'], perSubtask: 100, parallelism: 1, keyGroups: 128, ...enrich },
    { id: 'sink', upstream: ['enrich'], perSubtask: 5000, parallelism: 1, selectivity: 0 },
  ];
}

/** A policy with the default options, enabled, on the simulation's clock. */
export function policyFor(sim: JobSim, o: Partial<AutoscalerOptions> = {}): AutoscalerPolicy {
  return new AutoscalerPolicy({ ...DEFAULT_AUTOSCALER_OPTIONS, enabled: true, ...o }, () => sim.t);
}

/** After each rescale, the next one is asked for no sooner than the stabilisation interval. */
export function expectCooldown(requests: RescaleRequest[], stabilizationMs = DEFAULT_AUTOSCALER_OPTIONS.stabilizationMs): void {
  for (let i = 1; i < requests.length; i++) {
    const ended = requests[i - 1]!.completedAt ?? requests[i - 1]!.failedAt!;
    expect(requests[i]!.at - ended).toBeGreaterThanOrEqual(stabilizationMs);
  }
}
