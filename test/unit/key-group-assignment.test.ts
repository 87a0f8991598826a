/**
 * Key-group ownership tables and the rescale planner. The minimum number of
 * moves is computed here independently of the module (closed form, itself
 * checked by brute force over every balanced table on tiny K).
 */
import { describe, expect, it } from 'vitest';
import {
  checkTable, contiguousTable, countMoves, expandRanges, keyGroupsOf, minimumMoves, rangesOf, rescaleTable,
} from '../../state/key-group-assignment.js';
import { keyGroupRangeForSubtask, operatorIndexForKeyGroup } from '../../state/key-groups.js';
import { mulberry32 } from '../../examples/fraud-detection/generator.js';

const prng = mulberry32;
const randInt = (rnd: () => number, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

function counts(table: ArrayLike<number>, p: number): number[] {
  const c = new Array<number>(p).fill(0);
  for (let kg = 0; kg < table.length; kg++) c[table[kg]]++;
  return c;
}

/** Independent minimum: survivors keep ⌊K/M⌋ each, plus one more for up to K mod M survivors holding more than that. */
function expectedMinimum(prev: ArrayLike<number>, n: number, m: number): number {
  const k = prev.length;
  const base = Math.floor(k / m);
  const held = counts(prev, n).slice(0, Math.min(n, m));
  const kept = held.reduce((s, h) => s + Math.min(h, base), 0) + Math.min(k % m, held.filter((h) => h > base).length);
  return k - kept;
}

function isBalanced(table: ArrayLike<number>, k: number, p: number): boolean {
  if (table.length !== k) return false;
  for (let kg = 0; kg < k; kg++) if (!(table[kg] < p)) return false;
  const lo = Math.floor(k / p);
  return counts(table, p).every((c) => c === lo || c === lo + 1);
}

/** A random balanced table: a seeded shuffle of the key groups dealt round-robin. */
function randomBalanced(rnd: () => number, k: number, p: number): Uint16Array {
  const kgs = Array.from({ length: k }, (_, i) => i);
  for (let i = k - 1; i > 0; i--) {
    const j = randInt(rnd, 0, i);
    [kgs[i], kgs[j]] = [kgs[j], kgs[i]];
  }
  const table = new Uint16Array(k);
  kgs.forEach((kg, i) => { table[kg] = i % p; });
  return table;
}

function movedWeight(prev: ArrayLike<number>, next: ArrayLike<number>, w: ArrayLike<number>): number {
  let sum = 0;
  for (let kg = 0; kg < prev.length; kg++) if (prev[kg] !== next[kg]) sum += w[kg];
  return sum;
}

/** Every table of length k over p subtasks (p^k of them), balanced ones only. */
function* allBalanced(k: number, p: number): Generator<Uint16Array> {
  const t = new Uint16Array(k);
  for (let code = 0; code < p ** k; code++) {
    let c = code;
    for (let kg = 0; kg < k; kg++) { t[kg] = c % p; c = Math.floor(c / p); }
    if (isBalanced(t, k, p)) yield t;
  }
}

/** Checks balance, minimality and determinism; returns a failure description or null. */
function checkStep(prev: Uint16Array, n: number, m: number, weights?: Float64Array): string | null {
  const k = prev.length;
  const next = rescaleTable(prev, n, m, weights);
  if (!isBalanced(next, k, m)) return `K=${k} ${n}→${m}: unbalanced ${counts(next, m).join(',')}`;
  const moves = countMoves(prev, next);
  const min = expectedMinimum(prev, n, m);
  if (moves !== min) return `K=${k} ${n}→${m}: moved ${moves}, minimum ${min}`;
  if (minimumMoves(prev, n, m) !== min) return `K=${k} ${n}→${m}: minimumMoves ${minimumMoves(prev, n, m)}, expected ${min}`;
  if (countMoves(next, rescaleTable(prev, n, m, weights)) !== 0) return `K=${k} ${n}→${m}: not deterministic`;
  return null;
}

describe('contiguousTable', () => {
  it("matches Flink's keyGroupRangeForSubtask and operatorIndexForKeyGroup", () => {
    const failures: string[] = [];
    for (const k of [128, 4096]) {
      for (let p = 1; p <= 64; p++) {
        const t = contiguousTable(k, p);
        for (let i = 0; i < p; i++) {
          const want = keyGroupRangeForSubtask(k, p, i);
          const got = rangesOf(t, i);
          if (got.length !== 1 || got[0].start !== want.start || got[0].end !== want.end) failures.push(`K=${k} p=${p} subtask ${i}`);
        }
        for (let kg = 0; kg < k; kg++) if (t[kg] !== operatorIndexForKeyGroup(k, p, kg)) failures.push(`K=${k} p=${p} kg ${kg}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('rescaleTable', () => {
  it('K = 128, 2 → 3 moves 42 key groups where contiguous ranges move 63', () => {
    // Quotas 43, 43, 42: the survivors keep 43 each, the new subtask receives its 42.
    const prev = contiguousTable(128, 2);
    const next = rescaleTable(prev, 2, 3);
    expect(countMoves(prev, next)).toBe(42);
    expect(minimumMoves(prev, 2, 3)).toBe(42);
    expect(countMoves(prev, contiguousTable(128, 3))).toBe(63);
    expect(counts(next, 3).sort()).toEqual([42, 43, 43]);
  });

  it('keeps the contiguous layout on 1 → 2 and moves nothing when parallelism is unchanged', () => {
    expect(rescaleTable(contiguousTable(128, 1), 1, 2)).toEqual(contiguousTable(128, 2));
    const t = contiguousTable(4096, 7);
    expect(countMoves(t, rescaleTable(t, 7, 7))).toBe(0);
  });

  it('the independent minimum is the true minimum (brute force over every balanced table, tiny K)', () => {
    const rnd = prng(7);
    for (let trial = 0; trial < 60; trial++) {
      const k = randInt(rnd, 1, 7);
      const n = randInt(rnd, 1, Math.min(4, k));
      const m = randInt(rnd, 1, Math.min(4, k));
      const prev = Uint16Array.from({ length: k }, () => randInt(rnd, 0, n - 1)); // not necessarily balanced
      let best = Infinity;
      for (const t of allBalanced(k, m)) best = Math.min(best, countMoves(prev, t));
      expect(expectedMinimum(prev, n, m), `K=${k} ${n}→${m} prev=${prev.join('')}`).toBe(best);
      expect(countMoves(prev, rescaleTable(prev, n, m))).toBe(best);
    }
  });

  for (const k of [128, 4096]) {
    it(`K = ${k}: every N, M in 1..64 from contiguous tables is balanced, minimal and deterministic`, () => {
      const failures: string[] = [];
      for (let n = 1; n <= 64; n++) {
        const prev = contiguousTable(k, n);
        for (let m = 1; m <= 64; m++) {
          const f = checkStep(prev, n, m);
          if (f) failures.push(f);
        }
      }
      expect(failures).toEqual([]);
    });

    it(`K = ${k}: random balanced tables, sampled N, M`, () => {
      const rnd = prng(k);
      const failures: string[] = [];
      for (let trial = 0; trial < 300; trial++) {
        const n = randInt(rnd, 1, 64);
        const m = randInt(rnd, 1, 64);
        const f = checkStep(randomBalanced(rnd, k, n), n, m);
        if (f) failures.push(f);
      }
      expect(failures).toEqual([]);
    });

    it(`K = ${k}: 100 random rescale steps never drift out of balance and each moves the minimum`, () => {
      const rnd = prng(1000 + k);
      let p = randInt(rnd, 1, 64);
      let table = contiguousTable(k, p);
      for (let step = 0; step < 100; step++) {
        const m = randInt(rnd, 1, 64);
        const next = rescaleTable(table, p, m);
        expect(isBalanced(next, k, m), `step ${step}: ${p}→${m}`).toBe(true);
        expect(countMoves(table, next), `step ${step}: ${p}→${m}`).toBe(expectedMinimum(table, p, m));
        expect(() => checkTable(next, k, m)).not.toThrow();
        table = next;
        p = m;
      }
    });
  }

  it('with weights: still minimal, deterministic, and never moves more weight than without', () => {
    const rnd = prng(42);
    const failures: string[] = [];
    let strictlyLess = 0;
    for (let trial = 0; trial < 400; trial++) {
      const k = trial % 2 ? 128 : 4096;
      const n = randInt(rnd, 1, 64);
      const m = randInt(rnd, 1, 64);
      const prev = trial % 3 ? randomBalanced(rnd, k, n) : contiguousTable(k, n);
      const w = Float64Array.from({ length: k }, () => Math.floor(rnd() * 1000));
      const f = checkStep(prev, n, m, w);
      if (f) failures.push(f);
      const weighted = movedWeight(prev, rescaleTable(prev, n, m, w), w);
      const plain = movedWeight(prev, rescaleTable(prev, n, m), w);
      if (weighted > plain) failures.push(`K=${k} ${n}→${m}: moved weight ${weighted} > ${plain} without weights`);
      if (weighted < plain) strictlyLess++;
    }
    expect(failures).toEqual([]);
    expect(strictlyLess).toBeGreaterThan(0);
  });

  it('with weights: survivors keep their heaviest key groups (crafted cases)', () => {
    // 1 → 2: subtask 0 keeps the heavy upper half, the light lower half moves.
    const w = Float64Array.from({ length: 8 }, (_, kg) => (kg < 4 ? 1 : 10));
    const prev = contiguousTable(8, 1);
    expect(movedWeight(prev, rescaleTable(prev, 1, 2), w)).toBe(40);
    expect(movedWeight(prev, rescaleTable(prev, 1, 2, w), w)).toBe(4);
    expect(Array.from(rescaleTable(prev, 1, 2, w))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);

    // 2 → 3, K = 10: the one larger quota (4) goes to the survivor whose 4th key group weighs most.
    const w2 = Float64Array.from({ length: 10 }, (_, kg) => (kg < 5 ? 1 : 100));
    const prev2 = contiguousTable(10, 2);
    const next2 = rescaleTable(prev2, 2, 3, w2);
    expect(countMoves(prev2, next2)).toBe(3);
    expect(counts(next2, 3)).toEqual([3, 4, 3]);
    expect(movedWeight(prev2, next2, w2)).toBe(102);
    expect(movedWeight(prev2, rescaleTable(prev2, 2, 3), w2)).toBe(201);
  });

  it('with weights: moved weight is the least among all minimal balanced tables (brute force, tiny K)', () => {
    const rnd = prng(99);
    for (let trial = 0; trial < 60; trial++) {
      const k = randInt(rnd, 2, 7);
      const n = randInt(rnd, 1, Math.min(3, k));
      const m = randInt(rnd, 1, Math.min(3, k));
      const prev = randomBalanced(rnd, k, n);
      const w = Float64Array.from({ length: k }, () => randInt(rnd, 0, 9));
      const min = expectedMinimum(prev, n, m);
      let best = Infinity;
      for (const t of allBalanced(k, m)) if (countMoves(prev, t) === min) best = Math.min(best, movedWeight(prev, t, w));
      expect(movedWeight(prev, rescaleTable(prev, n, m, w), w), `K=${k} ${n}→${m}`).toBe(best);
    }
  });

  it('K = 32768 to 1000 subtasks takes well under 100 ms', () => {
    const prev = contiguousTable(32768, 700);
    const w = Float64Array.from({ length: 32768 }, (_, kg) => (kg * 7919) % 1013);
    let best = Infinity;
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now();
      const next = rescaleTable(prev, 700, 1000, w);
      best = Math.min(best, performance.now() - t0);
      expect(countMoves(prev, next)).toBe(expectedMinimum(prev, 700, 1000));
    }
    expect(best).toBeLessThan(100);
  });

  it('rejects bad arguments with a RangeError naming the value', () => {
    const t = contiguousTable(128, 4);
    expect(() => rescaleTable(t, 4, 0)).toThrow(/newParallelism .*got 0/);
    expect(() => rescaleTable(t, 4, 129)).toThrow(/newParallelism .*got 129/);
    expect(() => rescaleTable(t, 0, 2)).toThrow(/oldParallelism .*got 0/);
    expect(() => rescaleTable(t, 3, 2)).toThrow(/key group 96 is 3/);
    expect(() => rescaleTable(new Uint16Array(0), 1, 1)).toThrow(/table length .*got 0/);
    expect(() => rescaleTable(t, 4, 2, [1, 2, 3])).toThrow(/weights has length 3, expected 128/);
    expect(() => rescaleTable(t, 4, 2, new Float64Array(128).fill(Number.NaN))).toThrow(RangeError);
    expect(() => minimumMoves(t, 4, 1.5)).toThrow(RangeError);
  });
});

describe('ranges and checkTable', () => {
  it('rangesOf and expandRanges round-trip, with maximal ranges', () => {
    const rnd = prng(3);
    for (let trial = 0; trial < 50; trial++) {
      const p = randInt(rnd, 1, 40);
      const t = rescaleTable(randomBalanced(rnd, 256, p), p, randInt(rnd, 1, 40));
      const m = Math.max(...t) + 1;
      for (let i = 0; i < m; i++) {
        const ranges = rangesOf(t, i);
        expect(expandRanges(ranges)).toEqual(keyGroupsOf(t, i));
        for (let j = 1; j < ranges.length; j++) expect(ranges[j].start).toBeGreaterThan(ranges[j - 1].end + 1);
      }
    }
  });

  it('expandRanges reads missing fields as 0 and rejects bad or overlapping ranges', () => {
    expect(expandRanges([{ start: 5, end: 6 }, { end: 2 }])).toEqual([0, 1, 2, 5, 6]);
    expect(expandRanges([{ start: null, end: null }])).toEqual([0]);
    expect(expandRanges([])).toEqual([]);
    expect(() => expandRanges([{ start: 4, end: 3 }])).toThrow(/invalid key-group range 4\.\.3/);
    expect(() => expandRanges([{ start: 0, end: 3 }, { start: 3, end: 5 }])).toThrow(/key group 3 appears in more than one range/);
  });

  it('checkTable accepts balanced tables and rejects bad ones with a clear message', () => {
    expect(() => checkTable(contiguousTable(128, 3), 128, 3)).not.toThrow();
    const unbalanced = contiguousTable(128, 3);
    unbalanced[50] = 0;
    expect(() => checkTable(unbalanced, 128, 3)).toThrow(/unbalanced: subtask 0 owns 44 key groups, expected 42 or 43/);
    const outOfRange = contiguousTable(128, 3);
    outOfRange[7] = 3;
    expect(() => checkTable(outOfRange, 128, 3)).toThrow(/key group 7 is 3, not a subtask index in 0\.\.2/);
    expect(() => checkTable(new Uint16Array(64), 128, 1)).toThrow(/length 64, expected 128/);
    expect(() => checkTable(new Uint16Array(128), 128, 0)).toThrow(/parallelism .*got 0/);
  });
});
