/**
 * One running subtask: a vertex's operator chain for one subtask index, fed by
 * a source reader or by its input gate (input-processor.ts). After every batch
 * all tails are flushed, which waits for channel credit (back-pressure) and for
 * sinks.
 *
 * Checkpoints (aligned barriers): a source subtask injects barrier n between
 * two batches when the JobMaster triggers it; a subtask with inputs snapshots
 * once barrier n arrived on every channel. Operator state is serialized at the
 * barrier; keyed state copy-on-write by key group (checkpoint/pending-snapshot.ts)
 * while processing goes on; then the file is written and acknowledged.
 *
 * In-place rescale (rescale.ts): the JobMaster prepares the configuration to
 * switch to at barrier n. There, after snapshotting and passing the barrier on,
 * the subtask switches its outputs, input producers, key groups and source
 * streams, and loads what it gained once checkpoint n completes — or, removed
 * by a scale-down, publishes what checkpoint n covers and ends.
 */
import { serialize } from 'node:v8';
import { compressToRanges } from '../state/key-group-assignment.js';
import type { KeyGroupRange } from '../state/key-groups.js';
import { PendingSnapshot, toBlobs, type KeyedSnapshotEntry } from './checkpoint/pending-snapshot.js';
import { SnapshotPacer } from './checkpoint/snapshot-pacer.js';
import { readMetadata, readVertexState, StateFileWriter, SubtaskState, type KeyedStateBlob } from './checkpoint/snapshot-io.js';
import { buildChain, channelId, type Chain } from './chain-builder.js';
import { cleanupFailed, type CleanupLog } from './cleanup.js';
import { describeError } from './errors.js';
import { InputProcessor } from './input-processor.js';
import type { JobPlan } from './plan.js';
import type { ChannelRegistry } from './network/channel-registry.js';
import { CheckpointHints } from './checkpoint-hints.js';
import { Rescaler, type RescaleStats } from './rescale.js';
import { IoCounters, sourcePollIdleMs, subtaskReport, type SubtaskMetricsReport } from './subtask-metrics.js';
import type { InputSpec, RescaleSpec, SubtaskSpec } from './subtask-spec.js';

export type { SubtaskSpec, SubtaskLocation, OutputSpec, InputSpec, RescaleSpec } from './subtask-spec.js';
export type { RescaleStats } from './rescale.js';

export interface CheckpointAck { checkpointId: number; subtaskState: Uint8Array; alignmentMs: number; syncMs: number; asyncMs: number }

export interface SubtaskServices {
  registry: ChannelRegistry;
  /** This TaskManager's resource id: consumers with the same id are reached in memory. */
  resourceId: string;
  acknowledge(ack: CheckpointAck): void;
  decline(checkpointId: number, reason: string): void;
  /** After a rescale barrier: switched, and everything gained is loaded. */
  rescaled(stats: RescaleStats): void;
  /** At a rescale barrier: the key groups this subtask gives away are written (an encoded SubtaskState indexing just them). */
  movedStateWritten?(checkpointId: number, subtaskState: Uint8Array): void;
  /** Notable steps (rescale switch and loads, snapshot timings of a rescale checkpoint) for the TaskManager's log. */
  log?(msg: string, fields: Record<string, unknown>): void;
  /** Watermark alignment: a source subtask of an alignment group reports its watermark to the JobMaster. */
  reportWatermark?(group: string, watermark: number, maxDriftMs: number): void;
  /** A source subtask caught up with its input (true) or fell behind (false): reported on each change. */
  sourceCaughtUp?(caughtUp: boolean): void;
  /** An exactly-once sink holds output after a checkpoint (`lastCheckpointId`) that took none: reported once per checkpoint. */
  outputWaiting?(lastCheckpointId: number): void;
  /** Metrics on (`ebbflow.metrics.enabled`): a source measures its backlog at most every `intervalMs`. Unset: nothing is measured. */
  metrics?: { intervalMs: number };
}

export type SubtaskOutcome = 'FINISHED' | 'CANCELED';


export class Subtask {
  private cancelled = false;
  private readonly hints: CheckpointHints;
  private chain: Chain | undefined;
  private readonly triggers: Array<{ id: number; dir: string; drain: boolean }> = [];
  private failure: Error | undefined;
  private commitChain: Promise<void> = Promise.resolve();
  private lastCompleted = 0;
  private readonly completionWaiters = new Set<() => void>();
  private input: InputProcessor | undefined;
  /** The keyed state of the latest checkpoint, while not all of it is serialized. */
  private readonly snapshots = new SnapshotPacer(() => this.chain?.checkpointed ?? []);
  readonly rescaler: Rescaler;
  /** I/O counters and time accounts; undefined with metrics off. */
  private readonly counters: IoCounters | undefined;
  private lastCheckpoint = { stateSize: 0, durationMs: 0 };

  constructor(private readonly plan: JobPlan, private spec: SubtaskSpec, private readonly services: SubtaskServices) {
    this.rescaler = new Rescaler(plan, spec, services, (err) => this.failWith(err));
    this.hints = new CheckpointHints(services);
    if (services.metrics) this.counters = new IoCounters();
  }

  /** The subtask's counters since it started (metrics on), read by the TaskManager for its heartbeat. */
  metrics(): SubtaskMetricsReport | undefined {
    return this.counters && this.chain ? subtaskReport(this.counters, this.chain, this.input, this.lastCheckpoint) : undefined;
  }

  /** Runs until the input ends (FINISHED), it is retired by a rescale (FINISHED) or `cancel` is called (CANCELED); rejects on failure. */
  async run(): Promise<SubtaskOutcome> {
    const chain = (this.chain = buildChain(this.plan, this.spec, this.services.registry, this.services.resourceId, this.counters));
    if (chain.source && this.services.metrics) chain.source.backlogEveryMs = this.services.metrics.intervalMs;
    if (chain.source?.alignment && this.services.reportWatermark) chain.source.alignment.reporter = this.services.reportWatermark.bind(this.services);
    this.claimInputs();
    try {
      if (this.spec.loadAfterCheckpoint > 0) this.rescaler.startAsAdded(chain, this.lastCompleted);
      else if (this.spec.restorePath) await this.restore(chain);
      if (chain.source) await this.runSource(chain);
      else await this.runInputs(chain);
      if (this.rescaler.retiredAt) await this.retire();
      await this.commitChain;
      if (this.failure) throw this.failure;
      return this.cancelled ? 'CANCELED' : 'FINISHED';
    } finally {
      // Best effort: the subtask's outcome (or its failure) is what is reported, not a failed close.
      for (const t of chain.tails) await t.close().catch(cleanupFailed('closing an operator at the end of the subtask', this.cleanupLog, this.logFields()));
      await chain.source?.close().catch(cleanupFailed('closing the source at the end of the subtask', this.cleanupLog, this.logFields()));
      this.releaseInputs();
    }
  }

  /** Cleanup failures go to the TaskManager's log. */
  private get cleanupLog(): CleanupLog | undefined { return this.services.log?.bind(this.services); }
  private logFields(): Record<string, unknown> { return { vertexId: this.spec.vertexId, subtask: this.spec.subtaskIndex }; }

  /** This subtask's input gates are claimed: remote producers of this attempt, naming this execution, are accepted (network/channel-registry.ts). */
  private claimInputs(): void {
    const { spec } = this;
    for (const i of spec.inputs) {
      this.services.registry.claim(channelId(i.edgeId, spec.attempt), spec.subtaskIndex, {
        executionId: spec.executionId, producers: i.producerCount, maxProducers: spec.maxParallelism, localProducers: new Set(this.localProducers(i)),
      });
    }
  }

  /** The producer indexes of input `i` that run on this TaskManager. */
  private localProducers(i: InputSpec): number[] {
    return (i.producerResources ?? []).flatMap((r, index) => (r === this.services.resourceId ? [index] : []));
  }

  private releaseInputs(): void {
    for (const i of this.spec.inputs) this.services.registry.release(channelId(i.edgeId, this.spec.attempt), this.spec.subtaskIndex, this.spec.executionId);
  }

  private async restore(chain: Chain): Promise<void> {
    const meta = await readMetadata(this.spec.restorePath);
    const restored = await readVertexState(this.spec.restorePath, meta, this.spec.vertexId, new Set(this.spec.keyGroups ?? []));
    for (const op of chain.checkpointed) {
      const keyed = restored.keyed.get(op.operatorId);
      if (keyed && op.restoreKeyedState) for (const [kg, v] of keyed) op.restoreKeyedState(kg, v);
      const states = restored.operator.get(op.operatorId);
      if (states && op.restoreOperatorState) await op.restoreOperatorState(states);
    }
  }

  private async flush(chain: Chain): Promise<void> {
    this.snapshots.afterBatch();
    for (const t of chain.tails) await t.flush();
    if (this.failure) throw this.failure;
    this.hints.flushed(chain.tails);
  }

  private failWith(err: Error): void {
    this.failure ??= err;
    this.cancel();
  }

  /**
   * Called by the TaskManager for source subtasks; the barrier goes in between two batches. With
   * `drain` (stop --drain) the end-of-time watermark goes first and the source reads no more.
   */
  triggerCheckpoint(id: number, dir: string, drain = false): void {
    if (!this.chain?.source) { this.services.decline(id, 'not a source subtask'); return; }
    this.triggers.push({ id, dir, drain });
    // A source waiting for input (a blocked read) injects the barrier now, not when input arrives.
    this.chain.source.wake?.();
    for (const w of this.completionWaiters) w(); // a drained source waits there
  }

  /** Watermark alignment: the JobMaster's new bound for `group` (sources of another group, and other subtasks, ignore it). */
  alignWatermarks(group: string, maxAllowedWatermark: number, slowestExecutionId = ''): void {
    const a = this.chain?.source?.alignment;
    if (a && a.group === group) a.announce(maxAllowedWatermark, slowestExecutionId === this.spec.executionId);
  }

  /** The JobMaster's rescale plan for this subtask, applied when barrier `r.checkpointId` passes. */
  prepareRescale(r: RescaleSpec): void {
    if (this.cancelled) throw new Error('the subtask is being cancelled');
    this.rescaler.prepare(r);
    // The producers added by the rescale may connect before the switch: their batches wait in the input processor until then.
    for (const i of r.inputs) this.services.registry.prepare(channelId(i.edgeId, this.spec.attempt), this.spec.subtaskIndex, i.producerCount, this.localProducers(i));
  }

  /** During a rescale: an old subtask this one gains from acknowledged the rescale checkpoint. */
  rescaleStateReady(checkpointId: number, subtaskState: Uint8Array): void {
    this.rescaler.stateReady(checkpointId, subtaskState);
  }

  /** A checkpoint completed: sinks publish its output; state gained at that checkpoint can be loaded. */
  notifyCheckpointComplete(id: number): void {
    this.lastCompleted = Math.max(this.lastCompleted, id);
    const ops = this.chain?.checkpointed.filter((o) => o.notifyCheckpointComplete) ?? [];
    for (const op of ops) {
      this.commitChain = this.commitChain.then(() => op.notifyCheckpointComplete!(id)).catch((err: Error) => {
        this.failWith(new Error(`committing checkpoint ${id} failed: ${err.message}`, { cause: err }));
      });
    }
    if (this.chain) this.rescaler.checkpointCompleted(id);
    for (const w of this.completionWaiters) w();
  }

  private async checkpoint(chain: Chain, id: number, dir: string, alignmentMs: number): Promise<void> {
    // State still being loaded after a rescale must be in place before it can be snapshotted.
    await this.rescaler.settle(chain);
    // The previous checkpoint's state must all be serialized before this one's is taken.
    this.snapshots.complete();
    this.hints.checkpointTaken(id);
    const t0 = Date.now();
    const writer = new StateFileWriter(dir, `${this.spec.vertexId}-${this.spec.subtaskIndex}.state`, this.spec.subtaskIndex, compressToRanges(this.spec.keyGroups ?? []));
    let snap: PendingSnapshot;
    let opBytes: Uint8Array;
    let moved = 0;
    try {
      const entries: KeyedSnapshotEntry[] = [];
      for (const op of chain.checkpointed) {
        if (op.snapshotKeyedState) for (const [kg, value] of op.snapshotKeyedState()) entries.push({ operatorId: op.operatorId, keyGroup: kg, value });
      }
      // At a rescale barrier, the key groups this subtask gives away go first: serialized, written
      // and reported before the barrier goes on, so that their gainers can start loading them.
      const losing = this.rescaler.losingAt(id);
      const rest = losing?.size ? entries.filter((e) => !losing.has(e.keyGroup)) : entries;
      if (rest !== entries) {
        const blobs = toBlobs(entries.filter((e) => losing!.has(e.keyGroup)));
        moved = blobs.length;
        await this.writeMovedFirst(id, dir, writer, blobs);
      }
      // The rest is serialized copy-on-write: in the background, or just before a key group changes.
      snap = new PendingSnapshot(id, rest);
      const operatorStates: Record<number, unknown> = {};
      for (const op of chain.checkpointed) if (op.snapshotOperatorState) operatorStates[op.operatorId] = op.snapshotOperatorState(id);
      opBytes = serialize(operatorStates);
    } catch (err) {
      // The decline below is what matters; an unclosed file of a failed checkpoint is only logged.
      void writer.abort().catch(cleanupFailed(`closing the state file of failed checkpoint ${id}`, this.cleanupLog, this.logFields()));
      this.services.decline(id, `snapshot of subtask ${this.spec.subtaskIndex} failed: ${describeError(err)}`);
      throw err;
    }
    this.snapshots.begin(snap);
    for (const w of chain.writers) w.barrier(id, dir);
    await this.flush(chain);
    const syncMs = Date.now() - t0;
    if (this.rescaler.isRescaleBarrier(id)) this.services.log?.('rescale checkpoint: snapshot taken', { checkpointId: id, syncMs, movedKeyGroups: moved, pendingKeyGroups: snap.remaining });
    // The asynchronous part: processing goes on while the rest is serialized and the file written.
    void snap.done.then((blobs) => writer.append(blobs)).then(() => writer.finish(opBytes)).then(
      (state) => {
        const asyncMs = Date.now() - t0 - syncMs;
        this.lastCheckpoint = { stateSize: Number(state.stateSize ?? 0), durationMs: alignmentMs + syncMs + asyncMs };
        this.services.acknowledge({ checkpointId: id, subtaskState: SubtaskState.encode(state).finish(), alignmentMs, syncMs, asyncMs });
      },
      (err: Error) => {
        void writer.abort().catch(cleanupFailed(`closing the state file of failed checkpoint ${id}`, this.cleanupLog, this.logFields()));
        if (!this.cancelled) this.services.decline(id, `writing state of subtask ${this.spec.subtaskIndex} to ${dir} failed: ${err.message}`);
      },
    );
    this.snapshots.schedule();
    // A rescale prepared for this barrier takes effect now: everything after it uses the new configuration.
    const next = this.rescaler.switchAt(id, chain, this.input);
    if (next) {
      this.spec = next;
      this.claimInputs();
    }
  }

  /** Writes the key groups moving away at rescale barrier `id` and reports them; a write error declines the checkpoint. */
  private async writeMovedFirst(id: number, dir: string, writer: StateFileWriter, moved: KeyedStateBlob[]): Promise<void> {
    try {
      await writer.append(moved);
      this.services.movedStateWritten?.(id, SubtaskState.encode(writer.written()).finish());
    } catch (err) {
      this.services.decline(id, `writing the moving state of subtask ${this.spec.subtaskIndex} to ${dir} failed: ${(err as Error).message}`);
    }
  }

  private async runSource(chain: Chain): Promise<void> {
    const source = chain.source!;
    await source.open();
    this.rescaler.attachSource(() => source.wake?.());
    while (!this.stopped()) {
      await this.rescaler.applyIfLoaded(chain);
      const more = await this.poll(source, chain);
      if (this.cancelled) return;
      await this.flush(chain);
      this.hints.sourcePolled(source);
      let drained = false;
      while (this.triggers.length && !this.stopped()) {
        const t = this.triggers.shift()!;
        if (t.drain) {
          // Flink's MAX_WATERMARK: every window and timer downstream fires before the barrier, into this savepoint.
          chain.head.watermark(Infinity);
          await this.flush(chain);
          drained = true;
        }
        await this.checkpoint(chain, t.id, t.dir, 0);
      }
      if (drained) {
        // The job finishes with this savepoint: read nothing more, and wait to be stopped (barriers
        // that still come are passed on; a failed drain savepoint makes the JobMaster restart the job).
        await this.idleAfterDrain(chain);
        return;
      }
      if (!more) break;
    }
    if (this.stopped()) return;
    chain.head.end();
    await this.finish(chain);
  }

  /** After a drain: no more reads; checkpoints still triggered are taken until the subtask is stopped. */
  private async idleAfterDrain(chain: Chain): Promise<void> {
    while (!this.stopped()) {
      while (this.triggers.length && !this.stopped()) {
        const t = this.triggers.shift()!;
        await this.checkpoint(chain, t.id, t.dir, 0);
      }
      if (this.triggers.length) continue;
      // Woken by a new trigger, a completed checkpoint or cancel.
      await new Promise<void>((resolve) => {
        const done = () => { this.completionWaiters.delete(done); resolve(); };
        this.completionWaiters.add(done);
      });
    }
  }

  /** One poll of the source; with metrics on, its wait for input counts as idle time (sourcePollIdleMs). */
  private async poll(source: NonNullable<Chain['source']>, chain: Chain): Promise<boolean> {
    const c = this.counters;
    if (!c) return source.pollNext(chain.head);
    const before = source.recordsRead;
    const waited = source.waitedMs ?? 0;
    const t0 = performance.now();
    const more = await source.pollNext(chain.head);
    c.addIdle(sourcePollIdleMs(source.recordsRead > before, performance.now() - t0, (source.waitedMs ?? 0) - waited));
    return more;
  }

  /** End of input: flush, and let exactly-once sinks publish the rest (nothing will be replayed). */
  private async finish(chain: Chain): Promise<void> {
    this.snapshots.complete();
    await this.flush(chain);
    await this.commitChain;
    for (const t of chain.tails) {
      const f = (t as { finish?: () => Promise<void> }).finish;
      if (f) await f.call(t);
    }
  }

  private async runInputs(chain: Chain): Promise<void> {
    const input = this.spec.inputs[0];
    if (!input) throw new Error('a non-source vertex needs an input');
    const gate = this.services.registry.gate(channelId(input.edgeId, this.spec.attempt), this.spec.subtaskIndex);
    this.input = new InputProcessor(gate, input.producerCount, chain.head, {
      aligned: (id, dir, alignmentMs) => this.checkpoint(chain, id, dir, alignmentMs),
      woken: () => this.rescaler.applyIfLoaded(chain),
      flush: () => this.flush(chain),
      stopped: () => this.stopped(),
      isRescaleBarrier: (id) => this.rescaler.isRescaleBarrier(id),
      yieldBetweenBatches: () => this.rescaler.loadingState,
    }, this.counters);
    this.input.setKeyGroups(this.spec.keyGroups, this.spec.maxParallelism);
    this.rescaler.attachInput(this.input, () => gate.wake());
    const ended = await this.input.run();
    if (!ended || this.stopped()) return;
    // Input ended while gained state was loading: its held records are applied before the end.
    await this.rescaler.settle(chain);
    chain.head.end();
    await this.finish(chain);
  }

  private stopped(): boolean {
    return this.cancelled || this.rescaler.retiredAt > 0;
  }

  /**
   * Removed by a scale-down: this subtask snapshotted at the rescale barrier and passed it on. It
   * stays until that checkpoint completes, so its sinks publish what the checkpoint covers, then ends.
   */
  private async retire(): Promise<void> {
    this.releaseInputs();
    const at = this.rescaler.retiredAt;
    while (!this.cancelled && this.lastCompleted < at) {
      await new Promise<void>((resolve) => {
        const done = () => { this.completionWaiters.delete(done); resolve(); };
        this.completionWaiters.add(done);
      });
    }
  }

  cancel(): void {
    this.cancelled = true;
    this.snapshots.abandon('the subtask was cancelled');
    this.chain?.source?.cancel();
    for (const w of this.chain?.writers ?? []) w.abort();
    this.releaseInputs();
    this.rescaler.abort();
    for (const w of this.completionWaiters) w();
  }
}
