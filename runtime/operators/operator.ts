/**
 * What an operator may implement to take part in checkpoints. The subtask
 * calls the snapshot methods synchronously when a barrier passes its chain
 * (after alignment). Operator state is serialized at once. Keyed values may
 * reference live state (or be functions that build the value from it): they
 * are serialized later, key group by key group (checkpoint/pending-snapshot.ts),
 * and an operator keeps them as of the barrier by calling `snapshotGuard(kg)`
 * before any change to key group kg's state or timers while the guard is set.
 */
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
  releaseKeyGroups(held: ReadonlyArray<{ v: unknown; ts: number | undefined; kg?: number } | { wm: number }>): void;
}

export function isKeyGroupHolder(x: unknown): x is KeyGroupHolder {
  return typeof (x as KeyGroupHolder | undefined)?.holdKeyGroups === 'function';
}

export function isCheckpointed(x: unknown): x is CheckpointedOperator {
  return typeof x === 'object' && x !== null && typeof (x as CheckpointedOperator).operatorId === 'number';
}
