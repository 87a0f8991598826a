/**
 * In-place rescale of a running job (the subtasks' side is runtime/rescale.ts).
 * A rescale is a checkpoint that carries the new scale:
 *
 *   JobMaster                         subtasks
 *   ─ checkpoint n-1 (must succeed: checkpoints work, fresh sizes per key group)
 *   ─ plan: new tables from the old ones (fewest key groups move; light ones first)
 *   ─ deploy added subtasks ────────► start empty, hold records of what they own
 *   ─ PrepareRescale to the others ─► remember the configuration for barrier n
 *   ◄──────────────── RescalePrepared
 *   ─ trigger checkpoint n at sources ► barrier n flows; each subtask snapshots
 *                                       (losers include what they lose), passes
 *                                       the barrier on, then switches: routing,
 *                                       producers, drops lost key groups
 *   ◄──────────────── acks; _metadata n (resumes at the new scale)
 *   ─ NotifyCheckpointComplete(n) ──► sinks publish; gainers read exactly their
 *                                       gained key groups (sources: positions)
 *                                       from chk-n, apply held records, release
 *                                       the watermark; retiring subtasks end
 *   ◄──────────────── RescaleLoaded (every subtask), FINISHED (retired ones)
 *   ─ release TaskManagers left without subtasks
 *
 * Periodic checkpoints go on throughout, on their usual ticks, except between
 * taking checkpoint n's id and triggering it (a tick then is covered by n):
 * they publish the output of key groups that do not move as often as ever.
 * With `rescale.migration.max-batch-bytes` the key groups move in batches
 * (rescale-batches.ts): the steps after the pre-flight checkpoint run once per
 * batch, each to an intermediate scale; a failure once a batch switched is a
 * failure after the switch.
 *
 * Subtasks whose key groups do not change keep running untouched (same
 * process, same execution, state in memory). A failure before checkpoint n is
 * triggered is rolled back (added subtasks cancelled; nothing switched); after
 * that the job restarts from its latest completed checkpoint — n, at the new
 * scale, if it completed — which is the stop-the-world fallback.
 */
import type { SendResult } from '../rpc/index.js';
import type { CheckpointCoordinator } from './checkpoint-coordinator.js';
import { deploymentDescriptors, place, rescaleDescriptor, type Slot } from './deployment.js';
import type { Execution, ExecutionGraph } from './execution-graph.js';
import { RescaleFailedAfterSwitch } from './errors.js';
import type { JobRuntime } from './job-runtime.js';
import { gainSources, planScale, sameParallelism, type JobScale } from './job-scale.js';
import { batchedResult, movedKeyGroups, parallelismRecord as record, rescaleResult, type LoadStats, type RescaleResult, type Step, type SwitchedRescale } from './rescale-statistics.js';
import { planBatches } from './rescale-batches.js';
import type { TaskManagerPool } from './task-manager-pool.js';

export { RescaleFailedAfterSwitch };

/**
 * What a rescale works on: the job's runtime state (plan, limits, graph, scale; the rescale in
 * progress is recorded there as `switching`), the TaskManagers and the checkpoint coordinator.
 * Each step may take the checkpoint timeout before the rescale is given up.
 */
export interface RescaleContext {
  runtime: JobRuntime;
  pool: TaskManagerPool;
  coordinator: CheckpointCoordinator;
  /** Slots free for new subtasks, in the order to use them. */
  freeSlots(): Slot[];
  /** Executions or TaskManagers changed: persist what the REST API shows. */
  changed(): void;
}

/** The rescale in progress; what rescale-statistics.ts reports comes from here (checkpoint id, roles, sizes at the switch). */
interface Active extends SwitchedRescale {
  next: JobScale;
  added: Execution[];
  retiring: Execution[];
  kept: Execution[];
  prepared: Set<string>;
  loaded: Map<string, LoadStats>;
  error: Error | undefined;
  poke: () => void;
  triggered: boolean;
  /** Per vertex, the subtasks that gain something and the old subtasks they gain it from. */
  gainers: Map<string, Array<{ e: Execution; from: Set<number> }>>;
}

export class RescaleCoordinator {
  private current: Active | undefined;
  /**
   * The rescale request in progress, across its pre-flight checkpoint and all its batches: an abort
   * that comes while no batch is active (the pre-flight checkpoint, between two batches) is kept here
   * and thrown when the next one starts, so a TaskManager lost meanwhile fails the rescale by name.
   * `switched`: a batch switched, so nothing can be rolled back any more.
   */
  private run: { error?: Error; switched: boolean } | undefined;

  constructor(private readonly ctx: RescaleContext) {}

  /** The rescale past its pre-flight checkpoint, also shown in the job's runtime state. */
  private get active(): Active | undefined { return this.current; }
  private set active(a: Active | undefined) {
    this.current = a;
    this.ctx.runtime.switching = a && { checkpointId: a.checkpointId, next: a.next };
  }

  private get rt(): JobRuntime { return this.ctx.runtime; }
  private get stepTimeoutMs(): number { return this.rt.config.checkpointTimeoutMs; }

  get inProgress(): boolean { return this.run !== undefined || this.active !== undefined; }

  /** A rescale is in progress and nothing has switched yet (none of its checkpoints was triggered). */
  canRollBack(): boolean { return this.run !== undefined && !this.run.switched && !this.active?.triggered; }

  /**
   * Rescales the running job in place to `target` (vertex id → parallelism); slots must be registered
   * already. The key groups that move go in batches of at most `rescale.migration.max-batch-bytes`,
   * one rescale checkpoint each (rescale-batches.ts).
   */
  async rescale(target: Map<string, number>, progress: (phase: string) => void = () => {}): Promise<RescaleResult> {
    const t0 = Date.now();
    const { ctx } = this;
    const before = this.rt.scale;
    if (sameParallelism(before, target)) return rescaleResult(t0, before, before, null, []);
    const graph = this.rt.graph;
    const run: { error?: Error; switched: boolean } = (this.run = { switched: false });
    try {
      await this.preflight(progress, run);
      const sizes = ctx.coordinator.stateSizes().perKeyGroup;
      const final = planScale(this.rt.plan.graph, this.rt.limits, target, before, sizes);
      const batches = planBatches(this.rt.plan.graph, before, final, sizes, this.rt.config.rescaleMaxBatchBytes);
      if (batches.length > 1) this.rt.log.info({ batches: batches.map((b) => ({ keyGroups: b.keyGroups, bytes: Math.round(b.bytes) })) }, 'rescaling in batches');
      const steps: Step[] = [];
      for (const [k, b] of batches.entries()) {
        const label = batches.length > 1 ? ` (batch ${k + 1} of ${batches.length}: ${b.keyGroups} key group(s), ${Math.round(b.bytes / 1024)} KiB)` : '';
        // The first batch switched: a later one that fails leaves the job between two scales, so it restarts.
        steps.push(await this.inPlace(graph, b.scale, progress, label, run));
      }
      return batchedResult(t0, before, final, steps);
    } finally {
      this.run = undefined;
    }
  }

  private async preflight(progress: (phase: string) => void, run: { error?: Error }): Promise<void> {
    const { ctx } = this;
    await ctx.coordinator.idle();
    if (!ctx.coordinator.healthy()) {
      // Pre-flight: no point switching while checkpoints fail. A successful one also gives the
      // per-key-group sizes, so that the lightest key groups are the ones that move.
      progress('checkpointing before the rescale');
      await ctx.coordinator.trigger(false).catch((err: Error) => {
        throw new Error(`the rescale needs a successful checkpoint first, and it failed: ${err.message}`, { cause: err });
      });
    }
    if (run.error) throw run.error;
  }

  /**
   * One rescale checkpoint: from the scale the job runs at to `next`; `run.switched`: an earlier
   * batch switched already.
   */
  private async inPlace(
    graph: ExecutionGraph, next: JobScale, progress: (phase: string) => void, label: string, run: { error?: Error; switched: boolean },
  ): Promise<Step> {
    const afterSwitch = run.switched;
    const t0 = Date.now();
    const { ctx } = this;
    const before = this.rt.scale;
    await ctx.coordinator.idle();
    // Periodic checkpoints go on during a rescale, between its batches (they publish the output of
    // every key group on the usual ticks), but not between taking this checkpoint's id and triggering it.
    const ticks = ctx.coordinator.holdTicks();
    let ticksReleased = false;
    const releaseTicksOnce = (triggered: boolean) => { if (!ticksReleased) { ticksReleased = true; ticks.release(triggered); } };
    const reserved = ctx.coordinator.reserve();
    const a: Active = {
      checkpointId: reserved.id, next, added: [], retiring: [], kept: [], prepared: new Set(), loaded: new Map(), error: run.error, poke: () => {}, triggered: false,
      gainers: new Map(), sizesAtSwitch: undefined,
    };
    this.active = a;
    this.rt.log.info({ checkpointId: a.checkpointId, before: record(before), after: record(next), batch: label.trim() || undefined }, 'rescaling in place');
    try {
      if (a.error) throw a.error;
      this.planExecutions(a, graph, before);
      ctx.changed();
      if (a.added.length) progress(`starting ${a.added.length} added subtask(s)`);
      await this.deployAdded(a, graph, reserved.dir);
      progress(`checkpoint ${a.checkpointId}: preparing ${a.kept.length + a.retiring.length} subtask(s)${label}`);
      for (const e of [...a.kept, ...a.retiring]) {
        const d = rescaleDescriptor(this.rt.plan.graph, graph, ctx.pool.tms, next, e, a.checkpointId, reserved.dir, e.retiring ? [] : this.loadFrom(a, before, e));
        // Never prepared: the rescale fails by its step timeout, or is aborted by that TaskManager's loss.
        this.undelivered(ctx.pool.gateway(e.resourceId).prepareRescale(d), e, 'prepare the rescale');
      }
      await this.until(a, 'every subtask to take the new configuration', () => [...a.kept, ...a.retiring].every((e) => a.prepared.has(e.id)));
      if (this.rt.config.rescaleMigrationPace === 'checkpoint-interval') {
        progress(`checkpoint ${a.checkpointId}: waiting for the next periodic checkpoint's time${label}`);
        await this.until(a, 'the next periodic checkpoint\'s time', () => false, ticks.tick);
      }
      a.triggered = true;
      run.switched = true;
      progress(`checkpoint ${a.checkpointId}: switching to the new scale${label}`);
      const participants = [...a.kept, ...a.retiring].map((e) => ({ executionId: e.id, vertexId: e.vertexId, subtask: e.subtaskIndex }));
      const sources = new Set(this.rt.plan.graph.vertices.filter((v) => v.isSource).map((v) => v.id));
      const switched = ctx.coordinator.trigger(false, undefined, { reserved, participants: { all: participants, sources: participants.filter((p) => sources.has(p.vertexId)) } });
      releaseTicksOnce(true);
      await switched;
      // Checkpoint n holds the new scale: from now on the job checkpoints at it (gainers still loading
      // snapshot once their state is in).
      a.sizesAtSwitch = ctx.coordinator.stateSizes();
      for (const e of a.added) delete e.added;
      for (const [id, v] of next) graph.setParallelism(id, v.parallelism);
      this.rt.scale = next;
      progress(`checkpoint ${a.checkpointId} complete: loading moved state${label}`);
      await this.until(a, 'every subtask to switch and load the state it gained, and retired ones to end', () =>
        [...a.kept, ...a.added].every((e) => a.loaded.has(e.id)) && a.retiring.every((e) => e.state === 'FINISHED'));
    } catch (err) {
      releaseTicksOnce(false);
      this.active = undefined;
      if (!a.triggered) this.rollBack(a, graph);
      const cause = (err as Error).message;
      throw a.triggered || afterSwitch ? new RescaleFailedAfterSwitch(`rescale at checkpoint ${a.checkpointId} failed: ${cause}`, { cause: err }) : err;
    }
    for (const e of a.retiring) graph.remove(e.id);
    this.active = undefined;
    ctx.changed();
    this.rt.log.info({ checkpointId: a.checkpointId, ms: Date.now() - t0 }, 'rescaled in place');
    return { ...a, loads: [...a.loaded.values()], durationMs: Date.now() - t0, keyGroupsMoved: movedKeyGroups(before, next) };
  }

  private planExecutions(a: Active, graph: ExecutionGraph, before: JobScale): void {
    const free = this.ctx.freeSlots();
    const slotOf = new Map<number, Slot>();
    for (const e of graph.all()) if (e.resourceId) slotOf.set(e.subtaskIndex, { resourceId: e.resourceId, slot: e.slotIndex ?? 0 });
    for (const v of this.rt.plan.graph.vertices) {
      const p0 = before.get(v.id)!.parallelism;
      const p1 = a.next.get(v.id)!.parallelism;
      for (const e of graph.ofVertex(v.id)) {
        if (e.subtaskIndex >= p1) { e.retiring = true; a.retiring.push(e); } else a.kept.push(e);
      }
      for (let i = p0; i < p1; i++) {
        // Slot sharing: subtask i of every vertex goes to the slot of index i.
        let slot = slotOf.get(i);
        if (!slot) {
          slot = free.shift();
          if (!slot) throw new Error(`no free slot for subtask ${i} of "${v.name}"`);
          slotOf.set(i, slot);
        }
        const e = graph.add(v.id, i, true);
        place(graph, e, slot);
        a.added.push(e);
      }
    }
  }

  private async deployAdded(a: Active, graph: ExecutionGraph, dir: string): Promise<void> {
    if (a.added.length === 0) return;
    const ctx = this.ctx;
    const deploy = this.rt.deployContext(dir);
    const added = { checkpointId: a.checkpointId, loadFrom: (e: Execution) => this.loadFrom(a, this.rt.scale, e) };
    for (const { tm, deploy: d } of deploymentDescriptors(this.rt.plan.graph, graph, ctx.pool.tms, a.next, deploy, a.added, added)) {
      this.undelivered(tm.gateway.deploy(d), graph.executions.get(d.executionId!)!, 'deploy an added subtask');
    }
    await this.until(a, 'the added subtasks to start', () => a.added.every((e) => e.state === 'RUNNING'));
  }

  /** Nothing switched yet: cancel what was added and forget the plan. */
  private rollBack(a: Active, graph: ExecutionGraph): void {
    for (const e of a.added) {
      // An added subtask on a TaskManager that is gone needs no cancelling.
      if (this.ctx.pool.gateway(e.resourceId).cancel(e.id) === 'gone') this.rt.log.info({ executionId: e.id, resourceId: e.resourceId }, 'rollback: the added subtask\'s TaskManager is gone');
      graph.remove(e.id);
    }
    for (const e of a.retiring) delete e.retiring;
    this.ctx.changed();
  }

  /** Resolves when `done()` (checked at every poke) or `also` resolves; rejects on the rescale's error or the step timeout. */
  private until(a: Active, what: string, done: () => boolean, also?: Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error(`timed out after ${this.stepTimeoutMs} ms waiting for ${what}`)), this.stepTimeoutMs);
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        a.poke = () => {};
        if (err) reject(err); else resolve();
      };
      a.poke = () => {
        if (a.error) settle(a.error);
        else if (done()) settle();
      };
      a.poke();
      void also?.then(() => settle());
    });
  }

  /** A command for `e` that did not reach its TaskManager: it is gone, and its loss aborts the rescale or restarts the job. */
  private undelivered(result: SendResult, e: Execution, what: string): void {
    if (result === 'gone') this.rt.log.warn({ executionId: e.id, resourceId: e.resourceId, what }, 'TaskManager gone: rescale command not delivered');
  }

  /** The old subtasks `e` gains from; remembered so that their acknowledgements are forwarded to it. */
  private loadFrom(a: Active, before: JobScale, e: Execution): number[] {
    const from = gainSources(this.rt.limits, before, a.next, e.vertexId, e.subtaskIndex);
    if (from.length) a.gainers.set(e.vertexId, [...(a.gainers.get(e.vertexId) ?? []), { e, from: new Set(from) }]);
    return from;
  }

  /** A participant acknowledged the rescale checkpoint: its state file is written; tell whoever gains from it. */
  onAck(executionId: string, checkpointId: number, subtaskState: Uint8Array): void {
    const a = this.active;
    if (!a || a.checkpointId !== checkpointId) return;
    const acked = this.rt.graph.executions.get(executionId);
    if (!acked) return;
    for (const g of a.gainers.get(acked.vertexId) ?? []) {
      if (!g.from.has(acked.subtaskIndex)) continue;
      // A gainer that never hears it fails the rescale by the step timeout or its TaskManager's loss.
      this.undelivered(this.ctx.pool.gateway(g.e.resourceId).rescaleStateReady({ executionId: g.e.id, checkpointId, subtaskState }), g.e, 'forward moved state');
    }
  }

  onPrepared(executionId: string, error: string): void {
    const a = this.active;
    if (!a) return;
    if (error) a.error ??= new Error(`a subtask could not take the new configuration: ${error}`);
    else a.prepared.add(executionId);
    a.poke();
  }

  onLoaded(m: LoadStats): void {
    const a = this.active;
    if (!a || Number(m.checkpointId) !== a.checkpointId) return;
    a.loaded.set(m.executionId ?? '', m);
    a.poke();
  }

  /** An execution changed state (added ones start, retired ones end). */
  onExecutionState(): void { this.active?.poke(); }

  /** The job is failing, restarting or ending, or a TaskManager the rescale counts on was lost: whatever the rescale waits for will not come. */
  abort(cause: string): void {
    if (this.run) this.run.error ??= new Error(cause);
    const a = this.active;
    if (!a) return;
    a.error ??= new Error(cause);
    a.poke();
  }
}
