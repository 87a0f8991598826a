/**
 * The serialized bytes of a key group's windows, kept between checkpoints (window-operator.ts).
 *
 * A checkpoint serializes only the windows that changed since the one before; the others reuse their
 * bytes. With a long out-of-orderness most windows of a key group are closed to new records and wait
 * for the watermark, so a checkpoint (and a rescale batch) costs the windows written to since, not
 * the whole state.
 *
 * Windows are serialized together, several to a part: node:v8 costs ~5 µs per call besides the
 * bytes, which for windows of a few keys each was 4–8× the work of one call per key group. A change
 * to one window of a part (a record, firing) drops the part; its other windows, unchanged, become
 * orphans. At the next snapshot the changed windows go into one new part and the orphans into
 * another, so windows that keep changing never drag unchanged ones along from checkpoint to
 * checkpoint: at most two node:v8 calls per key group and snapshot.
 */
import { serialize } from 'node:v8';

/** One part: the node:v8 bytes of an array of window columns, and the ends of those windows. */
export interface Part { bytes: Uint8Array; ends: number[] }

export class KeyGroupBytes {
  /** Window end → the part holding its bytes (windows unchanged since). */
  private readonly parts = new Map<number, Part>();
  /** Unchanged windows whose part was dropped because another window in it changed. */
  private readonly orphans = new Set<number>();

  /** Window `end` changed (or is gone): its part is dropped, and the part's other windows are orphans. */
  changed(end: number): void {
    this.orphans.delete(end);
    const part = this.parts.get(end);
    if (!part) return;
    for (const e of part.ends) {
      if (this.parts.get(e) !== part) continue;
      this.parts.delete(e);
      if (e !== end) this.orphans.add(e);
    }
  }

  /**
   * The parts of a snapshot of `windows` (every open window of the key group, by end): kept parts
   * as they are, then the changed windows serialized together, then the orphans.
   * `columnsOf(end, window)` gives a window's columns, the array element of a part.
   */
  snapshot<W, C>(windows: ReadonlyMap<number, W>, columnsOf: (end: number, window: W) => C): Uint8Array[] {
    const kept = new Set<Part>();
    const changed: number[] = [];
    const orphaned: number[] = [];
    for (const end of windows.keys()) {
      const part = this.parts.get(end);
      if (part) kept.add(part);
      else if (this.orphans.has(end)) orphaned.push(end);
      else changed.push(end);
    }
    this.orphans.clear();
    const out: Uint8Array[] = [];
    for (const part of kept) out.push(part.bytes);
    for (const group of [changed, orphaned]) {
      if (group.length === 0) continue;
      const part: Part = { bytes: serialize(group.map((end) => columnsOf(end, windows.get(end)!))), ends: group };
      for (const end of group) this.parts.set(end, part);
      out.push(part.bytes);
    }
    return out;
  }

  /** A restored part: its windows are unchanged until a record or firing changes one. */
  restored(bytes: Uint8Array, ends: number[]): void {
    for (const end of ends) this.changed(end);
    const part: Part = { bytes, ends };
    for (const end of ends) this.parts.set(end, part);
  }
}
