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
import { deserialize, serialize } from 'node:v8';
import { SerializedParts } from '../checkpoint/keyed-value-codec.js';
import type { AggregateFunction, WindowAssigner, WindowResultFunction } from '../../sdk/types.js';
import { assignToKeyGroup, canonicalKey, type Key } from '../../state/key-groups.js';
import type { Collector } from '../elements.js';
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
/** Serialized windows of a key group: the bytes, and the ends of the windows in them. */
interface Part { bytes: Uint8Array; ends: number[] }
/** The format checkpoints used before: [window end, [canonical key, key, accumulator][]][] (still restored). */
type RowSnapshot = Array<[number, Array<[string, Key, unknown]>]>;

export class WindowOperator implements Collector, CheckpointedOperator, KeyGroupHolder {
  /** keyGroup → windowEnd → canonical key → pane */
  private readonly state = new Map<number, Map<number, Map<string, Pane>>>();
  /**
   * keyGroup → windowEnd → the part holding the window's serialized columns, for windows unchanged
   * since they were last serialized (by a snapshot, or read by a restore). A checkpoint serializes
   * only the windows that changed since the one before: with a long out-of-orderness most windows
   * of a key group are closed to new records and wait for the watermark, so this turns a
   * checkpoint's (and a rescale batch's) cost from the whole state into the windows written to
   * since. The windows of a key group that changed are serialized together, in one part: node:v8
   * costs ~5 µs per call besides the bytes, 4–8× the work for windows of a few keys each. A
   * record, firing or dropping a key group drops the part of every window it changes, so a part's
   * other windows are serialized again (with the changed ones) at the next checkpoint.
   */
  private readonly serialized = new Map<number, Map<number, Part>>();
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
      if (serialized) forget(serialized, end);
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
        const cache = this.serialized.get(kg);
        if (cache) forget(cache, end);
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
    let cache = this.serialized.get(kg);
    if (!cache) this.serialized.set(kg, (cache = new Map()));
    const kept = new Set<Part>();
    const changed: WindowColumns[] = [];
    for (const [end, panes] of byEnd) {
      const part = cache.get(end);
      if (part) kept.add(part);
      else changed.push(columns(end, panes));
    }
    const parts: Uint8Array[] = [];
    for (const part of kept) parts.push(part.bytes);
    if (changed.length) {
      const part: Part = { bytes: serialize(changed), ends: changed.map((c) => c[0]) };
      for (const end of part.ends) cache.set(end, part);
      parts.push(part.bytes);
    }
    // Written as they are (no copy into one buffer): they are never changed, only dropped.
    return new SerializedParts(parts);
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
        // Kept for the next snapshot; a copy (Uint8Array's slice, not Buffer's view): `item` may be a view into the whole file read.
        let cache = this.serialized.get(keyGroup);
        if (!cache) this.serialized.set(keyGroup, (cache = new Map()));
        const part: Part = { bytes: Uint8Array.prototype.slice.call(item), ends: [] };
        for (const entry of entries) {
          forget(cache, entry[0]);
          this.restoreWindow(byEnd, entry);
          part.ends.push(entry[0]);
          cache.set(entry[0], part);
        }
      } else {
        const cache = this.serialized.get(keyGroup);
        if (cache) forget(cache, item[0]);
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

/** Drops the serialized part holding window `end`: each window in it is serialized again at the next snapshot. */
function forget(cache: Map<number, Part>, end: number): void {
  const part = cache.get(end);
  if (!part) return;
  for (const e of part.ends) if (cache.get(e) === part) cache.delete(e);
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
