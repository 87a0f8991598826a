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
 */
import type { Logger } from 'pino';
import type { ResourceManager } from '../resourcemanager/index.js';
import type { JobGraph } from '../runtime/job-graph.js';
import {
  desiredParallelism, fitRequirements, sameParallelism, slotsNeeded, type JobScale, type ResourceRequirements, type VertexLimits,
} from './job-scale.js';
import { RescaleFailedAfterSwitch, type RescaleCoordinator, type RescaleResult } from './rescale-coordinator.js';

export interface ScalerContext {
  plan: JobGraph;
  limits: VertexLimits;
  log: Logger;
  rm(): ResourceManager;
  rescaler(): RescaleCoordinator;
  scale(): JobScale;
  /** The scale of the latest completed checkpoint (after a failed rescale: where the restart resumes). */
  committed(): JobScale;
  slots(): number;
  running(): boolean;
  /** Resolves when the job runs (or rejects after `ms`). */
  whenRunning(ms: number): Promise<void>;
  /** The job must restart from its latest completed checkpoint. */
  restart(cause: string): void;
  /** Requirements changed: persist them. */
  requirementsChanged(req: ResourceRequirements): void;
  /** Release TaskManagers nobody needs any more. */
  releaseIdle(): void;
  /** Writes vertices, subtasks and TaskManagers to the registry now (before a request reports COMPLETED). */
  persistNow(): Promise<void>;
  resourceWaitMs: number;
  stabilizationMs: number;
}

export interface ScaleRequest {
  /** PATCH /rescaling: every vertex that can take it runs at exactly this parallelism. */
  parallelism?: number;
  /** PUT /resource-requirements: bounds for the named vertices (the others keep theirs). */
  requirements?: ResourceRequirements;
}

export type ScaleOutcome = RescaleResult & { requirements: ResourceRequirements };

export class ElasticScaler {
  private queue: Promise<unknown> = Promise.resolve();
  private slotWaiters = new Set<() => void>();
  /** Fails the slot wait of the request in progress, if one is waiting. */
  private abortWaiting: ((err: Error) => void) | undefined;
  private scaleUpTimer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: ScalerContext, public requirements: ResourceRequirements) {}

  /** Per-vertex parallelism the requirements ask for, given unlimited slots. */
  desired(): Map<string, number> {
    return desiredParallelism(this.ctx.plan, this.ctx.limits, this.requirements, this.ctx.scale());
  }

  /** New slots registered (or the job state changed): wake whoever waits for slots. */
  slotsChanged(): void {
    for (const w of this.slotWaiters) w();
    this.maybeScaleUp();
  }

  /** Runs a request after the ones before it. */
  apply(req: ScaleRequest, progress: (phase: string) => void = () => {}): Promise<ScaleOutcome> {
    const run = this.queue.then(() => this.run(req, progress));
    this.queue = run.catch(() => {});
    return run;
  }

  private requested(req: ScaleRequest): ResourceRequirements {
    const { plan, limits } = this.ctx;
    const out: ResourceRequirements = structuredClone(this.requirements);
    for (const v of plan.vertices) {
      if (req.parallelism !== undefined && !limits.fixed.has(v.id)) {
        out[v.id] = { parallelism: { lowerBound: 1, upperBound: Math.min(req.parallelism, limits.caps.get(v.id)!) } };
      } else if (req.requirements?.[v.id]) {
        out[v.id] = structuredClone(req.requirements[v.id]!);
      }
    }
    return out;
  }

  private async run(req: ScaleRequest, progress: (phase: string) => void): Promise<ScaleOutcome> {
    const { ctx } = this;
    if (!ctx.running()) progress('waiting for the job to run');
    await ctx.whenRunning(ctx.resourceWaitMs);
    const wanted = this.requested(req);
    const desired = desiredParallelism(ctx.plan, ctx.limits, wanted, ctx.scale());
    const strict = req.parallelism !== undefined;
    let target: Map<string, number>;
    if (sameParallelism(ctx.scale(), desired)) target = desired;
    else {
      ctx.rm().ensureSlots(slotsNeeded(desired));
      if (ctx.slots() < slotsNeeded(desired)) progress(`waiting for ${slotsNeeded(desired)} slot(s) (${ctx.slots()} registered)`);
      try {
        target = await this.waitForSlots(desired, wanted, strict);
      } catch (err) {
        await ctx.rm().cancelPending();
        ctx.releaseIdle();
        throw err;
      }
    }
    let result: RescaleResult;
    try {
      result = await ctx.rescaler().rescale(target, progress);
    } catch (err) {
      if (err instanceof RescaleFailedAfterSwitch) {
        // If the rescale checkpoint completed, the job resumes at the new scale: the request took effect.
        if (sameParallelism(ctx.committed(), target)) this.adopt(wanted);
        ctx.restart(err.message);
      } else {
        await ctx.rm().cancelPending();
        ctx.releaseIdle();
      }
      throw err;
    }
    this.adopt(wanted);
    ctx.releaseIdle();
    await ctx.persistNow();
    return { ...result, requirements: wanted };
  }

  private adopt(req: ResourceRequirements): void {
    this.requirements = req;
    this.ctx.requirementsChanged(req);
  }

  /** Waits until the slots for `desired` registered (or, unless strict, enough for the lower bounds after stabilizing). */
  private waitForSlots(desired: Map<string, number>, req: ResourceRequirements, strict: boolean): Promise<Map<string, number>> {
    const { ctx } = this;
    const needed = slotsNeeded(desired);
    const start = Date.now();
    return new Promise((resolve, reject) => {
      // Set by the timers themselves: a timer may fire a millisecond before Date.now() shows its delay
      // passed, and a check that only compared Date.now() would then wait for good.
      let stabilized = false;
      let timedOut = false;
      const check = () => {
        const slots = ctx.slots();
        if (!ctx.running()) return done(new Error('the job stopped running while the rescale waited for TaskManagers'));
        if (slots >= needed) return done(undefined, desired);
        const waited = Date.now() - start;
        if (!strict && (stabilized || waited >= ctx.stabilizationMs)) {
          const fit = fitRequirements(ctx.plan, ctx.limits, req, slots, ctx.scale());
          if (fit) return done(undefined, fit);
        }
        if (timedOut || waited >= ctx.resourceWaitMs) {
          const rm = ctx.rm();
          return done(new Error(`could not get ${needed} slot(s) within ${ctx.resourceWaitMs} ms (jobmanager.adaptive-scheduler.resource-wait-timeout) from the ${rm.driverName} resource manager: ${slots} available, ${rm.pendingWorkers} TaskManager(s) requested and not started; the job keeps running at its current parallelism`));
        }
      };
      const timers = [
        setTimeout(() => { timedOut = true; check(); }, ctx.resourceWaitMs),
        ...(strict ? [] : [setTimeout(() => { stabilized = true; check(); }, ctx.stabilizationMs)]),
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
    const { ctx } = this;
    if (this.scaleUpTimer || !ctx.running() || ctx.rescaler().inProgress) return;
    const desired = this.desired();
    const current = ctx.scale();
    if ([...desired].every(([id, p]) => current.get(id)!.parallelism >= p)) return;
    if (ctx.slots() <= slotsNeeded(current)) return;
    this.scaleUpTimer = setTimeout(() => {
      this.scaleUpTimer = undefined;
      this.queue = this.queue.then(async () => {
        if (!ctx.running() || ctx.rescaler().inProgress) return;
        const fit = fitRequirements(ctx.plan, ctx.limits, this.requirements, ctx.slots(), ctx.scale());
        if (!fit || sameParallelism(ctx.scale(), fit) || [...fit].some(([id, p]) => p < ctx.scale().get(id)!.parallelism)) return;
        ctx.log.info({ slots: ctx.slots() }, 'slots returned: scaling back up');
        await ctx.rescaler().rescale(fit).catch((err: Error) => {
          ctx.log.warn({ err: err.message }, 'scaling back up failed');
          if (err instanceof RescaleFailedAfterSwitch) ctx.restart(err.message);
        });
      }).catch(() => {});
    }, ctx.stabilizationMs);
  }

  stop(): void {
    clearTimeout(this.scaleUpTimer);
    for (const w of this.slotWaiters) w();
  }
}
