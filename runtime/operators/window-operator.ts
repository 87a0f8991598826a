/**
 * Keyed event-time windows (tumbling or sliding) with an incremental aggregate.
 *
 * A record with timestamp ts belongs to every window [s, s+size) with
 * s ≡ 0 (mod slide) and ts - size < s ≤ ts; tumbling is slide = size (one
 * window). Since size is fixed, a window is identified by its end.
 *
 * State is held per key group (the unit that checkpoints and rescaling move):
 * keyGroup → (window end → key → accumulator). A window fires once, when the
 * watermark reaches its end (wm ≥ end), in order of window end, key group, and
 * the arrival of each key in the window.
 * A record goes only into its windows that have not fired yet (end > watermark);
 * when all of them have, it is late and dropped (allowed lateness 0, as
 * Flink's default).
 */
import { deserialize } from 'node:v8';
import { SerializedParts } from '../checkpoint/keyed-value-codec.js';
import type { AggregateFunction, WindowAssigner, WindowResultFunction } from '../../sdk/types.js';
import { assignToKeyGroup, canonicalKey, type Key } from '../../state/key-groups.js';
import type { Collector } from '../elements.js';
import { KeyGroupBytes } from './window-bytes.js';
import { KeyGroupHold, type CheckpointedOperator, type HeldElement, type KeyGroupHolder } from './operator.js';

interface Pane { key: Key; acc: unknown }

/**
 * One window of a key group, in columns: [window end, canonical keys, keys (null when every key is
 * a string, i.e. its own canonical form), accumulators]. Columns serialize and deserialize about
 * three times faster than an array per pane.
 */
type WindowColumns = [number, string[], Key[] | null, unknown[]];
/**
 * Snapshot of one key group: parts, each the node:v8 serialization of the columns of the windows
 * serialized together, an array of WindowColumns (written as SerializedParts, read back as this
 * array). Earlier checkpoints held one window's columns per part, or the columns themselves; all
 * restore.
 */
type KeyGroupSnapshot = Array<Uint8Array | WindowColumns>;
/** The format checkpoints used before: [window end, [canonical key, key, accumulator][]][] (still restored). */
type RowSnapshot = Array<[number, Array<[string, Key, unknown]>]>;

export class WindowOperator implements Collector, CheckpointedOperator, KeyGroupHolder {
  /** keyGroup → windowEnd → canonical key → pane */
  private readonly state = new Map<number, Map<number, Map<string, Pane>>>();
  /**
   * keyGroup → the serialized bytes of its windows unchanged since the last snapshot (window-bytes.ts):
   * a checkpoint serializes only the windows written to since, several to a node:v8 call. A record,
   * firing and dropping a key group tell it what changed.
   */
  private readonly serialized = new Map<number, KeyGroupBytes>();
  /** Pending window ends (a set kept sorted lazily at fire time). */
  private readonly pendingEnds = new Set<number>();
  private currentWatermark = -Infinity;
  /** Key groups held back by a rescale, and the output watermark. */
  private readonly hold: KeyGroupHold;
  snapshotGuard: ((keyGroup: number) => void) | undefined;
  private readonly size: number;
  private readonly slide: number;
  lateRecordsDropped = 0;

  constructor(
    readonly operatorId: number,
    private readonly selector: (v: unknown) => Key,
    assigner: WindowAssigner,
    private readonly aggregate: AggregateFunction<unknown, unknown, unknown>,
    private readonly result: WindowResultFunction<unknown, unknown, unknown> | undefined,
    private readonly maxParallelism: number,
    private readonly out: Collector,
  ) {
    this.hold = new KeyGroupHold(out);
    this.size = assigner.sizeMs;
    this.slide = assigner.kind === 'sliding-event-time' ? assigner.slideMs : assigner.sizeMs;
  }

  collect(v: unknown, ts: number | undefined, keyGroup?: number): void {
    if (ts === undefined || !Number.isFinite(ts)) {
      throw new Error('event-time window got a record without a timestamp: give the source a watermarks/timestamp option');
    }
    const { size, slide } = this;
    const lastStart = ts - (((ts % slide) + slide) % slide);
    const wm = this.hold.replayWm ?? this.currentWatermark;
    // The latest window ends last: if it has fired, every window of the record has.
    if (lastStart + size <= wm) { this.lateRecordsDropped++; return; }
    const key = this.selector(v);
    const ck = canonicalKey(key);
    const kg = keyGroup ?? assignToKeyGroup(key, this.maxParallelism);
    this.snapshotGuard?.(kg);
    let byEnd = this.state.get(kg);
    if (!byEnd) this.state.set(kg, (byEnd = new Map()));
    const serialized = this.serialized.get(kg);
    // From the latest window back; ends decrease, so stop at the first one already fired.
    for (let start = lastStart; start > ts - size; start -= slide) {
      const end = start + size;
      if (end <= wm) break;
      serialized?.changed(end);
      let panes = byEnd.get(end);
      if (!panes) byEnd.set(end, (panes = new Map()));
      const pane = panes.get(ck);
      if (pane) pane.acc = this.aggregate.add(pane.acc, v);
      else panes.set(ck, { key, acc: this.aggregate.add(this.aggregate.createAccumulator(), v) });
      this.pendingEnds.add(end);
    }
  }

  watermark(wm: number): void {
    if (wm <= this.currentWatermark) return;
    this.currentWatermark = wm;
    this.fire(wm, this.hold.keyGroups, false);
    this.hold.emit(wm);
  }

  holdKeyGroups(keyGroups: ReadonlySet<number>): void {
    this.hold.hold(keyGroups, this.currentWatermark);
  }

  releaseKeyGroups(queue: ReadonlyArray<HeldElement>): void {
    const held = this.hold.keyGroups;
    this.hold.release(queue, this.currentWatermark, (el) => this.collect(el.v, el.ts, el.kg), (wm) => this.fire(wm, held, true));
    this.fire(this.currentWatermark, held, true);
    this.hold.emit(this.currentWatermark);
  }

  /**
   * Fires due windows by window end, then key group, then the order in which their keys first came
   * into the window: of every key group without `kgs`, else of the key groups in `kgs` (`inside`) or
   * of those not in it. (A deterministic order without sorting every pane's key: the sort by key
   * was a tenth of a busy TaskManager's CPU; restored and rescaled state keeps the arrival order.)
   */
  private fire(wm: number, kgs: ReadonlySet<number> | undefined, inside: boolean): void {
    let due: number[] | undefined;
    for (const e of this.pendingEnds) if (e <= wm) (due ??= []).push(e);
    if (!due) return;
    due.sort((a, b) => a - b);
    const groups = [...this.state.keys()].sort((a, b) => a - b);
    for (const end of due) {
      let others = false;
      const window = { start: end - this.size, end };
      for (const kg of groups) {
        const byEnd = this.state.get(kg);
        const panes = byEnd?.get(end);
        if (!panes) continue;
        if (kgs && kgs.has(kg) !== inside) { others = true; continue; }
        this.snapshotGuard?.(kg);
        byEnd!.delete(end);
        this.serialized.get(kg)?.changed(end);
        if (byEnd!.size === 0) { this.state.delete(kg); this.serialized.delete(kg); }
        for (const pane of panes.values()) {
          const r = this.aggregate.getResult(pane.acc);
          // Output records carry the window's last timestamp, as Flink's windows do.
          this.out.collect(this.result ? this.result(pane.key, window, r) : r, end - 1);
        }
      }
      // Key groups held back still have this window: it stays pending for them.
      if (!others) this.pendingEnds.delete(end);
    }
  }

  end(): void { this.out.end(); }

  /**
   * Per key group a function that builds its snapshot: called later, before the key group changes at
   * the latest (the guard). Windows unchanged since they were last serialized reuse those bytes.
   */
  snapshotKeyedState(): Map<number, unknown> {
    const out = new Map<number, unknown>();
    for (const [kg, byEnd] of this.state) {
      if (byEnd.size === 0) continue;
      out.set(kg, () => this.serializeKeyGroup(kg, byEnd));
    }
    return out;
  }

  private serializeKeyGroup(kg: number, byEnd: Map<number, Map<string, Pane>>): SerializedParts {
    // Written as they are (no copy into one buffer): parts are never changed, only dropped.
    return new SerializedParts(this.bytesOf(kg).snapshot(byEnd, columns));
  }

  private bytesOf(kg: number): KeyGroupBytes {
    let bytes = this.serialized.get(kg);
    if (!bytes) this.serialized.set(kg, (bytes = new KeyGroupBytes()));
    return bytes;
  }

  restoreKeyedState(keyGroup: number, state: unknown): void {
    this.snapshotGuard?.(keyGroup);
    let byEnd = this.state.get(keyGroup);
    if (!byEnd) this.state.set(keyGroup, (byEnd = new Map()));
    for (const item of state as KeyGroupSnapshot | RowSnapshot) {
      if (item instanceof Uint8Array) {
        const decoded = deserialize(item) as WindowColumns | WindowColumns[];
        // One window's columns (checkpoints before windows were serialized together) start with its end.
        const entries = typeof decoded[0] === 'number' ? [decoded as WindowColumns] : (decoded as WindowColumns[]);
        for (const entry of entries) this.restoreWindow(byEnd, entry);
        // Kept for the next snapshot; a copy (Uint8Array's slice, not Buffer's view): `item` may be a view into the whole file read.
        this.bytesOf(keyGroup).restored(Uint8Array.prototype.slice.call(item), entries.map((e) => e[0]));
      } else {
        this.serialized.get(keyGroup)?.changed(item[0]);
        this.restoreWindow(byEnd, item);
      }
    }
  }

  private restoreWindow(byEnd: Map<number, Map<string, Pane>>, entry: WindowColumns | RowSnapshot[number]): void {
    const m = new Map<string, Pane>();
    if (entry.length === 2) {
      for (const [ck, key, acc] of entry[1]) m.set(ck, { key, acc });
    } else {
      const [, cks, keys, accs] = entry;
      for (let i = 0; i < cks.length; i++) m.set(cks[i]!, { key: keys ? keys[i]! : cks[i]!, acc: accs[i] });
    }
    byEnd.set(entry[0], m);
    this.pendingEnds.add(entry[0]);
  }

  /** Pending ends that only dropped key groups had are skipped when they come due (nothing fires). */
  dropKeyGroups(keyGroups: ReadonlySet<number>): void {
    for (const kg of keyGroups) {
      this.snapshotGuard?.(kg);
      this.state.delete(kg);
      this.serialized.delete(kg);
    }
  }

  /** Number of open (not yet fired) panes; exposed for metrics and tests. */
  openPanes(): number {
    let n = 0;
    for (const byEnd of this.state.values()) for (const p of byEnd.values()) n += p.size;
    return n;
  }
}

function columns(end: number, panes: Map<string, Pane>): WindowColumns {
  const cks: string[] = [], keys: Key[] = [], accs: unknown[] = [];
  let stringKeys = true;
  for (const [ck, p] of panes) {
    cks.push(ck);
    keys.push(p.key);
    accs.push(p.acc);
    if (p.key !== ck) stringKeys = false;
  }
  return [end, cks, stringKeys ? null : keys, accs];
}

/** The former name (tumbling only); the operator now takes either assigner. */
export { WindowOperator as TumblingWindowOperator };
