/**
 * The autoscaler in the job process: feeds the policy (autoscaler/policy.ts) and carries out what it
 * asks for.
 *
 * - Every metrics snapshot (`metrics.fetcher.update-interval`) while the job runs and no rescale is
 *   under way, it builds the graph as the decision sees it (topological order, upstream vertices,
 *   parallelism, max parallelism, the user's bounds, a Redis Streams source's stream count, forward
 *   groups) and the current attempt's subtask samples, and evaluates.
 * - A rescale decision goes through the elastic scaler like a user's requirements request (queued
 *   behind any request in progress; recorded in the rescale history with trigger `autoscaler`), as
 *   bounds for the vertices that change: upper bound = the new parallelism, lower bound = the user's
 *   (so a scale-up takes the TaskManagers that came within the stabilization timeout, and one that
 *   got none ends as a partial). The requirements in force change; the user's bounds do not.
 *   Before a scale-up it reserves the TaskManagers against the dispatcher's limits; a smaller grant
 *   caps it, none fails it as unsatisfiable.
 * - Outcomes go back to the policy: completed (with the rescale's hold time as the measured restart
 *   time), failed, or unsatisfiable (ResourceWaitTimeoutError, or no TaskManagers left to reserve),
 *   which backs scale-ups off.
 * - Its state goes to Redis (`<prefix>job:<id>:autoscaler`, metadata/autoscaler-state.ts) after
 *   each evaluation, outcome and settings change, with the settings changed at run time. A restarted
 *   job process reads back the settings, the decision history (one left pending is marked lost) and
 *   the scale-ups found ineffective; the windows and intervals start afresh.
 */
import type { Logger } from 'pino';
import {
  applyAutoscalerChange, AutoscalerPolicy, samplesOf,
  type AutoscalerOptions, type Evaluation, type RescaleOutcome, type VertexInfo,
} from '../autoscaler/index.js';
import type { AutoscalerInfo, JobMetricsSnapshot, ResourceRequirements } from '../metadata/index.js';
import { ResourceWaitTimeoutError } from '../resourcemanager/index.js';
import { describeError } from '../runtime/errors.js';
import { autoscalerView, decisionFromView, type EvaluationNote } from './autoscaler-view.js';
import { CapacityRefused } from './errors.js';
import type { ElasticScaler, ScaleOutcome } from './elastic-scaler.js';
import type { JobCapacity } from './job-capacity.js';
import type { JobStatusStore } from './job-master-services.js';
import type { JobRuntime } from './job-runtime.js';

export interface AutoscalerDriverDeps {
  runtime: JobRuntime;
  scaler: Pick<ElasticScaler, 'apply'>;
  /** Whether a rescale (anyone's) is under way. */
  rescaling: () => boolean;
  capacity: Pick<JobCapacity, 'reserve' | 'settle'>;
  store: Pick<JobStatusStore, 'putAutoscaler' | 'getAutoscaler'>;
  log: Logger;
  /** The job's configuration (with the dispatcher's defaults): what a change is applied on top of. */
  configuration: Record<string, unknown>;
  /** False: no snapshots come (ebbflow.metrics.enabled = false). */
  metricsEnabled: boolean;
  now?: () => number;
}

/** The graph as the decision sees it, in topological order (the job graph's vertex order). */
export function autoscalerVertices(rt: Pick<JobRuntime, 'plan' | 'limits' | 'scale' | 'userBounds'>): VertexInfo[] {
  const { graph } = rt.plan;
  const members = new Map<number, number>();
  for (const g of rt.limits.group.values()) members.set(g, (members.get(g) ?? 0) + 1);
  return graph.vertices.map((v) => {
    const b = rt.userBounds[v.id]?.parallelism;
    const g = rt.limits.group.get(v.id);
    const info: VertexInfo = {
      id: v.id,
      upstream: graph.edges.filter((e) => e.target === v.id).map((e) => e.source),
      parallelism: rt.scale.get(v.id)!.parallelism,
      maxParallelism: graph.maxParallelism,
    };
    if (b) { info.lowerBound = b.lowerBound; info.upperBound = b.upperBound; }
    const streams = rt.limits.streams.get(v.id);
    if (streams) info.streams = streams;
    if (rt.limits.keyed.has(v.id)) info.keyGroups = graph.maxParallelism;
    if (rt.limits.fixed.has(v.id)) info.fixed = true;
    // Only a group of two or more ties parallelisms together.
    if (g !== undefined && (members.get(g) ?? 0) > 1) info.group = g;
    return info;
  });
}

/** What the policy learns from a completed request. */
export function outcomeOf(out: ScaleOutcome, requestId: string | undefined): RescaleOutcome {
  // A request that changed nothing (no TaskManager came) held nothing back: it says nothing about the restart time.
  return { parallelism: { ...out.parallelism.after }, durationMs: out.durationMs, holdMs: out.noop ? 0 : out.maxHoldMs, requestId };
}

/** What the policy learns from a failed request: unsatisfiable when the TaskManagers did not come (or could not be reserved). */
export function failureOf(err: unknown): { message: string; unsatisfiable: boolean } {
  return { message: describeError(err), unsatisfiable: err instanceof ResourceWaitTimeoutError || err instanceof CapacityRefused };
}

/** Bounds that carry out `target` for the vertices that change: the user's lower bound (else 1), upper bound the new parallelism. */
export function autoscalerRequirements(target: Record<string, number>, userBounds: ResourceRequirements): ResourceRequirements {
  const out: ResourceRequirements = {};
  for (const [id, p] of Object.entries(target)) {
    out[id] = { parallelism: { lowerBound: Math.min(p, userBounds[id]?.parallelism.lowerBound ?? 1), upperBound: p } };
  }
  return out;
}

export class AutoscalerDriver {
  private readonly policy: AutoscalerPolicy;
  private options: AutoscalerOptions;
  private overrides: Record<string, unknown> = {};
  private note: EvaluationNote | undefined;
  private wasRunning = false;
  private lastAttempt = -1;
  private executing: Promise<void> | undefined;
  private writes: Promise<void> = Promise.resolve();
  private writeFailed = false;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly d: AutoscalerDriverDeps) {
    this.now = d.now ?? Date.now;
    this.options = d.runtime.config.autoscaler;
    this.policy = new AutoscalerPolicy(this.options, this.now);
  }

  private get rt(): JobRuntime { return this.d.runtime; }

  /**
   * Takes up the settings an earlier job process of this job was changed to at run time, and
   * publishes the state once (so the REST view shows the settings before the first evaluation).
   */
  async start(): Promise<void> {
    const earlier = await this.d.store.getAutoscaler(this.rt.jobId).catch((err: Error) => {
      this.d.log.warn({ err: err.message }, 'could not read the autoscaler\'s earlier state; settings changed at run time (if any) are not restored');
      return undefined;
    });
    if (earlier) {
      this.policy.restore({ decisions: earlier.decisions.map(decisionFromView), ineffective: earlier.ineffective });
      if (earlier.decisions.length) this.d.log.info({ decisions: earlier.decisions.length, ineffective: earlier.ineffective }, 'the autoscaler\'s decision history of the earlier job process restored');
    }
    if (earlier && Object.keys(earlier.overrides).length) {
      try {
        this.apply(earlier.overrides);
        this.d.log.info({ overrides: earlier.overrides }, 'autoscaler settings changed at run time restored');
      } catch (err) {
        this.d.log.warn({ err: describeError(err), overrides: earlier.overrides }, 'the autoscaler settings changed at run time no longer apply; using the job\'s configuration');
      }
    }
    if (this.options.enabled && !this.d.metricsEnabled) {
      this.noteNow('no-metrics', 'ebbflow.metrics.enabled is false: the autoscaler has no metrics to decide on');
      this.d.log.warn('job.autoscaler.enabled is true but ebbflow.metrics.enabled is false: the autoscaler has no metrics and does nothing');
    }
    await this.publish();
  }

  /** A metrics snapshot was published: evaluate (when on). Never throws (the metrics go on whatever happens here). */
  onSnapshot(snap: JobMetricsSnapshot): void {
    if (this.stopped) return;
    try {
      this.evaluate(snap);
    } catch (err) {
      this.d.log.error({ err }, 'the autoscaler\'s evaluation failed');
    }
  }

  private evaluate(snap: JobMetricsSnapshot): void {
    const rt = this.rt;
    if (!this.options.enabled) {
      // Nothing to decide; the state was published when the setting changed.
      if (this.note?.code !== 'disabled') { this.noteNow('disabled', 'the autoscaler is off (job.autoscaler.enabled)'); void this.publish(); }
      return;
    }
    if (!rt.running) {
      this.wasRunning = false;
      this.noteNow('not-running', `the job is ${rt.describePhase()}`);
      void this.publish();
      return;
    }
    if (this.executing || this.d.rescaling()) {
      this.noteNow('rescale-pending', this.executing ? 'its rescale is under way' : 'a rescale is under way');
      void this.publish();
      return;
    }
    const now = this.now();
    // (Re)started: new subtasks warm up before anything is decided.
    if (!this.wasRunning || rt.attempt !== this.lastAttempt) this.policy.jobStarted(now);
    this.wasRunning = true;
    this.lastAttempt = rt.attempt;
    const subtasks = samplesOf(snap.subtasks.filter((s) => s.attempt === rt.attempt));
    const ev = this.policy.evaluate(now, { vertices: autoscalerVertices(rt), subtasks });
    this.noteNow(ev.action === 'rescale' ? 'rescale' : ev.code, ev.reason);
    if (ev.action === 'rescale') {
      this.executing = this.execute(ev).finally(() => { this.executing = undefined; });
    }
    void this.publish();
  }

  /** A change of the settings (PATCH /jobs/:jobid/autoscaler): a bad one throws a ConfigError naming the key, and nothing changes. */
  async change(configuration: Record<string, unknown>): Promise<{ options: AutoscalerInfo['options']; overrides: AutoscalerInfo['overrides'] }> {
    this.apply(configuration);
    this.d.log.info({ change: configuration }, `autoscaler settings changed: ${Object.entries(configuration).map(([k, v]) => `${k}=${v === null ? '(job\'s value)' : String(v)}`).join(', ')}`);
    if (!this.options.enabled) this.noteNow('disabled', 'the autoscaler is off (job.autoscaler.enabled)');
    const view = this.view();
    await this.publish(view);
    return { options: view.options, overrides: view.overrides };
  }

  private apply(change: Record<string, unknown>): void {
    const { overrides, options } = applyAutoscalerChange(this.d.configuration, this.overrides, change);
    this.overrides = overrides;
    this.options = options;
    this.policy.setOptions(options, this.now());
  }

  /** Carries out a rescale decision and reports what became of it. */
  private async execute(ev: Extract<Evaluation, { action: 'rescale' }>): Promise<void> {
    const { runtime: rt, log } = this.d;
    const name = (id: string) => rt.plan.graph.vertices.find((v) => v.id === id)?.name ?? id;
    const before = (id: string) => rt.scale.get(id)!.parallelism;
    let target = ev.parallelism;
    let rescaleId: string | undefined;
    const why = ev.decision.vertices.filter((d) => target[d.vertexId] !== undefined).map((d) => d.text).join('; ');
    try {
      target = await this.reserve(target);
      log.info({ decision: ev.decisionId, parallelism: target, from: Object.fromEntries(Object.keys(target).map((id) => [id, before(id)])) },
        `autoscaler decision #${ev.decisionId}: ${Object.entries(target).map(([id, p]) => `${name(id)} ${before(id)} → ${p}`).join(', ')} (${why})`);
      const out = await this.d.scaler.apply({
        requirements: autoscalerRequirements(target, rt.userBounds), trigger: 'autoscaler',
        started: (id) => { rescaleId = id; this.policy.rescaleStarted(ev.decisionId, id); },
      });
      this.policy.rescaleCompleted(ev.decisionId, outcomeOf(out, rescaleId));
      log.info({ decision: ev.decisionId, rescale: rescaleId, parallelism: out.parallelism.after, durationMs: out.durationMs },
        `autoscaler decision #${ev.decisionId} carried out${out.noop ? ' (no TaskManager came: nothing changed)' : ''}`);
    } catch (err) {
      const failure = failureOf(err);
      this.policy.rescaleFailed(ev.decisionId, failure);
      log.warn({ decision: ev.decisionId, rescale: rescaleId, err: failure.message, unsatisfiable: failure.unsatisfiable }, `autoscaler decision #${ev.decisionId} failed`);
    } finally {
      await this.d.capacity.settle();
      await this.publish();
    }
  }

  /** Reserves the TaskManagers a scale-up needs; a smaller grant lowers the vertices above it, none refuses it. */
  private async reserve(target: Record<string, number>): Promise<Record<string, number>> {
    const rt = this.rt;
    const current = Math.max(...[...rt.scale.values()].map((v) => v.parallelism));
    const next = Math.max(current, ...[...rt.scale].map(([id, v]) => target[id] ?? v.parallelism));
    if (next <= current) return target;
    const allowed = await this.d.capacity.reserve(next, current);
    if (allowed >= next) return target;
    const capped = Object.fromEntries(Object.entries(target).map(([id, p]) => [id, Math.min(p, Math.max(allowed, rt.scale.get(id)!.parallelism))]));
    if (Object.entries(capped).every(([id, p]) => p === rt.scale.get(id)!.parallelism)) {
      throw new CapacityRefused(`no TaskManager can be reserved for a largest parallelism of ${next} (the dispatcher's TaskManager limits: EBBFLOW_MAX_TASKMANAGERS_PER_JOB, EBBFLOW_MAX_TASKMANAGERS)`);
    }
    return capped;
  }

  private noteNow(code: EvaluationNote['code'], reason: string): void {
    this.note = { timestamp: this.now(), code, reason };
  }

  private view(): AutoscalerInfo {
    const names = new Map(this.rt.plan.graph.vertices.map((v) => [v.id, v.name]));
    return autoscalerView({
      jobId: this.rt.jobId, options: this.options, overrides: this.overrides, status: this.policy.status(this.now()),
      vertices: autoscalerVertices(this.rt), names, lastEvaluation: this.note, now: this.now(),
    });
  }

  /** Writes the state (one write at a time, in order); a failed write is logged once until one succeeds. */
  private publish(view: AutoscalerInfo = this.view()): Promise<void> {
    this.writes = this.writes.then(() => this.d.store.putAutoscaler(this.rt.jobId, view)).then(() => { this.writeFailed = false; }, (err: Error) => {
      if (!this.writeFailed) this.d.log.warn({ err: err.message }, 'could not record the autoscaler\'s state in Redis; the next evaluation writes it again');
      this.writeFailed = true;
    });
    return this.writes;
  }

  /** The job ends: no more evaluations; the last state is written. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.publish();
  }
}
