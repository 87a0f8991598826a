/**
 * Slots for an attempt: asks the ResourceManager for what the requirements
 * ask for, waits until those slots registered — or, after the stabilization
 * timeout, takes what there is if it meets the lower bounds — then deploys
 * subtask i of every vertex into slot i (slot sharing). Also the free slots a
 * rescale places added subtasks in, and releasing TaskManagers nobody needs.
 */
import { ResourceWaitTimeoutError, type ResourceManager } from '../resourcemanager/index.js';
import type { CheckpointCoordinator } from './checkpoint-coordinator.js';
import { assignSlots, deploymentDescriptors, type Slot } from './deployment.js';
import { ExecutionGraph } from './execution-graph.js';
import type { JobRuntime } from './job-runtime.js';
import { fitRequirements, planScale, slotsNeeded } from './job-scale.js';
import type { JobStatusWriter } from './job-status-writer.js';
import type { TaskManagerPool } from './task-manager-pool.js';

export interface SlotSchedulerParts {
  runtime: JobRuntime;
  pool: TaskManagerPool;
  rm: ResourceManager;
  coordinator: CheckpointCoordinator;
  writer: JobStatusWriter;
  /** The job cannot get its slots: it fails with `cause`. */
  fail(cause: string): void;
}

export class SlotScheduler {
  private slotTimer: NodeJS.Timeout | undefined;
  private stabilizeTimer: NodeJS.Timeout | undefined;
  private waitingSince = 0;

  constructor(private readonly o: SlotSchedulerParts) {}

  /** Starts an attempt: waits for slots, then deploys. */
  startAttempt(): void {
    const { runtime, rm, pool } = this.o;
    runtime.phase = 'WAITING_FOR_SLOTS';
    this.waitingSince = Date.now();
    this.o.writer.scheduleVertexWrite();
    const desired = runtime.desired();
    rm.ensureSlots(slotsNeeded(desired));
    this.stop();
    this.slotTimer = setTimeout(() => {
      // Out of time: run with what meets the lower bounds, if anything does, else give up.
      this.tryDeploy(true);
      if (runtime.phase === 'WAITING_FOR_SLOTS') this.o.fail(new ResourceWaitTimeoutError(slotsNeeded(desired), runtime.resourceWaitMs, rm.driverName, ` (${pool.slots().length} available, not enough for the lower bounds of the requirements; workers: ${rm.describe()})`).message);
    }, runtime.resourceWaitMs);
    this.stabilizeTimer = setTimeout(() => this.tryDeploy(true), runtime.config.resourceStabilizationTimeoutMs);
    this.tryDeploy();
  }

  /**
   * Deploys once the slots the requirements ask for registered — or, after the stabilization timeout,
   * with the slots there are if they meet the lower bounds. Slot i hosts subtask i of every vertex.
   */
  tryDeploy(stabilized = false): void {
    const { runtime, pool, coordinator } = this.o;
    if (runtime.phase !== 'WAITING_FOR_SLOTS') return;
    const slots = pool.slots();
    const desired = runtime.desired();
    const plan = runtime.plan.graph;
    let target: Map<string, number> | undefined = slots.length >= slotsNeeded(desired) ? desired : undefined;
    // `stabilized` comes from the stabilization timer, which may fire a millisecond before Date.now() shows the timeout passed.
    if (!target && (stabilized || Date.now() - this.waitingSince >= runtime.config.resourceStabilizationTimeoutMs)) {
      target = fitRequirements(plan, runtime.limits, runtime.requirements, slots.length, runtime.committed);
    }
    if (!target) return;
    this.stop();
    runtime.scale = planScale(plan, runtime.limits, target, runtime.committed, coordinator.stateSizes().perKeyGroup);
    runtime.graph = new ExecutionGraph(plan, runtime.scale, runtime.limits.caps);
    assignSlots(runtime.graph, slots, slotsNeeded(runtime.scale));
    runtime.phase = 'DEPLOYING';
    const ctx = runtime.deployContext(coordinator.latest() ?? '');
    if (ctx.restorePath) {
      runtime.log.info({ restorePath: ctx.restorePath, attempt: runtime.attempt }, 'restoring state');
      if (runtime.attempt > 0) coordinator.restoredOnFailover();
    }
    for (const { tm, deploy } of deploymentDescriptors(plan, runtime.graph, pool.tms, runtime.scale, ctx)) {
      // Its loss fails the attempt (a lost TaskManager) as soon as the pool reports it.
      if (tm.gateway.deploy(deploy) === 'gone') runtime.log.warn({ resourceId: tm.resourceId, executionId: deploy.executionId }, 'TaskManager gone: deployment not delivered (handled as a lost TaskManager)');
    }
    this.o.writer.scheduleVertexWrite();
  }

  /** Slots that host no subtask, in a stable order. */
  freeSlots(): Slot[] {
    const used = new Set(this.o.runtime.graph.all().filter((e) => e.resourceId).map((e) => `${e.resourceId}/${e.slotIndex ?? 0}`));
    return this.o.pool.slots().map(({ tm, slot }) => ({ resourceId: tm.resourceId, slot })).filter((s) => !used.has(`${s.resourceId}/${s.slot}`));
  }

  /** Stops TaskManagers that host no subtask, beyond the slots the requirements ask for. Not a failure. */
  releaseIdle(): void {
    const { runtime, pool, rm, writer } = this.o;
    if (!runtime.running || runtime.switching) return;
    const busy = new Set(runtime.graph.all().map((e) => e.resourceId));
    let slots = pool.slots().length;
    const keep = slotsNeeded(runtime.desired());
    for (const tm of [...pool.tms.values()].sort((a, b) => b.resourceId.localeCompare(a.resourceId))) {
      if (busy.has(tm.resourceId) || slots - tm.slots < keep) continue;
      slots -= tm.slots;
      runtime.log.info({ resourceId: tm.resourceId }, 'releasing an idle TaskManager');
      // Gone already: the driver's release below stops it all the same.
      if (pool.release(tm.resourceId, 'released: the job no longer needs it') === 'gone') runtime.log.info({ resourceId: tm.resourceId }, 'the idle TaskManager was already gone');
      rm.release(tm.resourceId).catch((err: Error) => runtime.log.warn({ resourceId: tm.resourceId, err: err.message }, 'releasing an idle TaskManager failed'));
      writer.removeTaskManager(tm.resourceId);
    }
  }

  /** Stops waiting for slots. */
  stop(): void {
    clearTimeout(this.slotTimer);
    clearTimeout(this.stabilizeTimer);
  }
}
