/**
 * The snapshot pacer (runtime/checkpoint/snapshot-pacer.ts): at the barrier a small keyed state is
 * serialized at once (its file can be written and the checkpoint acknowledged right away); a large
 * one only in part, the rest copy-on-write behind the operators' guard.
 */
import { describe, expect, it } from 'vitest';
import { PendingSnapshot, type KeyedSnapshotEntry } from '../../runtime/checkpoint/pending-snapshot.js';
import { SnapshotPacer } from '../../runtime/checkpoint/snapshot-pacer.js';
import type { CheckpointedOperator } from '../../runtime/operators/operator.js';

/** A keyed operator as the pacer sees it: it snapshots keyed state and carries the guard. */
const keyedOp = () => ({ operatorId: 1, snapshotKeyedState: () => new Map(), snapshotGuard: undefined as ((kg: number) => void) | undefined });

/** `n` key groups whose values take `spinMs` each to build (a function value is built when serialized). */
function entries(n: number, spinMs: number): KeyedSnapshotEntry[] {
  return Array.from({ length: n }, (_, kg) => ({
    operatorId: 1, keyGroup: kg,
    value: () => { const until = performance.now() + spinMs; while (performance.now() < until) { /* busy */ } return { kg, data: 'x'.repeat(100) }; },
  }));
}

describe('snapshot pacer', () => {
  it('serializes a small keyed state at the barrier: nothing is left pending and no guard is set', async () => {
    const op = keyedOp();
    const pacer = new SnapshotPacer(() => [op as unknown as CheckpointedOperator]);
    const snap = new PendingSnapshot(1, entries(128, 0));
    pacer.begin(snap);
    expect(snap.remaining).toBe(0);
    expect(op.snapshotGuard).toBeUndefined();
    expect((await snap.done).length).toBe(128);
  });

  it('serializes a large keyed state only in part at the barrier and guards the rest until it is done', async () => {
    const op = keyedOp();
    const pacer = new SnapshotPacer(() => [op as unknown as CheckpointedOperator]);
    // 40 key groups of 2 ms each: ~80 ms, far beyond the budget at the barrier.
    const snap = new PendingSnapshot(2, entries(40, 2));
    const t0 = performance.now();
    pacer.begin(snap);
    expect(performance.now() - t0).toBeLessThan(60);
    expect(snap.remaining).toBeGreaterThan(0);
    expect(snap.remaining).toBeLessThan(40);
    expect(op.snapshotGuard).toBe(snap.guard);
    pacer.complete();
    expect(snap.remaining).toBe(0);
    expect(op.snapshotGuard).toBeUndefined();
    expect((await snap.done).length).toBe(40);
  });
});
