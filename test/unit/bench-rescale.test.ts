/**
 * The rescaling benchmark's own computations: the minimum it compares moves with (against the
 * product's planner bound and, in bytes, a brute force over every balanced table on tiny K), output
 * gaps, and the streaming reference (against examples/fraud-detection/reference.ts).
 */
import { describe, expect, it } from 'vitest';
import { minimumMove, longestGap } from '../../bench/rescale-analysis.js';
import { StreamingReference } from '../../bench/rescale-load.js';
import { endMarkers, generateTransactions, mulberry32 } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts } from '../../examples/fraud-detection/reference.js';
import { contiguousTable, minimumMoves, rescaleTable } from '../../state/key-group-assignment.js';

const prng = mulberry32;

/** Least bytes moved over every table of K entries in [0, p1) with ⌊K/p1⌋ or ⌈K/p1⌉ per subtask. */
function bruteForceBytes(before: number[], p1: number, sizes: number[]): number {
  const K = before.length;
  const lo = Math.floor(K / p1), hi = Math.ceil(K / p1);
  let best = Infinity;
  const table = new Array<number>(K).fill(0);
  const walk = (kg: number): void => {
    if (kg === K) {
      const counts = new Array<number>(p1).fill(0);
      for (const o of table) counts[o]!++;
      if (counts.every((c) => c >= lo && c <= hi)) best = Math.min(best, table.reduce((s, o, i) => s + (o !== before[i] ? sizes[i]! : 0), 0));
      return;
    }
    for (let s = 0; s < p1; s++) { table[kg] = s; walk(kg + 1); }
  };
  walk(0);
  return best;
}

describe('rescaling benchmark', () => {
  it('minimum key groups equal the planner module\'s bound along chains of rescales', () => {
    const rnd = prng(3);
    for (const K of [128, 256, 97]) {
      let p = 2;
      let table = contiguousTable(K, p);
      for (let step = 0; step < 12; step++) {
        const next = 1 + Math.floor(rnd() * 9);
        if (next === p) continue;
        const sizes = Array.from({ length: K }, () => Math.floor(rnd() * 1000));
        expect(minimumMove([...table], next, sizes).keyGroups).toBe(minimumMoves(table, p, next));
        table = rescaleTable(table, p, next, sizes);
        p = next;
      }
    }
  });

  it('minimum bytes equal a brute force over every balanced table (tiny K)', () => {
    const rnd = prng(11);
    for (let trial = 0; trial < 40; trial++) {
      const K = 5 + Math.floor(rnd() * 3);
      const p0 = 1 + Math.floor(rnd() * 3);
      let p1 = 1 + Math.floor(rnd() * 3);
      if (p1 === p0) p1 = (p0 % 3) + 1;
      const before = Array.from({ length: K }, () => Math.floor(rnd() * p0));
      const sizes = Array.from({ length: K }, () => Math.floor(rnd() * 100));
      expect(minimumMove(before, p1, sizes).bytes, JSON.stringify({ before, p1, sizes })).toBe(bruteForceBytes(before, p1, sizes));
    }
  });

  it('measures the longest gap inside a window, edges included', () => {
    const t = [0, 1000, 2000, 5000, 6000, 7000];
    expect(longestGap(t, 1500, 4000)).toEqual({ ms: 2000, from: 2000, to: 4000 });
    expect(longestGap(t, 1500, 5500)).toEqual({ ms: 3000, from: 2000, to: 5000 });
    expect(longestGap(t, 6500, 9000)).toEqual({ ms: 2000, from: 7000, to: 9000 });
    expect(longestGap([], 0, 10)).toEqual({ ms: 10, from: 0, to: 10 });
  });

  it('the streaming reference settles exactly the reference\'s alerts', () => {
    const streams = ['a', 'b', 'c'];
    const o = { windowMs: 1000, maxOutOfOrdernessMs: 5000, thresholdCents: 49_000, streams };
    const txns = generateTransactions({ seed: 5, streams, count: 30_000, accounts: 500, stepMs: 1 });
    const all = [...txns, ...endMarkers(streams, Math.max(...txns.map((t) => t.ts)) + 7000)];
    const ref = new StreamingReference(o);
    for (const [i, t] of all.entries()) {
      ref.add(t);
      if (i % 997 === 0) ref.settle();
    }
    const want = expectedAlerts(all, o);
    expect(want.length).toBeGreaterThan(50);
    expect(ref.expected()).toEqual(want);
  });
});
