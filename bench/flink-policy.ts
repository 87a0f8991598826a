/**
 * The Flink Kubernetes operator's autoscaler (FLIP-271) as the benchmark's second row: its formula
 * and its rules, fed with ebbflow's metric REST endpoints and acting through the scaling REST API
 * (flink-controller.ts), with the job's own autoscaler off. Pure: no timers, no I/O.
 *
 * What it does (the operator's ScalingMetricEvaluator, JobVertexScaler and ScalingExecutor):
 * - After the job starts and after every rescale it waits `stabilization`, then collects metrics
 *   until a full `metrics.window` is there, and then evaluates at every sample over the last window.
 * - Per vertex, in topological order: a source's target data rate = records read/s + backlog growth/s
 *   (averaged over the window), its catch-up rate = backlog now ÷ `catch-up.duration`; downstream the
 *   upstream rates times the upstream's output/input ratio. True processing rate = input rate ÷
 *   busy ratio (busy time: the busiest subtask's, Flink's default MAX aggregator).
 * - Target capacity at utilisation u = catch-up rate + target rate × `restart.time` ÷ catch-up
 *   duration + target rate ÷ u. Scale factor = capacity at `utilization.target` ÷ true processing
 *   rate, within [1 − `scale-down.max-factor`, 1 + `scale-up.max-factor`]; new parallelism =
 *   ⌈factor × current⌉ within the vertex's limits, then aligned to the source's partition count or
 *   the key groups behind a keyBy (EVENLY_SPREAD: the next divisor up; a scale-down never past the
 *   current parallelism).
 * - A vertex is outside its utilisation bound when its true processing rate is below the capacity
 *   at utilisation target + boundary (no restart term) or above the one at target − boundary; while
 *   a source's backlog is longer than `backlog-processing.lag-threshold` the bounds are [0, 1].
 * - Scale-up at once; scale-down only once it was wanted for `scale-down.interval`, to the highest
 *   parallelism wanted within that interval. Nothing happens when every vertex that would change is
 *   within its bound. Ineffective-scaling detection is off (Flink's default).
 */

export interface FlinkOptions {
  metricsWindowMs: number;
  stabilizationMs: number;
  targetUtilization: number;
  boundary: number;
  scaleDownIntervalMs: number;
  scaleDownMaxFactor: number;
  scaleUpMaxFactor: number;
  catchUpMs: number;
  restartMs: number;
  lagThresholdMs: number;
  vertexMaxParallelism: number;
}

/** The operator's defaults (flink-kubernetes-operator AutoScalerOptions), durations in ms. */
export const FLINK_DEFAULTS: Readonly<FlinkOptions> = Object.freeze({
  metricsWindowMs: 15 * 60_000,
  stabilizationMs: 5 * 60_000,
  targetUtilization: 0.7,
  boundary: 0.3,
  scaleDownIntervalMs: 60 * 60_000,
  scaleDownMaxFactor: 0.6,
  scaleUpMaxFactor: 100_000,
  catchUpMs: 30 * 60_000,
  restartMs: 5 * 60_000,
  lagThresholdMs: 5 * 60_000,
  vertexMaxParallelism: 200,
});

/**
 * The defaults with every duration times `scale` (a day compressed into the profile: scale = profile
 * length ÷ 24 h), the metrics window at least `minWindowMs` (a few metric samples); at most
 * `maxParallelism` subtasks (the dispatcher's TaskManager limit per job).
 */
export function scaledFlinkOptions(scale: number, minWindowMs: number, maxParallelism: number): FlinkOptions {
  const d = FLINK_DEFAULTS;
  const s = (ms: number) => Math.round(ms * scale);
  return {
    ...d,
    metricsWindowMs: Math.max(minWindowMs, s(d.metricsWindowMs)), stabilizationMs: s(d.stabilizationMs), scaleDownIntervalMs: s(d.scaleDownIntervalMs),
    catchUpMs: s(d.catchUpMs), restartMs: s(d.restartMs), lagThresholdMs: s(d.lagThresholdMs), vertexMaxParallelism: Math.min(d.vertexMaxParallelism, maxParallelism),
  };
}

export interface FlinkVertex {
  id: string;
  upstream: readonly string[];
  parallelism: number;
  maxParallelism: number;
  /** A source's partitions (streams). */
  partitions?: number;
  /** Fed by a keyBy: aligned to the key groups (its maxParallelism). */
  keyed?: boolean;
}

/** One vertex in one sample: sums over its subtasks, and the busiest subtask's busy time. */
export interface FlinkVertexSample { inPerSecond: number; outPerSecond: number; busyMsPerSecond: number; backlog?: number }
export interface FlinkSample { t: number; vertices: Record<string, FlinkVertexSample> }

export interface FlinkVertexEvaluation {
  vertexId: string; current: number; targetRate: number; catchUpRate: number; trueProcessingRate: number;
  scaleUpThreshold: number; scaleDownThreshold: number; outside: boolean; computed: number; parallelism: number; note: string;
}

export type FlinkDecision =
  | { action: 'none'; code: 'stabilizing' | 'collecting' | 'pending' | 'no-change' | 'within-bounds' | 'delayed-scale-down'; evaluations?: FlinkVertexEvaluation[] }
  | { action: 'rescale'; parallelism: Record<string, number>; evaluations: FlinkVertexEvaluation[] };

/** The parallelism for `factor` × current, within [lower, upper] and aligned to `units` (JobVertexScaler.scale, EVENLY_SPREAD). */
export function alignedParallelism(current: number, factor: number, lower: number, upper: number, units: number | undefined): number {
  let p = Math.min(Math.max(lower, Math.ceil(factor * current - 1e-9)), upper);
  if (!units || p === current) return p;
  const up = p > current;
  const bound = up ? Math.min(units, upper) : Math.min(current, units, upper);
  for (let q = p; q <= bound; q++) if (units % q === 0) return q;
  // No divisor up there: the smallest parallelism with the same per-subtask load, never reversing the direction.
  let q = p;
  for (; q > 0; q--) if (Math.floor(units / q) > Math.floor(units / p)) { if (units % q !== 0) q++; break; }
  q = Math.max(q, lower);
  return (up && q <= current) || (!up && q >= current) ? current : q;
}

export class FlinkStylePolicy {
  private samples: FlinkSample[] = [];
  private stableFrom: number;
  /** The first sample after stabilisation: the window is full once samples span it from there. */
  private collectingSince: number | undefined;
  private pending = false;
  /** Per vertex: since when a scale-down is wanted, and what was wanted when. */
  private readonly delayed = new Map<string, { since: number; wanted: Array<{ t: number; p: number }> }>();

  constructor(readonly options: FlinkOptions, startedAt: number) {
    this.stableFrom = startedAt + options.stabilizationMs;
  }

  /** A rescale was asked for: nothing more until it is done. */
  rescaleStarted(): void { this.pending = true; }

  /** The rescale ended (done or failed): stabilise from now. */
  rescaleEnded(now: number): void {
    this.pending = false;
    this.samples = [];
    this.collectingSince = undefined;
    this.delayed.clear();
    this.stableFrom = now + this.options.stabilizationMs;
  }

  /** Adds a sample and evaluates over the last window. */
  evaluate(sample: FlinkSample, vertices: readonly FlinkVertex[]): FlinkDecision {
    const o = this.options;
    if (this.pending) return { action: 'none', code: 'pending' };
    if (sample.t < this.stableFrom) return { action: 'none', code: 'stabilizing' };
    this.collectingSince ??= sample.t;
    this.samples.push(sample);
    this.samples = this.samples.filter((s) => s.t >= sample.t - o.metricsWindowMs);
    if (sample.t - this.collectingSince < o.metricsWindowMs || this.samples.length < 2) return { action: 'none', code: 'collecting' };
    const evaluations = this.evaluateVertices(vertices);
    const changes: Record<string, number> = {};
    let outside = false;
    let delayedAny = false;
    for (const e of evaluations) {
      const v = vertices.find((x) => x.id === e.vertexId)!;
      if (e.computed === v.parallelism) { this.delayed.delete(v.id); continue; }
      if (e.computed > v.parallelism) {
        this.delayed.delete(v.id);
        changes[v.id] = e.parallelism = e.computed;
      } else {
        const d = this.delayed.get(v.id) ?? { since: sample.t, wanted: [] };
        d.wanted.push({ t: sample.t, p: e.computed });
        this.delayed.set(v.id, d);
        if (sample.t - d.since < o.scaleDownIntervalMs) { delayedAny = true; e.note = `scale-down to ${e.computed} wanted for ${Math.round((sample.t - d.since) / 1000)} s`; continue; }
        const recent = d.wanted.filter((w) => w.t >= sample.t - o.scaleDownIntervalMs);
        changes[v.id] = e.parallelism = Math.max(...recent.map((w) => w.p));
        if (changes[v.id] === v.parallelism) { delete changes[v.id]; continue; }
      }
      if (e.outside) outside = true;
    }
    if (!Object.keys(changes).length) return { action: 'none', code: delayedAny ? 'delayed-scale-down' : 'no-change', evaluations };
    if (!outside) return { action: 'none', code: 'within-bounds', evaluations };
    return { action: 'rescale', parallelism: changes, evaluations };
  }

  private evaluateVertices(vertices: readonly FlinkVertex[]): FlinkVertexEvaluation[] {
    const o = this.options;
    const s = this.samples;
    const span = (s[s.length - 1]!.t - s[0]!.t) / 1000;
    const mean = (id: string, f: (x: FlinkVertexSample) => number) => {
      const xs = s.map((x) => x.vertices[id]).filter((x): x is FlinkVertexSample => !!x);
      return xs.length ? xs.reduce((a, x) => a + f(x), 0) / xs.length : 0;
    };
    const catchUpS = o.catchUpMs / 1000;
    const rates = new Map<string, { target: number; catchUp: number }>();
    // Backlog processing: a source is more than lag-threshold behind (lag ÷ input rate).
    let backlogProcessing = false;
    for (const v of vertices) {
      if (v.upstream.length) continue;
      const lag = s[s.length - 1]!.vertices[v.id]?.backlog ?? 0;
      const rate = mean(v.id, (x) => x.inPerSecond);
      if (rate > 0 && lag / rate > o.lagThresholdMs / 1000) backlogProcessing = true;
    }
    const out: FlinkVertexEvaluation[] = [];
    for (const v of vertices) {
      const inRate = mean(v.id, (x) => x.inPerSecond);
      let target: number, catchUp: number;
      if (!v.upstream.length) {
        const b0 = s[0]!.vertices[v.id]?.backlog ?? 0, b1 = s[s.length - 1]!.vertices[v.id]?.backlog ?? 0;
        target = Math.max(0, inRate + (span > 0 ? (b1 - b0) / span : 0));
        catchUp = catchUpS > 0 ? b1 / catchUpS : 0;
      } else {
        target = 0; catchUp = 0;
        for (const u of v.upstream) {
          const r = rates.get(u);
          const uIn = mean(u, (x) => x.inPerSecond), uOut = mean(u, (x) => x.outPerSecond);
          const ratio = uIn > 0 ? uOut / uIn : 1;
          if (r) { target += r.target * ratio; catchUp += r.catchUp * ratio; }
        }
      }
      rates.set(v.id, { target, catchUp });
      const busy = mean(v.id, (x) => x.busyMsPerSecond) / 1000;
      const tpr = inRate === 0 ? Infinity : busy > 0 ? inRate / busy : Infinity;
      const capacity = (u: number, withRestart: boolean) =>
        u <= 0 ? Infinity : catchUp + (withRestart && catchUpS > 0 ? (target * o.restartMs) / 1000 / catchUpS : 0) + target / Math.min(1, u);
      const upper = backlogProcessing ? 1 : o.targetUtilization + o.boundary;
      const lower = backlogProcessing ? 0 : o.targetUtilization - o.boundary;
      const scaleUpThreshold = capacity(upper, false);
      const scaleDownThreshold = capacity(lower, true);
      const factor = Math.min(1 + o.scaleUpMaxFactor, Math.max(1 - o.scaleDownMaxFactor, Number.isFinite(tpr) ? capacity(o.targetUtilization, true) / tpr : 0));
      const most = Math.min(v.maxParallelism, Math.max(v.parallelism, o.vertexMaxParallelism));
      const units = v.partitions ?? (v.keyed ? v.maxParallelism : undefined);
      const computed = alignedParallelism(v.parallelism, factor, Math.min(v.parallelism, 1), most, units);
      out.push({
        vertexId: v.id, current: v.parallelism, targetRate: target, catchUpRate: catchUp, trueProcessingRate: tpr, scaleUpThreshold, scaleDownThreshold,
        outside: tpr < scaleUpThreshold || tpr > scaleDownThreshold, computed, parallelism: v.parallelism,
        note: `factor ${factor.toFixed(2)}${backlogProcessing ? ', processing backlog' : ''}`,
      });
    }
    return out;
  }
}
