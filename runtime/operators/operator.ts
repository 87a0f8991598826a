/**
 * What an operator may implement to take part in checkpoints. The subtask
 * calls the snapshot methods synchronously when a barrier passes its chain
 * (after alignment). Operator state is serialized at once. Keyed values may
 * reference live state (or be functions that build the value from it): they
 * are serialized later, key group by key group (checkpoint/pending-snapshot.ts),
 * and an operator keeps them as of the barrier by calling `snapshotGuard(kg)`
 * before any change to key group kg's state or timers while the guard is set.
 */
import type { Collector } from '../elements.js';

export interface CheckpointedOperator {
  /** Transformation id; names the operator's state in snapshots. */
  readonly operatorId: number;
  /** Keyed state by key group: kg → a structured-clone-able value, or a function returning one (called later, under the guard). */
  snapshotKeyedState?(): Map<number, unknown>;
  /** Set by the subtask while a snapshot's keyed values are not all serialized; called before a key group changes. */
  snapshotGuard?: ((keyGroup: number) => void) | undefined;
  restoreKeyedState?(keyGroup: number, state: unknown): void;
  /** In-place rescale: forget the state and timers of key groups this subtask no longer owns (after snapshotting them). */
  dropKeyGroups?(keyGroups: ReadonlySet<number>): void;
  /** Non-keyed state of this subtask (source positions, uncommitted sink output). */
  snapshotOperatorState?(checkpointId: number): unknown;
  /**
   * Called before processing with the operator states of every subtask of the
   * snapshot (the old parallelism may differ); the operator keeps what is its own.
   */
  restoreOperatorState?(states: Array<{ subtaskIndex: number; parallelism: number; state: unknown }>): Promise<void> | void;
  notifyCheckpointComplete?(checkpointId: number): Promise<void>;
}

/**
 * A keyed operator at the head of a chain that lets key groups being loaded by a rescale lag behind
 * the others (input-processor.ts holds their records): the other key groups' windows and timers go
 * on firing with the watermark; the held ones catch up on release, with their records and the
 * watermark advances they missed replayed in arrival order. The output watermark stays at the held
 * key groups' watermark until then, so nothing emitted later is behind it.
 */
export interface KeyGroupHolder {
  holdKeyGroups(keyGroups: ReadonlySet<number>): void;
  releaseKeyGroups(held: ReadonlyArray<HeldElement>): void;
}

/** A held record, or a watermark advance that came between held records. */
export type HeldElement = { v: unknown; ts: number | undefined; kg?: number } | { wm: number };

/**
 * What a KeyGroupHolder keeps while key groups are held: which ones and the watermark they are at,
 * the watermark replayed records and timers see, and the output watermark, which never passes the
 * held key groups' watermark and never goes back.
 */
export class KeyGroupHold {
  private held: { kgs: ReadonlySet<number>; wm: number } | undefined;
  private emitted = -Infinity;
  /** While held elements are replayed: the watermark they are at. */
  replayWm: number | undefined;

  constructor(private readonly out: Collector) {}

  /** The key groups held back, if any. */
  get keyGroups(): ReadonlySet<number> | undefined { return this.held?.kgs; }

  hold(keyGroups: ReadonlySet<number>, watermark: number): void {
    this.held = { kgs: keyGroups, wm: watermark };
  }

  /** Forwards `wm` downstream, held back to the held key groups' watermark while they are held. */
  emit(wm: number): void {
    const w = this.held ? Math.min(this.held.wm, wm) : wm;
    if (w <= this.emitted) return;
    this.emitted = w;
    this.out.watermark(w);
  }

  /**
   * Ends the hold and replays `queue` in arrival order: each record through `record`, each watermark
   * advance through `advance`, with `replayWm` at the held key groups' watermark so far.
   */
  release(queue: ReadonlyArray<HeldElement>, current: number, record: (el: { v: unknown; ts: number | undefined; kg?: number }) => void, advance: (wm: number) => void): void {
    const h = this.held;
    this.held = undefined;
    let wm = h?.wm ?? current;
    try {
      for (const el of queue) {
        if (!('wm' in el)) { this.replayWm = wm; record(el); }
        else if (el.wm > wm) { this.replayWm = wm = el.wm; advance(wm); }
      }
    } finally {
      this.replayWm = undefined;
    }
  }
}

export function isKeyGroupHolder(x: unknown): x is KeyGroupHolder {
  return typeof (x as KeyGroupHolder | undefined)?.holdKeyGroups === 'function';
}

export function isCheckpointed(x: unknown): x is CheckpointedOperator {
  return typeof x === 'object' && x !== null && typeof (x as CheckpointedOperator).operatorId === 'number';
}
