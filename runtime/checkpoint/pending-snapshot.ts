/**
 * The keyed state of one checkpoint, serialized copy-on-write by key group.
 *
 * At the barrier each operator hands over, per key group, a value that may
 * still reference its live state (or a function that builds the value from
 * it). Nothing is copied then. Each key group is serialized either in the
 * background, in short slices between batches, or — the first time an operator
 * is about to change that key group — right before the change: operators call
 * `guard(kg)` on every path that modifies a key group's state or timers. So
 * the bytes are the state as of the barrier, while processing resumes right
 * after the barrier instead of waiting for the whole state to be serialized.
 */
import { chunksLength, encodeKeyedValue } from './keyed-value-codec.js';
import type { KeyedStateBlob } from './snapshot-io.js';

export interface KeyedSnapshotEntry { operatorId: number; keyGroup: number; value: unknown }

/** A keyed value's blob (keyed-value-codec.ts); a function stands for the value it returns (built late, from state still as of the barrier). */
function blob(operatorId: number, keyGroup: number, value: unknown): KeyedStateBlob {
  const chunks = encodeKeyedValue(value);
  return { operatorId, keyGroup, chunks, length: chunksLength(chunks) };
}

/** Serializes entries in the file's order: by key group, then operator. */
export function toBlobs(entries: KeyedSnapshotEntry[]): KeyedStateBlob[] {
  return entries
    .sort((a, b) => a.keyGroup - b.keyGroup || a.operatorId - b.operatorId)
    .map((e) => blob(e.operatorId, e.keyGroup, e.value));
}

export class PendingSnapshot {
  private readonly pending = new Map<number, Array<{ operatorId: number; value: unknown }>>();
  private readonly blobs: KeyedStateBlob[] = [];
  /** Set once: every blob, or why the snapshot failed. */
  private outcome: { blobs: KeyedStateBlob[] } | { error: Error } | undefined;
  private readonly waiters: Array<{ resolve: (blobs: KeyedStateBlob[]) => void; reject: (err: Error) => void }> = [];
  /** Key groups serialized because an operator was about to change them (for the log). */
  guarded = 0;

  constructor(readonly checkpointId: number, entries: KeyedSnapshotEntry[]) {
    for (const e of entries) {
      const list = this.pending.get(e.keyGroup);
      if (list) list.push({ operatorId: e.operatorId, value: e.value });
      else this.pending.set(e.keyGroup, [{ operatorId: e.operatorId, value: e.value }]);
    }
    this.settleIfDone();
  }

  /**
   * Every key group's blobs, in the file's order, once all are serialized; rejects with why they
   * cannot be. Each read is a new promise, made when asked for: a failure reaches whoever waits for
   * it, and a snapshot nobody waits for (the subtask stopped first) leaves no rejection unhandled.
   */
  get done(): Promise<KeyedStateBlob[]> {
    return new Promise((resolve, reject) => {
      const o = this.outcome;
      if (!o) this.waiters.push({ resolve, reject });
      else if ('error' in o) reject(o.error);
      else resolve(o.blobs);
    });
  }

  /** Key groups not serialized yet. */
  get remaining(): number { return this.pending.size; }

  /** Called by operators before they change key group `kg`: serializes it first if it is still pending. */
  readonly guard = (kg: number): void => {
    if (!this.pending.has(kg)) return;
    this.guarded++;
    this.serializeKeyGroup(kg);
    this.settleIfDone();
  };

  /** Serializes pending key groups for about `budgetMs`; true while some remain. */
  step(budgetMs: number): boolean {
    const until = performance.now() + budgetMs;
    for (const kg of this.pending.keys()) {
      this.serializeKeyGroup(kg);
      if (performance.now() >= until) break;
    }
    this.settleIfDone();
    return this.pending.size > 0;
  }

  /** Serializes everything still pending, now. */
  finishAll(): void {
    for (const kg of [...this.pending.keys()]) this.serializeKeyGroup(kg);
    this.settleIfDone();
  }

  /** The checkpoint is given up (the subtask is cancelled): drops what is pending. */
  abandon(reason: string): void {
    this.pending.clear();
    this.settle({ error: new Error(reason) });
  }

  private serializeKeyGroup(kg: number): void {
    const list = this.pending.get(kg)!;
    this.pending.delete(kg);
    try {
      for (const e of list) this.blobs.push(blob(e.operatorId, kg, e.value));
    } catch (err) {
      this.pending.clear();
      this.settle({ error: new Error(`serializing key group ${kg}: ${(err as Error).message}`, { cause: err }) });
    }
  }

  private settleIfDone(): void {
    if (this.outcome || this.pending.size) return;
    this.settle({ blobs: this.blobs.sort((a, b) => a.keyGroup - b.keyGroup || a.operatorId - b.operatorId) });
  }

  /** The first outcome stands; every waiter gets it. */
  private settle(outcome: { blobs: KeyedStateBlob[] } | { error: Error }): void {
    if (this.outcome) return;
    this.outcome = outcome;
    for (const w of this.waiters.splice(0)) {
      if ('error' in outcome) w.reject(outcome.error);
      else w.resolve(outcome.blobs);
    }
  }
}
