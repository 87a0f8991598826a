/**
 * A subtask's part in an in-place rescale at checkpoint n (the JobMaster's
 * side is jobmaster/rescale-coordinator.ts):
 *
 * 1. prepare: the JobMaster sends the configuration to switch to at barrier n.
 * 2. switch (right after snapshotting at barrier n and passing it on):
 *    - outputs: channels to consumers that stay are kept, new consumers get
 *      new ones, HASH edges route by the new key-group table;
 *    - inputs: the producer set changes (input-processor.ts);
 *    - key groups no longer owned are dropped (they are in checkpoint n);
 *      gained ones are held back (records and watermark) until loaded;
 *    - a source stops reading the streams it lost and keeps gained ones
 *      pending (no reads, no watermark) until loaded;
 *    - a retiring subtask stops; it ends once checkpoint n completes.
 * 3. load: once every old subtask it gains from has acknowledged checkpoint n
 *    (the JobMaster forwards their SubtaskStates: their files are written),
 *    exactly the gained key groups are read from those files (and gained
 *    streams' positions from their operator state), put in place between two
 *    batches, the held records applied in arrival order, and the watermark
 *    released — without waiting for the rest of the checkpoint. (Should a
 *    forwarded state be missing, the load happens from `_metadata` once the
 *    checkpoint completes.) The subtask reports what it loaded.
 *
 * A subtask added by the rescale runs step 3 for everything it owns.
 */
import { decodeSubtaskState, readMetadata, readSubtaskStates, readVertexState, type RestoredState, type SubtaskStatePlain } from './checkpoint/snapshot-io.js';
import { partitionerFor, type Chain } from './chain-builder.js';
import { cleanupFailed } from './cleanup.js';
import type { InputProcessor } from './input-processor.js';
import { isCheckpointed } from './operators/operator.js';
import type { JobPlan } from './plan.js';
import type { RescaleSpec, SubtaskSpec } from './subtask-spec.js';

export interface RescaleStats {
  checkpointId: number;
  keyGroups: number;
  bytes: number;
  loadMs: number;
  maxHoldMs: number;
  heldRecords: number;
  streams: number;
}

interface Gain {
  checkpointId: number;
  dir: string;
  keyGroups: ReadonlySet<number>;
  streams: number;
  /** Old subtasks to load from, and the states of those that acknowledged so far. */
  from: ReadonlySet<number>;
  states: Map<number, SubtaskStatePlain>;
  loadStart: number;
  /** Once read: the keyed values still to put in place, and the time spent putting them so far. */
  applying?: { items: Array<{ op: CheckpointedOp; kg: number; value: unknown }>; next: number; busyMs: number };
}

type CheckpointedOp = Chain['checkpointed'][number];

/**
 * How long putting gained state in place may keep a subtask from its input at a time. Deserializing
 * a batch's key groups at once took 30–165 ms (1.7 MB); meanwhile the subtask took no input, its
 * producers ran out of credit, and the output of key groups that did not move waited too. Key group
 * by key group, with a turn of the input loop in between, the records of those key groups flow on.
 */
const APPLY_SLICE_MS = 10;

export class Rescaler {
  private prepared: RescaleSpec | undefined;
  private gain: Gain | undefined;
  private loading: Promise<void> | undefined;
  private loaded: RestoredState | undefined;
  private input: InputProcessor | undefined;
  private wake: (() => void) | undefined;
  private loadedWaiters: Array<() => void> = [];
  /** Forwarded states that arrived before this subtask reached the rescale barrier. */
  private readonly early = new Map<number, SubtaskStatePlain[]>();
  private aborted = false;
  /** The rescale checkpoint at which this subtask was retired (0 = not retired). */
  retiredAt = 0;

  constructor(
    private readonly plan: JobPlan,
    private spec: SubtaskSpec,
    private readonly services: { rescaled(s: RescaleStats): void; log?(msg: string, fields: Record<string, unknown>): void },
    private readonly fail: (err: Error) => void,
  ) {}

  /** The key groups this subtask gives away at rescale barrier `id` (all it owns if it retires); undefined if none. */
  losingAt(id: number): Set<number> | undefined {
    const r = this.prepared;
    if (!r || r.checkpointId !== id || !this.spec.keyGroups?.length) return undefined;
    const after = new Set(r.retire ? [] : r.keyGroups ?? []);
    return new Set(this.spec.keyGroups.filter((kg) => !after.has(kg)));
  }

  /** Whether `id` is the checkpoint of a rescale this subtask was prepared for. */
  isRescaleBarrier(id: number): boolean { return this.prepared?.checkpointId === id; }

  prepare(r: RescaleSpec): void {
    if (this.gain) throw new Error(`the previous rescale (checkpoint ${this.gain.checkpointId}) has not finished loading`);
    this.prepared = r;
  }

  /**
   * A source subtask: `wake` ends its wait for input (a blocked read), so that gained streams'
   * positions go in place as soon as they are read, not when the read times out — until then the
   * source emits no watermark, and every window downstream waits for it, moved or not.
   */
  attachSource(wake: () => void): void {
    this.wake = wake;
    if (this.loaded) wake();
  }

  attachInput(input: InputProcessor, wake: () => void): void {
    this.input = input;
    this.wake = wake;
    if (this.gain?.keyGroups.size) input.hold(this.gain.keyGroups);
    if (this.loaded) wake();
  }

  /** A subtask added by the rescale at `spec.loadAfterCheckpoint`: it gains everything it owns. */
  startAsAdded(chain: Chain, lastCompleted: number): void {
    const streams = chain.source?.reassign?.(this.spec.subtaskIndex, this.spec.parallelism, true) ?? 0;
    const keyGroups = new Set(this.spec.keyGroups ?? []);
    this.gained(this.spec.loadAfterCheckpoint, this.spec.restorePath, keyGroups, streams, this.spec.loadFrom);
    this.checkpointCompleted(lastCompleted);
  }

  /** At barrier `id`, after the snapshot: switches to the prepared configuration; returns the new spec. */
  switchAt(id: number, chain: Chain, input: InputProcessor | undefined): SubtaskSpec | undefined {
    const r = this.prepared;
    if (!r || r.checkpointId !== id) return undefined;
    this.prepared = undefined;
    if (r.retire) {
      this.retiredAt = id;
      return undefined;
    }
    const source = chain.source;
    const streams = source?.reassign && r.parallelism !== this.spec.parallelism ? source.reassign(this.spec.subtaskIndex, r.parallelism) : 0;
    for (const out of r.outputs) {
      const writer = chain.writers.find((w) => w.edgeId === out.edgeId);
      const channels = chain.channels.get(out.edgeId);
      if (!writer || !channels) throw new Error(`rescale names output edge ${out.edgeId}, which subtask ${this.spec.subtaskIndex} does not have`);
      const { writers, dropped } = channels.configure(out);
      writer.reconfigure(writers, partitionerFor(this.plan, out, this.spec.maxParallelism), streams > 0);
      // Their barrier went out with the last flush; nothing follows it on these channels. A close
      // that fails (the consumer already gone) loses nothing, so it is only logged.
      const log = this.services.log?.bind(this.services);
      for (const d of dropped) void d.close().catch(cleanupFailed(`closing a channel of edge ${out.edgeId} dropped by the rescale at checkpoint ${id}`, log, { subtask: this.spec.subtaskIndex }));
    }
    const before = new Set(this.spec.keyGroups ?? []);
    const after = new Set(r.keyGroups ?? []);
    const lost = new Set([...before].filter((kg) => !after.has(kg)));
    const gained = new Set([...after].filter((kg) => !before.has(kg)));
    if (lost.size) for (const op of chain.checkpointed) op.dropKeyGroups?.(lost);
    if (input && r.inputs[0]) input.setProducers(r.inputs[0].producerCount);
    // Records after this barrier are routed by the new key-group table.
    input?.setKeyGroups(r.keyGroups, this.spec.maxParallelism);
    this.spec = { ...this.spec, parallelism: r.parallelism, keyGroups: r.keyGroups, outputs: r.outputs, inputs: r.inputs };
    this.gained(id, r.directory, gained, streams, r.loadFrom);
    return this.spec;
  }

  private gained(checkpointId: number, dir: string, keyGroups: ReadonlySet<number>, streams: number, from: number[]): void {
    if (keyGroups.size === 0 && streams === 0) {
      this.services.rescaled({ checkpointId, keyGroups: 0, bytes: 0, loadMs: 0, maxHoldMs: 0, heldRecords: 0, streams: 0 });
      return;
    }
    this.gain = { checkpointId, dir, keyGroups, streams, from: new Set(from), states: new Map(), loadStart: 0 };
    this.services.log?.('rescale: switched; holding gained key groups until their state is loaded', { checkpointId, keyGroups: keyGroups.size, streams, from });
    if (keyGroups.size) this.input?.hold(keyGroups);
    for (const st of this.early.get(checkpointId) ?? []) this.gain.states.set(st.subtaskIndex, st);
    this.early.clear();
    this.maybeLoad();
  }

  /** An old subtask this one gains from acknowledged the rescale checkpoint (its file is written). */
  stateReady(checkpointId: number, subtaskState: Uint8Array): void {
    const st = decodeSubtaskState(subtaskState);
    const g = this.gain;
    if (g?.checkpointId === checkpointId) {
      g.states.set(st.subtaskIndex, st);
      this.maybeLoad();
    } else if (!g) {
      this.early.set(checkpointId, [...(this.early.get(checkpointId) ?? []), st]);
    }
  }

  private maybeLoad(): void {
    const g = this.gain;
    if (!g || this.loading || g.from.size === 0 || ![...g.from].every((i) => g.states.has(i))) return;
    this.load(g, () => readSubtaskStates(g.dir, [...g.states.values()], 0, g.keyGroups));
  }

  /** Checkpoint `id` completed: if it is the rescale checkpoint and the forwarded states did not all come, load from its metadata. */
  checkpointCompleted(id: number): void {
    const g = this.gain;
    if (!g || this.loading || id < g.checkpointId) return;
    this.load(g, async () => readVertexState(g.dir, await readMetadata(g.dir), this.spec.vertexId, g.keyGroups));
  }

  private load(g: Gain, read: () => Promise<RestoredState>): void {
    g.loadStart = Date.now();
    this.services.log?.('rescale: loading gained state', { checkpointId: g.checkpointId, from: [...g.states.keys()] });
    this.loading = (async () => {
      this.loaded = await read();
      this.services.log?.('rescale: gained state read', { checkpointId: g.checkpointId, keyGroups: this.loaded.keyGroups, bytes: this.loaded.bytes, readMs: Date.now() - g.loadStart });
      this.wake?.();
      for (const w of this.loadedWaiters.splice(0)) w();
    })().catch((err: Error) => this.fail(new Error(`loading the state gained at checkpoint ${g.checkpointId} from ${g.dir} failed: ${err.message}`, { cause: err })));
  }

  /** Gained state is being read (its files) or put in place: the input loop gives the event loop a turn between batches. */
  get loadingState(): boolean { return this.loading !== undefined; }

  /**
   * Between two batches: puts loaded state in place — with `all`, at once; otherwise key group by key
   * group for up to APPLY_SLICE_MS, then the subtask's loop is woken again after a turn — and once
   * all of it is, applies the held records and releases the watermark.
   */
  async applyIfLoaded(chain: Chain, all = false): Promise<void> {
    const g = this.gain;
    const restored = this.loaded;
    if (!g || !restored) return;
    const sliceStart = Date.now();
    const a = (g.applying ??= { items: this.keyedItems(chain, restored), next: 0, busyMs: 0 });
    while (a.next < a.items.length) {
      const { op, kg, value } = a.items[a.next++]!;
      op.restoreKeyedState!(kg, value);
      const wake = this.wake;
      if (!all && wake && a.next < a.items.length && Date.now() - sliceStart >= APPLY_SLICE_MS) {
        a.busyMs += Date.now() - sliceStart;
        setImmediate(wake);
        return;
      }
    }
    const source = chain.source;
    if (g.streams && source?.loadStreams) await source.loadStreams(isCheckpointed(source) ? restored.operator.get(source.operatorId) ?? [] : []);
    const hold = this.input?.release() ?? { heldRecords: 0, maxHoldMs: 0 };
    a.busyMs += Date.now() - sliceStart;
    // applyMs: putting the state in place (deserializing it) and applying the held records, over all
    // slices; the rest of loadMs is reading, the input batches between slices and waiting for the loop.
    this.services.log?.('rescale: gained state in place', { checkpointId: g.checkpointId, loadMs: Date.now() - g.loadStart, applyMs: a.busyMs, ...hold });
    this.gain = undefined;
    this.loaded = undefined;
    this.loading = undefined;
    this.services.rescaled({
      checkpointId: g.checkpointId, keyGroups: restored.keyGroups, bytes: restored.bytes, loadMs: Date.now() - g.loadStart,
      maxHoldMs: hold.maxHoldMs, heldRecords: hold.heldRecords, streams: g.streams,
    });
    for (const w of this.loadedWaiters.splice(0)) w();
  }

  /** The gained keyed values to put in place, per operator and key group. */
  private keyedItems(chain: Chain, restored: RestoredState): Array<{ op: CheckpointedOp; kg: number; value: unknown }> {
    const items: Array<{ op: CheckpointedOp; kg: number; value: unknown }> = [];
    for (const op of chain.checkpointed) {
      const keyed = restored.keyed.get(op.operatorId);
      if (keyed && op.restoreKeyedState) for (const [kg, value] of keyed) items.push({ op, kg, value });
    }
    return items;
  }

  /** Before a snapshot: state gained earlier must be in place (waits for the load if it is still running). */
  async settle(chain: Chain): Promise<void> {
    while (this.gain && !this.aborted) {
      if (this.loaded) { await this.applyIfLoaded(chain, true); return; }
      await new Promise<void>((resolve) => this.loadedWaiters.push(resolve));
    }
  }

  /** The subtask is cancelled: nothing waits for a load any more. */
  abort(): void {
    this.aborted = true;
    for (const w of this.loadedWaiters.splice(0)) w();
  }
}
