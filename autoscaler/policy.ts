/**
 * The autoscaler's memory between evaluations: when a decision (decision.ts) may act. No timers: the
 * JobMaster calls evaluate(now, sample) at each metrics interval and reports what became of a rescale
 * it asked for (rescaleStarted / rescaleCompleted / rescaleFailed).
 *
 * - Stabilisation: after the job starts and after every rescale (also one ebbflow did for another
 *   reason, seen as a parallelism change), samples are discarded and nothing is decided for
 *   `stabilization.interval`: new subtasks warm up, held records drain.
 * - Scale-up: once every evaluation for `scale-up.confirmation` wanted one, sized from the samples of
 *   that period only; a load step is thus measured after it, not averaged with the load before it,
 *   which is what takes DS2 and a long window several steps.
 * - Scale-down: once every evaluation for `scale-down.interval` (each over the full metrics window)
 *   wanted a lower parallelism; the interval decides whether. How far is sized by the last window,
 *   the load now, at most `scale-down.max-factor` per step: sizing by the most wanted anywhere in the
 *   interval would follow a falling load one step per interval, 4→3→2→1 down a ramp. A load that
 *   comes back is met by a scale-up within seconds (in place, no restart), not by keeping subtasks
 *   for it. The interval is about the load, not the parallelism: a step cut short by the max factor
 *   is followed, after the cooldown and a confirmation period at the new parallelism that still
 *   wants lower, by the next one; no new interval and no full window.
 * - Ineffective scaling: after a scale-up, once the cooldown and a confirmation period passed, the
 *   vertex's capacity (records per busy second of its busiest subtask) must have risen by at least
 *   `scaling.effectiveness.threshold` of the rise predicted; if not, it is recorded, and no scale-up of
 *   that vertex goes to that parallelism again (a hot key, a shared bottleneck, too few cores).
 * - A scale-up the resource provider could not satisfy (or satisfied in part) backs off scale-ups for
 *   `scale-up.backoff`, doubled after each further one in a row (at most 16 times); scale-downs go on.
 */
import type { AutoscalerOptions } from './autoscaler-options.js';
import { capacityAt, decide, type Decision, type VertexDecision, type VertexInfo } from './decision.js';
import { DecisionHistory, type DecisionRecord } from './decision-history.js';
import { MetricsWindow } from './metrics-window.js';
import type { AutoscalerSample, AutoscalerStatus, Evaluation, RescaleOutcome, WaitCode } from './policy-types.js';

export type { AutoscalerSample, AutoscalerStatus, Evaluation, RescaleOutcome, WaitCode } from './policy-types.js';

/** Restart time before the job's first rescale is measured. */
export const DEFAULT_RESTART_TIME_MS = 5000;
const RESTART_SAMPLES = 5;
const MAX_BACKOFF_DOUBLINGS = 4;
/** A rescale asked for and never reported back is given up after this long (the JobMaster lost it). */
export const PENDING_LIMIT_MS = 10 * 60_000;
/** Below this busy ratio a capacity measured after a scale-up says nothing: the check is dropped. */
const MIN_CHECK_BUSY = 0.05;

interface EffectivenessCheck { record: DecisionRecord; vertexId: string; from: number; to: number; before: number; predicted: number }

export class AutoscalerPolicy {
  private readonly window = new MetricsWindow();
  private readonly history: DecisionHistory;
  /** Samples before this are not used and nothing is decided before it. */
  private stableFrom: number | undefined;
  private lastParallelism = new Map<string, number>();
  private pending: { record: DecisionRecord; decision: Decision; since: number } | undefined;
  /** Since when every evaluation wanted a scale-up. */
  private upSince: number | undefined;
  /**
   * Per vertex: since when every evaluation wanted it lower, what the last one wanted, and whether a
   * scale-down already made was cut short by the max factor (the next step needs no full window).
   */
  private readonly down = new Map<string, { since: number; wanted: number; followOn: boolean }>();
  /** Per vertex: a parallelism a scale-up to which was ineffective. */
  private readonly ineffective = new Map<string, number>();
  private checks: EffectivenessCheck[] = [];
  private backoffUntil = 0;
  private unsatisfiedInARow = 0;
  private readonly restartTimes: number[] = [];
  private last: Decision | undefined;

  constructor(private options: AutoscalerOptions, private readonly clock: () => number = Date.now) {
    this.history = new DecisionHistory(options.historySize);
  }

  /** New options (a PATCH of the running job's autoscaler); the state so far is kept, and stabilises anew when it was off. */
  setOptions(options: AutoscalerOptions, now = this.clock()): void {
    const wasOff = !this.options.enabled;
    this.options = options;
    this.history.resize(options.historySize);
    if (wasOff && options.enabled) this.restabilize(now);
  }

  /**
   * Takes up what an earlier job process of this job learnt: its decisions (one it left pending is
   * lost) and the scale-ups found ineffective, which stay not repeated.
   */
  restore(earlier: { decisions: readonly DecisionRecord[]; ineffective: ReadonlyArray<{ vertexId: string; parallelism: number }> }, now = this.clock()): void {
    this.history.restore(earlier.decisions, now, 'the job process that asked for it ended; a new one restored the job from its latest checkpoint');
    for (const x of earlier.ineffective) this.ineffective.set(x.vertexId, x.parallelism);
  }

  /** The job started (or restarted) running: stabilise before deciding anything. */
  jobStarted(now = this.clock()): void { this.restabilize(now); }

  /** The restart time the decision uses: the option, else the longest of the last rescales measured. */
  restartTimeMs(): number {
    return this.options.restartTimeMs ?? (this.restartTimes.length ? Math.max(...this.restartTimes) : DEFAULT_RESTART_TIME_MS);
  }

  evaluate(now: number, sample: AutoscalerSample): Evaluation {
    const o = this.options;
    if (!o.enabled) return none('disabled', 'the autoscaler is off (job.autoscaler.enabled)');
    if (this.pending && now - this.pending.since > PENDING_LIMIT_MS) this.settle(this.pending.record, 'lost', now, 'no outcome reported');
    if (this.changedElsewhere(sample.vertices)) this.restabilize(now);
    if (this.stableFrom === undefined) this.restabilize(now);
    if (this.pending) return none('rescale-pending', `waiting for rescale #${this.pending.record.id}`);
    if (now < this.stableFrom!) return none('stabilizing', `stabilizing for ${Math.ceil((this.stableFrom! - now) / 1000)} s more`);
    this.window.add(now, sample.subtasks);
    this.window.dropBefore(now - Math.max(o.metricsWindowMs, o.scaleUpConfirmationMs) - 1);
    const decide1 = (from: number) => decide({ vertices: sample.vertices, metrics: this.window.aggregate(Math.max(from, this.stableFrom! - 1), now).metrics, options: o, restartTimeMs: this.restartTimeMs() });
    this.checkEffectiveness(now, sample.vertices);

    // Scale-up: from the samples of the last confirmation period.
    const recent = decide1(now - Math.max(o.scaleUpConfirmationMs, 1));
    const ups = recent.vertices.filter((d) => d.parallelism > d.current);
    this.upSince = ups.length ? (this.upSince ?? now) : undefined;
    const changes: Record<string, number> = {};
    const held: string[] = [];
    if (ups.length && now - this.upSince! >= o.scaleUpConfirmationMs) {
      if (now < this.backoffUntil) held.push(`scale-up backed off for ${Math.ceil((this.backoffUntil - now) / 1000)} s more (the last was unsatisfiable)`);
      else for (const d of ups) {
        const blocked = this.ineffective.get(d.vertexId);
        const p = blocked !== undefined && d.parallelism >= blocked ? blocked - 1 : d.parallelism;
        if (p > d.current) changes[d.vertexId] = p;
        else held.push(`${d.vertexId}: no scale-up to ${d.parallelism}, the scale-up to ${blocked} was ineffective`);
      }
    }

    // Scale-down: from the full window once it is full (a follow-on step: from what came since the cooldown).
    const stableFor = now - this.stableFrom!;
    const windowReady = stableFor >= o.metricsWindowMs;
    const followOnReady = stableFor >= o.scaleUpConfirmationMs && [...this.down.values()].some((t) => t.followOn);
    const notes: Record<string, string> = {};
    let decision = recent;
    if (windowReady || followOnReady) {
      decision = decide1(now - o.metricsWindowMs);
      for (const d of decision.vertices) {
        if (!windowReady && !this.down.get(d.vertexId)?.followOn) continue;
        this.trackDown(now, d);
        const t = this.down.get(d.vertexId);
        if (!t || changes[d.vertexId] !== undefined || now - t.since < o.scaleDownIntervalMs) continue;
        const p = Math.max(t.wanted, Math.ceil(d.current * (1 - o.scaleDownMaxFactor) - 1e-9));
        if (p >= d.current) continue;
        changes[d.vertexId] = p;
        notes[d.vertexId] = `; lower for ${Math.round((now - t.since) / 1000)} s, the last ${Math.round(Math.min(stableFor, o.metricsWindowMs) / 1000)} s need ${t.wanted}${p > t.wanted ? ', limited by job.autoscaler.scale-down.max-factor' : ''}`;
      }
      decision = mergeDecisions(recent, decision, changes);
    }
    this.last = decision;
    sameForForwardGroups(sample.vertices, changes);
    if (!Object.keys(changes).length) return this.noChange(now, decision, ups, held, windowReady);

    const reason = decision.vertices.filter((d) => changes[d.vertexId] !== undefined).map((d) => `${d.vertexId} ${d.current} → ${changes[d.vertexId]}`).join(', ');
    const annotate = (r: DecisionRecord) => { for (const c of r.changes) if (notes[c.vertexId] && !c.text.endsWith(notes[c.vertexId]!)) c.text += notes[c.vertexId]; return r; };
    if (!o.scalingEnabled) {
      annotate(this.history.recommend(now, decision, changes));
      return { action: 'none', code: 'recommend-only', reason: `recommended (job.autoscaler.scaling.enabled is false): ${reason}`, decision, recommended: changes };
    }
    const record = annotate(this.history.begin(now, decision, changes));
    this.pending = { record, decision, since: now };
    this.upSince = undefined;
    return { action: 'rescale', decisionId: record.id, parallelism: changes, reason: `rescale ${reason}`, decision };
  }

  /** The rescale of decision `decisionId` was taken up as request `requestId` (its operation or trigger id). */
  rescaleStarted(decisionId: number, requestId: string): void {
    if (this.pending?.record.id === decisionId) this.pending.record.requestId = requestId;
  }

  rescaleCompleted(decisionId: number, outcome: RescaleOutcome, now = this.clock()): void {
    const p = this.pending;
    if (p?.record.id !== decisionId) return;
    const r = p.record;
    if (outcome.requestId) r.requestId = outcome.requestId;
    this.restartTimes.push(outcome.holdMs ?? outcome.durationMs);
    if (this.restartTimes.length > RESTART_SAMPLES) this.restartTimes.shift();
    for (const [id, to] of Object.entries(outcome.parallelism)) this.lastParallelism.set(id, to);
    let partial = false;
    for (const c of r.changes) {
      const actual = outcome.parallelism[c.vertexId] ?? c.to;
      if (c.to > c.from) {
        this.down.delete(c.vertexId);
        if (actual < c.to) partial = true;
        const d = p.decision.vertices.find((x) => x.vertexId === c.vertexId);
        const before = d?.capacity, predicted = d && capacityAt(d, actual);
        if (this.options.effectivenessDetection && actual > c.from && before !== undefined && predicted !== undefined) {
          this.checks.push({ record: r, vertexId: c.vertexId, from: c.from, to: actual, before, predicted });
        }
      }
      const t = this.down.get(c.vertexId);
      if (t && t.wanted >= actual) this.down.delete(c.vertexId);
      else if (t && actual < c.from) t.followOn = true;
    }
    this.settle(r, partial ? 'partial' : 'completed', now, undefined, { parallelism: outcome.parallelism, durationMs: outcome.durationMs });
    if (partial) this.backOff(now);
    else this.unsatisfiedInARow = 0;
  }

  /** The rescale failed; `unsatisfiable`: the resource provider did not give the TaskManagers in time (the job kept its scale). */
  rescaleFailed(decisionId: number, error: { message: string; unsatisfiable: boolean }, now = this.clock()): void {
    const p = this.pending;
    if (p?.record.id !== decisionId) return;
    this.settle(p.record, error.unsatisfiable ? 'unsatisfiable' : 'failed', now, error.message);
    if (error.unsatisfiable) this.backOff(now);
  }

  /** What GET /jobs/:jobid/autoscaler shows. */
  status(now = this.clock()): AutoscalerStatus {
    return {
      enabled: this.options.enabled,
      recommendOnly: !this.options.scalingEnabled,
      stabilizingUntil: this.stableFrom !== undefined && this.stableFrom > now ? this.stableFrom : undefined,
      backoffUntil: this.backoffUntil > now ? this.backoffUntil : undefined,
      restartTimeMs: this.restartTimeMs(),
      pendingDecision: this.pending?.record.id,
      ineffective: [...this.ineffective].map(([vertexId, parallelism]) => ({ vertexId, parallelism })),
      vertices: this.last?.vertices ?? [],
      decisions: this.history.list(),
    };
  }

  private settle(r: DecisionRecord, outcome: DecisionRecord['outcome'], now: number, error?: string, result?: DecisionRecord['result']): void {
    this.history.settle(r, outcome, now, error, result);
    this.pending = undefined;
    this.restabilize(now, false);
  }

  private backOff(now: number): void {
    this.unsatisfiedInARow++;
    this.backoffUntil = now + this.options.scaleUpBackoffMs * 2 ** Math.min(this.unsatisfiedInARow - 1, MAX_BACKOFF_DOUBLINGS);
  }

  /** Discards the samples and waits the stabilisation interval; `forget` also drops what was wanted so far (the load may differ now). */
  private restabilize(now: number, forget = true): void {
    this.window.clear();
    this.stableFrom = now + this.options.stabilizationMs;
    this.upSince = undefined;
    if (forget) { this.down.clear(); this.checks = []; }
  }

  /** Whether the parallelism changed without a rescale of the autoscaler (a user's request, a lost TaskManager). */
  private changedElsewhere(vertices: readonly VertexInfo[]): boolean {
    let changed = false;
    for (const v of vertices) {
      const before = this.lastParallelism.get(v.id);
      if (before !== undefined && before !== v.parallelism && !this.pending) changed = true;
      this.lastParallelism.set(v.id, v.parallelism);
    }
    return changed;
  }

  private trackDown(now: number, d: VertexDecision): void {
    if (d.wanted >= d.current) { this.down.delete(d.vertexId); return; }
    const t = this.down.get(d.vertexId);
    if (t) t.wanted = d.wanted;
    else this.down.set(d.vertexId, { since: now, wanted: d.wanted, followOn: false });
  }

  private checkEffectiveness(now: number, vertices: readonly VertexInfo[]): void {
    if (!this.checks.length || now - this.stableFrom! < this.options.scaleUpConfirmationMs) return;
    const agg = this.window.aggregate(this.stableFrom! - 1, now);
    if (agg.count < 2) return;
    for (const c of this.checks) {
      const m = agg.metrics[c.vertexId];
      const v = vertices.find((x) => x.id === c.vertexId);
      if (!m || !v || v.parallelism !== c.to || m.maxBusyRatio < MIN_CHECK_BUSY) continue;
      const after = m.recordsInPerSecond / m.maxBusyRatio;
      if (c.predicted > c.before && after - c.before < this.options.effectivenessThreshold * (c.predicted - c.before)) {
        this.ineffective.set(c.vertexId, c.to);
        this.history.ineffective(c.record, { vertexId: c.vertexId, from: c.from, to: c.to, capacityBefore: c.before, capacityAfter: after, predicted: c.predicted });
      }
    }
    this.checks = [];
  }

  private noChange(now: number, decision: Decision, ups: VertexDecision[], held: string[], windowReady: boolean): Evaluation {
    const o = this.options;
    if (held.length) return none(now < this.backoffUntil ? 'backoff' : 'ineffective', held.join('; '), decision);
    if (ups.length) return none('confirming-scale-up', `scale-up wanted for ${Math.round((now - this.upSince!) / 1000)} s of ${o.scaleUpConfirmationMs / 1000} s: ${ups.map((d) => d.text).join('; ')}`, decision);
    const downs = [...this.down].map(([id, t]) => `${id} → ${t.wanted} wanted for ${Math.round((now - t.since) / 1000)} s of ${o.scaleDownIntervalMs / 1000} s`);
    if (downs.length) return none('waiting-scale-down-interval', `scale-down: ${downs.join('; ')}`, decision);
    if (!windowReady) return none('collecting', `collecting metrics: ${Math.round((now - this.stableFrom!) / 1000)} s of ${o.metricsWindowMs / 1000} s`, decision);
    return none('no-change', decision.summary, decision);
  }
}

const none = (code: WaitCode, reason: string, decision?: Decision): Evaluation => ({ action: 'none', code, reason, decision });

/** Vertices joined by forward edges change together: each member gets the group's largest new parallelism. */
function sameForForwardGroups(vertices: readonly VertexInfo[], changes: Record<string, number>): void {
  for (const v of vertices) {
    if (v.group === undefined) continue;
    const members = vertices.filter((w) => w.group === v.group);
    const changed = members.filter((w) => changes[w.id] !== undefined);
    if (!changed.length) continue;
    const p = Math.max(...changed.map((w) => changes[w.id]!));
    for (const w of members) changes[w.id] = p;
  }
}

/** Per vertex, the decision it was sized by: a scale-up (wanted or made) by the recent one, the rest by the window's. */
function mergeDecisions(recent: Decision, window: Decision, changes: Record<string, number>): Decision {
  const vertices = window.vertices.map((w) => {
    const r = recent.vertices.find((d) => d.vertexId === w.vertexId);
    return r && r.parallelism > r.current && (changes[w.vertexId] ?? r.parallelism) > r.current ? r : w;
  });
  return { vertices, changes: { ...changes }, summary: window.summary };
}
