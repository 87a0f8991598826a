/**
 * The input side of a subtask with an input edge: takes batches from its input
 * gate, one channel per producer subtask, and feeds the chain's head.
 *
 * - Watermark: the minimum over channels that are not idle (ended channels
 *   count as +∞); it only moves forward.
 * - Aligned barriers: once a channel delivered barrier n, its later batches are
 *   parked until every channel delivered n (or ended); then the subtask
 *   snapshots, and the parked batches are replayed. Up to `alignmentBufferBatches`
 *   parked batches give their credit back at once (buffered alignment, as
 *   Flink's BarrierBuffer did before unaligned checkpoints): the producer goes
 *   on instead of stalling for the whole alignment, which on a machine where a
 *   producer shares its thread with other subtasks would leave CPU unused.
 *   Beyond that, and at a rescale barrier, parked batches keep their credit
 *   (the producer stops).
 * - In-place rescale: at the rescale barrier the producer set may change
 *   (`setProducers`). Batches from a producer outside the current set belong to
 *   the configuration after a barrier this subtask has not reached yet, so they
 *   wait (parked, with their credit) until it switches. Every channel's
 *   watermark is forgotten at the switch; producers send theirs again right
 *   after the barrier. Records of key groups being loaded are held back in
 *   arrival order (`hold`) until their state is in place (`release`): no record
 *   is applied to missing state. Records of other key groups flow on, and so do
 *   their windows and timers: a keyed head operator (KeyGroupHolder) fires
 *   them with the watermark while the held ones wait, and on release the held
 *   records are replayed with the watermark advances between them, so no timer
 *   or window of a moved key group fires early or late. (With any other head
 *   the watermark waits for the release.)
 * - Ownership: a keyed subtask (`setKeyGroups`) takes only records of the key
 *   groups it owns in the current configuration; any other record (routed by
 *   another table, or forged) fails the subtask with KeyGroupNotOwnedError
 *   before it reaches keyed state. One array lookup per record.
 */
import { BARRIER, END, IDLE, RECORD, WATERMARK, type Collector, type RecordElement, type StreamElement } from './elements.js';
import { KeyGroupNotOwnedError } from './errors.js';
import { WAKE_CHANNEL, type ChannelBatch, type InputGate } from './network/input-gate.js';
import { isKeyGroupHolder, type KeyGroupHolder } from './operators/operator.js';
import type { IoCounters } from './subtask-metrics.js';

/** `credited`: the batch's credit was given back when it was parked (not again when it is replayed). */
interface Parked { channel: number; elements: StreamElement[]; credited?: boolean }

/** Parked batches per alignment whose credit is given back at once (buffered alignment). */
export const DEFAULT_ALIGNMENT_BUFFER_BATCHES = 64;

export interface InputHooks {
  /** Barrier `id` arrived on every channel: snapshot and pass it on (a rescale may reconfigure this processor). */
  aligned(id: number, dir: string, alignmentMs: number): Promise<void>;
  /** The gate was woken (loaded state is ready, or the subtask is stopping). */
  woken(): Promise<void>;
  flush(): Promise<void>;
  /** Stop reading (cancelled, or retired by a rescale). */
  stopped(): boolean;
  /** Whether barrier `id` is a rescale's: its alignment parks batches with their credit. */
  isRescaleBarrier?(id: number): boolean;
  /**
   * Whether to give the event loop a turn after each batch: while gained state is being read, the
   * file reads complete only when it gets one, and batches that are queued would otherwise be taken
   * one after the other in microtasks until none is left.
   */
  yieldBetweenBatches?(): boolean;
}

export interface HoldStats { heldRecords: number; maxHoldMs: number }

export class InputProcessor {
  private n: number;
  private wms: number[];
  private readonly ended = new Set<number>();
  private readonly idle = new Set<number>();
  private current = -Infinity;
  private aligning: { id: number; dir: string; start: number; arrived: Set<number> } | undefined;
  private parked: Parked[] = [];
  /** Parked batches of the alignment in progress whose credit was given back. */
  private bufferedBatches = 0;
  private replay: Parked[] = [];
  /** Batches of producers outside the current set (a configuration not switched to yet). */
  private foreign: Parked[] = [];
  private heldKeyGroups: ReadonlySet<number> | undefined;
  /** Held records, and (with a head that holds key groups itself) the watermark advances in between. */
  private held: Array<RecordElement | { wm: number }> = [];
  private heldRecords = 0;
  /** Set while the head operator holds key groups itself: only their records wait, the watermark goes on. */
  private holder: KeyGroupHolder | undefined;
  private firstHeldAt = 0;
  private watermarkHeld = false;
  /** Keyed subtasks: owned[kg] === 1 for each key group owned now; undefined for a vertex without keyed state. */
  private owned: Uint8Array | undefined;
  private ownedDescription = '';
  /** Elements taken from the gate, and control elements (watermarks, barriers, ends, idleness) among them: records in = the difference. */
  private takenElements = 0;
  private controlElements = 0;

  /** `counters`: the subtask's I/O counters (bytes in, idle time); unset: not measured. */
  constructor(
    private readonly gate: InputGate, producerCount: number, private readonly head: Collector, private readonly hooks: InputHooks, private readonly counters?: IoCounters,
    private readonly alignmentBufferBatches = DEFAULT_ALIGNMENT_BUFFER_BATCHES,
  ) {
    this.n = producerCount;
    this.wms = new Array<number>(producerCount).fill(-Infinity);
  }

  /** Reads until every channel ended (true) or the subtask stopped (false). */
  async run(): Promise<boolean> {
    while (!this.hooks.stopped() && this.ended.size < this.n) {
      let item: Parked;
      if (this.replay.length) {
        // Loaded state goes in place before the rest of the batches parked by an alignment.
        if (this.gate.takeWake()) { await this.hooks.woken(); continue; }
        item = this.replay.shift()!;
      } else {
        const next = await this.nextBatch();
        if (!next) return false;
        if (next.channel === WAKE_CHANNEL) { await this.hooks.woken(); continue; }
        this.takenElements += next.batch.length;
        if (next.bytes && this.counters) this.counters.bytesIn += next.bytes;
        item = { channel: next.channel, elements: next.batch };
      }
      const ch = item.channel;
      if (ch >= this.n) { this.foreign.push(item); continue; }
      let done = true;
      for (let i = 0; i < item.elements.length; i++) {
        if (this.aligning?.arrived.has(ch)) {
          // After its barrier a channel is held back until the others deliver theirs.
          this.park(item, i);
          done = false;
          break;
        }
        this.element(ch, item.elements[i]!);
        if (this.aligning && this.alignedEverywhere()) {
          const a = this.aligning;
          await this.hooks.aligned(a.id, a.dir, Date.now() - a.start);
          this.aligning = undefined;
          this.bufferedBatches = 0;
          this.replay = [...this.parked, ...this.replay];
          this.parked = [];
          if (this.hooks.stopped()) return false;
        }
      }
      if (done && !item.credited) this.gate.release(ch);
      await this.hooks.flush();
      if (this.hooks.yieldBetweenBatches?.()) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return !this.hooks.stopped();
  }

  /**
   * Parks the rest of `item` from element `i` until the alignment ends; within the buffer's bound
   * (and not at a rescale barrier) its credit goes back now, so its producer is not stopped.
   */
  private park(item: Parked, i: number): void {
    const rest: Parked = { channel: item.channel, elements: i === 0 ? item.elements : item.elements.slice(i) };
    if (item.credited) rest.credited = true;
    else if (this.bufferedBatches < this.alignmentBufferBatches && !this.hooks.isRescaleBarrier?.(this.aligning!.id)) {
      this.bufferedBatches++;
      rest.credited = true;
      this.gate.release(item.channel);
    }
    this.parked.push(rest);
  }

  /** The gate's next batch; waiting for one that is not there yet is idle time. */
  private nextBatch(): Promise<ChannelBatch | undefined> {
    const c = this.counters;
    return !c || this.gate.ready ? this.gate.next() : this.idleWait(c);
  }

  private async idleWait(c: IoCounters): Promise<ChannelBatch | undefined> {
    c.idleStart();
    const next = await this.gate.next();
    c.idleEnd();
    return next;
  }

  /** Records taken from the input so far (held ones included). */
  get recordsIn(): number { return this.takenElements - this.controlElements; }
  /** The input watermark: the minimum over the channels (-Infinity before the first). */
  get inputWatermark(): number { return this.current; }
  /** Records held back now by a rescale. */
  get heldNow(): number { return this.heldRecords; }

  private element(ch: number, el: StreamElement): void {
    switch (el.t) {
      case RECORD:
        if (this.owned && (el.kg === undefined || this.owned[el.kg] !== 1)) this.notOwned(ch, el.kg);
        if (this.heldKeyGroups && el.kg !== undefined && this.heldKeyGroups.has(el.kg)) {
          if (this.heldRecords++ === 0) this.firstHeldAt = Date.now();
          this.held.push(el);
        } else {
          this.head.collect(el.v, el.ts, el.kg);
        }
        return;
      // Control elements are counted so that records in = elements taken − control elements (no per-record count).
      case WATERMARK: this.controlElements++; this.wms[ch] = Math.max(this.wms[ch]!, el.wm); this.advanceWatermark(); return;
      case END: this.controlElements++; this.ended.add(ch); this.wms[ch] = Infinity; this.advanceWatermark(); return;
      case IDLE: this.controlElements++; if (el.idle) this.idle.add(ch); else this.idle.delete(ch); this.advanceWatermark(); return;
      case BARRIER:
        this.controlElements++;
        this.aligning ??= { id: el.id, dir: el.dir, start: Date.now(), arrived: new Set() };
        this.aligning.arrived.add(ch);
    }
  }

  private notOwned(ch: number, kg: unknown): never {
    const which = kg === undefined ? 'without a key group' : `for key group ${typeof kg === 'number' ? kg : JSON.stringify(kg)}`;
    throw new KeyGroupNotOwnedError(`a record ${which} arrived from producer ${ch}, but this subtask owns key groups ${this.ownedDescription}: it was not applied`);
  }

  /**
   * The key groups this subtask owns from now on (at deployment, and at a rescale switch); undefined
   * for a vertex without keyed state (no check).
   */
  setKeyGroups(keyGroups: readonly number[] | undefined, maxParallelism: number): void {
    if (!keyGroups) { this.owned = undefined; return; }
    const owned = new Uint8Array(maxParallelism);
    for (const kg of keyGroups) owned[kg] = 1;
    this.owned = owned;
    this.ownedDescription = describeRanges(keyGroups);
  }

  private alignedEverywhere(): boolean {
    const a = this.aligning!;
    for (let c = 0; c < this.n; c++) if (!a.arrived.has(c) && !this.ended.has(c)) return false;
    return true;
  }

  /** The watermark is the minimum over channels that are not idle; with all idle it stays. */
  private advanceWatermark(): void {
    if (this.watermarkHeld) return;
    let min = Infinity;
    let active = 0;
    for (let c = 0; c < this.n; c++) {
      if (this.idle.has(c) && !this.ended.has(c)) continue;
      active++;
      if (this.wms[c]! < min) min = this.wms[c]!;
    }
    if (active > 0 && min > this.current) {
      this.current = min;
      if (this.holder) this.held.push({ wm: min });
      this.head.watermark(min);
    }
  }

  /** Rescale switch: the producers are now channels 0..n-1, each with an unknown watermark. */
  setProducers(n: number): void {
    this.n = n;
    this.wms = new Array<number>(n).fill(-Infinity);
    this.ended.clear();
    this.idle.clear();
    const now = this.foreign.filter((p) => p.channel < n);
    this.foreign = this.foreign.filter((p) => p.channel >= n);
    this.replay.push(...now);
  }

  /**
   * Holds back records of `keyGroups` until `release`. A head operator that can hold key groups
   * itself (windows, process functions) goes on firing the others with the watermark; with any
   * other head the watermark waits too.
   */
  hold(keyGroups: ReadonlySet<number>): void {
    this.heldKeyGroups = keyGroups;
    if (isKeyGroupHolder(this.head)) {
      this.holder = this.head;
      this.holder.holdKeyGroups(keyGroups);
    } else {
      this.watermarkHeld = true;
    }
  }

  /** The held key groups' state is in place: apply their records (and watermark advances) in arrival order, then let the watermark go. */
  release(): HoldStats {
    const held = this.held;
    const stats = { heldRecords: this.heldRecords, maxHoldMs: this.heldRecords ? Date.now() - this.firstHeldAt : 0 };
    this.held = [];
    this.heldRecords = 0;
    this.heldKeyGroups = undefined;
    const holder = this.holder;
    this.holder = undefined;
    if (holder) {
      holder.releaseKeyGroups(held);
    } else {
      this.watermarkHeld = false;
      for (const el of held) if ('v' in el) this.head.collect(el.v, el.ts, el.kg);
      this.advanceWatermark();
    }
    return stats;
  }
}

/** "0-31, 64-95" for a sorted list of key groups (for error messages). */
function describeRanges(keyGroups: readonly number[]): string {
  if (keyGroups.length === 0) return '(none)';
  const parts: string[] = [];
  let start = keyGroups[0]!;
  let prev = start;
  for (const kg of [...keyGroups.slice(1), NaN]) {
    if (kg === prev + 1) { prev = kg; continue; }
    parts.push(start === prev ? String(start) : `${start}-${prev}`);
    start = prev = kg;
  }
  return parts.join(', ');
}
