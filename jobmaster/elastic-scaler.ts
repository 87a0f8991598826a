/**
 * What parallelism a job should run at, and getting it there (Flink's adaptive
 * scheduler, FLIP-291 requirements):
 *
 * - Each vertex has bounds {lowerBound, upperBound}; by default 1 and the
 *   parallelism the job was submitted with. The job runs every vertex at the
 *   highest parallelism within its bounds (and its cap) that the slots allow.
 * - A request (`PATCH /jobs/:id/rescaling?parallelism=N` or a requirements
 *   PUT) asks the ResourceManager for every TaskManager it needs at once, then
 *   waits for them: a parallelism request needs all of them within the
 *   resource wait timeout, or fails with the job unchanged; a requirements
 *   change takes what arrived within the stabilization timeout, if that meets
 *   the lower bounds. Then it rescales in place (rescale-coordinator.ts).
 * - Requests run one at a time, in order.
 * - A job running below what its requirements ask for (a TaskManager was lost
 *   and no replacement came in time) scales back up once slots return and the
 *   stabilization timeout passed.
 * - Every rescale, whatever its trigger, goes into the job's rescale history
 *   (rescale-history.ts) as it is taken up, moves on and ends.
 */
import { ResourceWaitTimeoutError, type ResourceManager } from '../resourcemanager/index.js';
import { RescaleFailedAfterSwitch } from './errors.js';
import type { RescaleTrigger } from '../metadata/index.js';
import type { JobRuntime } from './job-runtime.js';
import { desiredParallelism, fitRequirements, sameParallelism, slotsNeeded, type ResourceRequirements } from './job-scale.js';
import type { JobStatusWriter } from './job-status-writer.js';
import type { RescaleCoordinator } from './rescale-coordinator.js';
import type { RescaleEntry, RescaleHistory } from './rescale-history.js';
import type { RescaleResult } from './rescale-statistics.js';
import type { TaskManagerPool } from './task-manager-pool.js';

/**
 * What the scaler works on: the job's runtime state (plan, limits, scale, committed scale,
 * requirements, phase), the ResourceManager, the rescale coordinator, the slots, and the writer that
 * records requirements and vertices.
 */
export interface ScalerContext {
  runtime: JobRuntime;
  rm: ResourceManager;
  rescaler: RescaleCoordinator;
  pool: TaskManagerPool;
  writer: JobStatusWriter;
  /** Where each rescale is recorded. */
  history: RescaleHistory;
  /** The job must restart from its latest completed checkpoint. */
  restart(cause: string): void;
  /** Release TaskManagers nobody needs any more. */
  releaseIdle(): void;
}

export interface ScaleRequest {
  /** PATCH /rescaling: every vertex that can take it runs at exactly this parallelism. */
  parallelism?: number;
  /** PUT /resource-requirements: bounds for the named vertices (the others keep theirs). */
  requirements?: ResourceRequirements;
  /** The operation that asked for it (for the rescale history). */
  triggerId?: string;
  /** Who asked, for the rescale history. @default 'user' for a parallelism, 'requirements' for bounds */
  trigger?: Extract<RescaleTrigger, 'user' | 'requirements' | 'autoscaler'>;
  /** Called once the request is taken up, with its id in the rescale history. */
  started?: (rescaleId: string) => void;
}

/** Execution states of subtasks that no longer occupy their TaskManager. */
const ENDED = new Set(['FINISHED', 'CANCELED', 'FAILED']);

export type ScaleOutcome = RescaleResult & { requirements: ResourceRequirements };

export class ElasticScaler {
  private queue: Promise<unknown> = Promise.resolve();
  private slotWaiters = new Set<() => void>();
  /** Fails the slot wait of the request in progress, if one is waiting. */
  private abortWaiting: ((err: Error) => void) | undefined;
  private scaleUpTimer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: ScalerContext) {}

  private get rt(): JobRuntime { return this.ctx.runtime; }
  private get slots(): number { return this.ctx.pool.slots().length; }
  private get stabilizationMs(): number { return this.rt.config.resourceStabilizationTimeoutMs; }

  /** New slots registered (or the job state changed): wake whoever waits for slots. */
  slotsChanged(): void {
    for (const w of this.slotWaiters) w();
    this.maybeScaleUp();
  }

  /** Runs a request after the ones before it. */
  apply(req: ScaleRequest, progress: (phase: string) => void = () => {}): Promise<ScaleOutcome> {
    const run = this.queue.then(() => this.run(req, progress));
    // The caller gets the failure; the queue only orders requests, so the next one runs either way.
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  }

  private requested(req: ScaleRequest): ResourceRequirements {
    const { limits } = this.rt;
    const out: ResourceRequirements = structuredClone(this.rt.requirements);
    for (const v of this.rt.plan.graph.vertices) {
      if (req.parallelism !== undefined && !limits.fixed.has(v.id)) {
        out[v.id] = { parallelism: { lowerBound: 1, upperBound: Math.min(req.parallelism, limits.caps.get(v.id)!) } };
      } else if (req.requirements?.[v.id]) {
        out[v.id] = structuredClone(req.requirements[v.id]!);
      }
    }
    return out;
  }

  private async run(req: ScaleRequest, report: (phase: string) => void): Promise<ScaleOutcome> {
    const { ctx, rt } = this;
    ctx.history.newRequirements();
    const wanted = this.requested(req);
    const entry = ctx.history.begin({
      trigger: req.trigger ?? (req.parallelism !== undefined ? 'user' : 'requirements'), triggerId: req.triggerId,
      before: rt.scale, desired: desiredParallelism(rt.plan.graph, rt.limits, wanted, rt.scale), requirements: wanted,
    });
    req.started?.(entry.id);
    const progress = (phase: string) => { entry.phase(phase); report(phase); };
    const tms = this.taskManagersNow();
    try {
      const outcome = await this.runRecorded(req, wanted, progress);
      entry.completed(outcome, this.taskManagersSince(tms));
      return outcome;
    } catch (err) {
      entry.failed(err, this.taskManagersSince(tms));
      throw err;
    } finally {
      // The history shows the outcome by the time the operation reports it.
      await ctx.history.flushed();
    }
  }

  /** The TaskManagers that host a live subtask of the job. */
  private taskManagersNow(): Set<string> {
    return new Set(this.rt.graph.all().filter((e) => e.resourceId && !ENDED.has(e.state)).map((e) => e.resourceId!));
  }

  /** TaskManagers that host subtasks now and hosted none at `before` (added), and the other way round (released). */
  private taskManagersSince(before: Set<string>): { added: string[]; released: string[] } {
    const now = this.taskManagersNow();
    return { added: [...now].filter((t) => !before.has(t)).sort(), released: [...before].filter((t) => !now.has(t)).sort() };
  }

  private async runRecorded(req: ScaleRequest, wanted: ResourceRequirements, progress: (phase: string) => void): Promise<ScaleOutcome> {
    const { ctx, rt } = this;
    if (!rt.running) progress('waiting for the job to run');
    await rt.whenRunning(rt.resourceWaitMs);
    const desired = desiredParallelism(rt.plan.graph, rt.limits, wanted, rt.scale);
    const strict = req.parallelism !== undefined;
    let target: Map<string, number>;
    if (sameParallelism(rt.scale, desired)) target = desired;
    else {
      ctx.rm.ensureSlots(slotsNeeded(desired));
      if (this.slots < slotsNeeded(desired)) progress(`waiting for ${slotsNeeded(desired)} slot(s) (${this.slots} registered)`);
      try {
        target = await this.waitForSlots(desired, wanted, strict);
      } catch (err) {
        await ctx.rm.cancelPending();
        ctx.releaseIdle();
        throw err;
      }
    }
    let result: RescaleResult;
    try {
      result = await ctx.rescaler.rescale(target, progress);
    } catch (err) {
      if (err instanceof RescaleFailedAfterSwitch) {
        // If the rescale checkpoint completed, the job resumes at the new scale: the request took effect.
        if (sameParallelism(rt.committed, target)) this.adopt(wanted, req);
        ctx.restart(err.message);
      } else {
        await ctx.rm.cancelPending();
        ctx.releaseIdle();
      }
      throw err;
    }
    this.adopt(wanted, req);
    ctx.releaseIdle();
    await ctx.writer.persistNow();
    return { ...result, requirements: wanted };
  }

  /** The requirements in force now; bounds a user's requirements request named become the user's bounds (the autoscaler's do not). */
  private adopt(wanted: ResourceRequirements, req: ScaleRequest): void {
    this.rt.requirements = wanted;
    if (req.requirements && req.trigger !== 'autoscaler') Object.assign(this.rt.userBounds, structuredClone(req.requirements));
    void this.ctx.writer.requirementsChanged(wanted, this.rt.userBounds);
  }

  /** Waits until the slots for `desired` registered (or, unless strict, enough for the lower bounds after stabilizing). */
  private waitForSlots(desired: Map<string, number>, req: ResourceRequirements, strict: boolean): Promise<Map<string, number>> {
    const { ctx, rt } = this;
    const needed = slotsNeeded(desired);
    const start = Date.now();
    return new Promise((resolve, reject) => {
      // Set by the timers themselves: a timer may fire a millisecond before Date.now() shows its delay
      // passed, and a check that only compared Date.now() would then wait for good.
      let stabilized = false;
      let timedOut = false;
      const check = () => {
        const slots = this.slots;
        if (!rt.running) return done(new Error('the job stopped running while the rescale waited for TaskManagers'));
        if (slots >= needed) return done(undefined, desired);
        const waited = Date.now() - start;
        if (!strict && (stabilized || waited >= this.stabilizationMs)) {
          const fit = fitRequirements(rt.plan.graph, rt.limits, req, slots, rt.scale);
          if (fit) return done(undefined, fit);
        }
        if (timedOut || waited >= rt.resourceWaitMs) {
          const rm = ctx.rm;
          return done(new ResourceWaitTimeoutError(needed, rt.resourceWaitMs, rm.driverName, `: ${slots} available, ${rm.pendingWorkers} TaskManager(s) requested and not started; the job keeps running at its current parallelism`));
        }
      };
      const timers = [
        setTimeout(() => { timedOut = true; check(); }, rt.resourceWaitMs),
        ...(strict ? [] : [setTimeout(() => { stabilized = true; check(); }, this.stabilizationMs)]),
      ];
      const done = (err?: Error, target?: Map<string, number>) => {
        for (const t of timers) clearTimeout(t);
        this.slotWaiters.delete(check);
        this.abortWaiting = undefined;
        if (err) reject(err); else resolve(target!);
      };
      this.slotWaiters.add(check);
      this.abortWaiting = (err) => done(err);
      check();
    });
  }

  /**
   * The request in progress can no longer be met as planned (the job is restarting, or a TaskManager
   * it waits for or counts on is gone): if it waits for slots, it fails now with `cause` instead of
   * when the wait times out (or with a vague message when a slot next registers). Returns whether
   * a request was waiting.
   */
  abortWait(cause: string): boolean {
    if (!this.abortWaiting) return false;
    this.abortWaiting(new Error(cause));
    return true;
  }

  /** Below its requirements and slots came back: scale up once the stabilization timeout passed. */
  private maybeScaleUp(): void {
    const { ctx, rt } = this;
    if (this.scaleUpTimer || !rt.running || ctx.rescaler.inProgress) return;
    const desired = rt.desired();
    const current = rt.scale;
    if ([...desired].every(([id, p]) => current.get(id)!.parallelism >= p)) return;
    if (this.slots <= slotsNeeded(current)) return;
    this.scaleUpTimer = setTimeout(() => {
      this.scaleUpTimer = undefined;
      this.queue = this.queue.then(async () => {
        if (!rt.running || ctx.rescaler.inProgress) return;
        const fit = fitRequirements(rt.plan.graph, rt.limits, rt.requirements, this.slots, rt.scale);
        if (!fit || sameParallelism(rt.scale, fit) || [...fit].some(([id, p]) => p < rt.scale.get(id)!.parallelism)) return;
        rt.log.info({ slots: this.slots }, 'slots returned: scaling back up');
        const entry: RescaleEntry = ctx.history.begin({ trigger: 'adaptive', before: rt.scale, desired: rt.desired(), requirements: rt.requirements });
        const tms = this.taskManagersNow();
        await ctx.rescaler.rescale(fit, (phase) => entry.phase(phase)).then((result) => {
          entry.completed(result, this.taskManagersSince(tms));
        }, (err: Error) => {
          rt.log.warn({ err: err.message }, 'scaling back up failed');
          entry.failed(err, this.taskManagersSince(tms));
          if (err instanceof RescaleFailedAfterSwitch) ctx.restart(err.message);
        });
      }).catch((err: Error) => rt.log.warn({ err: err.message }, 'scaling back up failed'));
    }, this.stabilizationMs);
  }

  stop(): void {
    clearTimeout(this.scaleUpTimer);
    for (const w of this.slotWaiters) w();
  }
}
