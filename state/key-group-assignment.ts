/**
 * Key-group ownership as data: a table `kg → subtask index` of length K, and a
 * planner that computes the next table when a job rescales from N to M subtasks.
 *
 * Why a table: Flink's contiguous formula (`keyGroupRangeForSubtask`) reshuffles
 * almost everything on rescale because every range boundary shifts. K = 128,
 * 2 → 3 subtasks: the contiguous ranges move 63 key groups, while a balanced
 * result needs to move only 42, the new subtask's share (≈ K·|M−N|/max(M,N)).
 * Moving key groups means moving state, so the planner keeps as many in place
 * as balance allows, and the table travels in deployment descriptors and
 * checkpoint metadata.
 *
 * Algorithm (consistent hashing with bounded loads, solved greedily, which is
 * optimal here):
 *  1. Quotas: K mod M subtasks get ⌈K/M⌉ key groups, the rest ⌊K/M⌋. The large
 *     quotas go to the subtasks holding the most (new subtasks hold nothing;
 *     ties: lower index). With weights, among the survivors that could use a
 *     large quota, the one whose extra kept key group weighs most goes first.
 *  2. Survivors keep min(held, quota) of their key groups — the heaviest with
 *     weights, otherwise the lowest-numbered — and release the rest.
 *  3. Removed subtasks release everything.
 *  4. Released key groups, in ascending order, fill the subtasks below quota in
 *     index order, so each receiver gets runs of neighbouring key groups.
 *
 * Each survivor keeping min(held, quota) is the most it can keep, and a large
 * quota only helps a survivor holding more than ⌊K/M⌋, so giving the large
 * quotas to the biggest holders makes moved = K − Σ min(held, quota) minimal.
 * Everything is sorting and counting over typed arrays: O(K log K).
 */
import { UPPER_BOUND_MAX_PARALLELISM, keyGroupRangeForSubtask, type KeyGroupRange } from './key-groups.js';

/** kg → owning subtask index, length K. Uint16Array is enough: parallelism ≤ 32768. */
export type KeyGroupTable = Uint16Array;

function checkMaxParallelism(k: number, what: string): void {
  if (!Number.isInteger(k) || k < 1 || k > UPPER_BOUND_MAX_PARALLELISM) {
    throw new RangeError(`${what} must be an integer in 1..${UPPER_BOUND_MAX_PARALLELISM}, got ${k}`);
  }
}

function checkP(p: number, k: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > k) {
    throw new RangeError(`${what} must be an integer in 1..${k} (max parallelism), got ${p}`);
  }
}

/** Validates a previous table against its parallelism; returns key groups held per subtask. */
function heldCounts(prev: ArrayLike<number>, oldParallelism: number, newParallelism: number): Int32Array {
  const k = prev.length;
  checkMaxParallelism(k, 'table length (max parallelism)');
  checkP(oldParallelism, k, 'oldParallelism');
  checkP(newParallelism, k, 'newParallelism');
  const held = new Int32Array(oldParallelism);
  for (let kg = 0; kg < k; kg++) {
    const s = prev[kg];
    if (!Number.isInteger(s) || s < 0 || s >= oldParallelism) {
      throw new RangeError(`table entry for key group ${kg} is ${s}, not a subtask index in 0..${oldParallelism - 1}`);
    }
    held[s]++;
  }
  return held;
}

/**
 * Quota per new subtask. `bonus[i]` (survivors holding more than ⌊K/M⌋ only)
 * is what keeping one more key group is worth; it ranks those survivors first.
 */
function quotas(k: number, m: number, held: Int32Array, bonus?: Float64Array): Int32Array {
  const base = Math.floor(k / m);
  const extra = k % m;
  const order = Array.from({ length: m }, (_, i) => i);
  const h = (i: number) => (i < held.length ? held[i] : 0);
  order.sort((a, b) => {
    const ca = h(a) > base ? 1 : 0;
    const cb = h(b) > base ? 1 : 0;
    if (ca !== cb) return cb - ca;
    if (bonus && ca === 1 && bonus[a] !== bonus[b]) return bonus[b] - bonus[a];
    return h(b) - h(a) || a - b;
  });
  const q = new Int32Array(m).fill(base);
  for (let j = 0; j < extra; j++) q[order[j]]++;
  return q;
}

function checkWeights(weights: ArrayLike<number>, k: number): void {
  if (weights.length !== k) throw new RangeError(`weights has length ${weights.length}, expected ${k} (one per key group)`);
  for (let kg = 0; kg < k; kg++) {
    const w = weights[kg];
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`weight of key group ${kg} is ${w}, expected a finite number ≥ 0`);
  }
}

/** Flink's contiguous ranges (the table a job starts with): identical to keyGroupRangeForSubtask for every subtask. */
export function contiguousTable(maxParallelism: number, parallelism: number): KeyGroupTable {
  checkMaxParallelism(maxParallelism, 'maxParallelism');
  checkP(parallelism, maxParallelism, 'parallelism');
  const table = new Uint16Array(maxParallelism);
  for (let i = 0; i < parallelism; i++) {
    const { start, end } = keyGroupRangeForSubtask(maxParallelism, parallelism, i);
    table.fill(i, start, end + 1);
  }
  return table;
}

/**
 * The table after changing from `oldParallelism` to `newParallelism` subtasks.
 * Subtasks 0..min(N,M)-1 survive; on scale-down subtasks M..N-1 are removed; on scale-up subtasks N..M-1 are new (hold nothing).
 * `weights` (optional, length K, e.g. bytes of state per key group): among equally minimal plans, survivors keep their heaviest key groups so the lightest ones move.
 * `prev` need not be balanced; the result always is, and moves exactly `minimumMoves(prev, N, M)` key groups.
 */
export function rescaleTable(prev: ArrayLike<number>, oldParallelism: number, newParallelism: number, weights?: ArrayLike<number>): KeyGroupTable {
  const held = heldCounts(prev, oldParallelism, newParallelism);
  const k = prev.length;
  const m = newParallelism;
  const survivors = Math.min(oldParallelism, m);
  if (weights) checkWeights(weights, k);

  // Key groups of each survivor, in keep order: weight descending, then ascending kg.
  const start = new Int32Array(survivors + 1);
  for (let i = 0; i < survivors; i++) start[i + 1] = start[i] + held[i];
  const owned = new Int32Array(start[survivors]);
  const fill = start.slice(0, survivors);
  for (let kg = 0; kg < k; kg++) {
    const s = prev[kg];
    if (s < survivors) owned[fill[s]++] = kg;
  }
  let bonus: Float64Array | undefined;
  if (weights) {
    const base = Math.floor(k / m);
    bonus = new Float64Array(m);
    for (let i = 0; i < survivors; i++) {
      const mine = owned.subarray(start[i], start[i + 1]);
      mine.sort((a, b) => weights[b] - weights[a] || a - b);
      if (mine.length > base) bonus[i] = weights[mine[base]];
    }
  }
  const quota = quotas(k, m, held, bonus);

  const next = new Uint16Array(k);
  const released = new Uint8Array(k).fill(1);
  for (let i = 0; i < survivors; i++) {
    const keep = Math.min(held[i], quota[i]);
    for (let j = start[i]; j < start[i] + keep; j++) {
      next[owned[j]] = i;
      released[owned[j]] = 0;
    }
  }
  const deficit = new Int32Array(m);
  for (let i = 0; i < m; i++) deficit[i] = quota[i] - (i < survivors ? Math.min(held[i], quota[i]) : 0);
  let receiver = 0;
  for (let kg = 0; kg < k; kg++) {
    if (!released[kg]) continue;
    while (deficit[receiver] === 0) receiver++;
    next[kg] = receiver;
    deficit[receiver]--;
  }
  return next;
}

/** The least number of key groups that must change owner for a balanced result (see the header comment). */
export function minimumMoves(prev: ArrayLike<number>, oldParallelism: number, newParallelism: number): number {
  const held = heldCounts(prev, oldParallelism, newParallelism);
  const quota = quotas(prev.length, newParallelism, held);
  let kept = 0;
  for (let i = 0; i < Math.min(oldParallelism, newParallelism); i++) kept += Math.min(held[i], quota[i]);
  return prev.length - kept;
}

/** Number of key groups whose owner differs between two tables of the same length. */
export function countMoves(prev: ArrayLike<number>, next: ArrayLike<number>): number {
  if (prev.length !== next.length) throw new RangeError(`tables differ in length: ${prev.length} vs ${next.length}`);
  let moves = 0;
  for (let kg = 0; kg < prev.length; kg++) if (prev[kg] !== next[kg]) moves++;
  return moves;
}

/** Sorted key groups owned by `subtask`. */
export function keyGroupsOf(table: ArrayLike<number>, subtask: number): number[] {
  const out: number[] = [];
  for (let kg = 0; kg < table.length; kg++) if (table[kg] === subtask) out.push(kg);
  return out;
}

/** Compact inclusive ranges [{start,end}] of the key groups owned by `subtask`, ascending. */
export function rangesOf(table: ArrayLike<number>, subtask: number): KeyGroupRange[] {
  return compressToRanges(keyGroupsOf(table, subtask));
}

/** Maximal inclusive ranges covering a sorted list of distinct key groups. */
export function compressToRanges(sorted: readonly number[]): KeyGroupRange[] {
  const out: KeyGroupRange[] = [];
  for (const kg of sorted) {
    const last = out[out.length - 1];
    if (last && last.end === kg - 1) last.end = kg;
    else out.push({ start: kg, end: kg });
  }
  return out;
}

/**
 * Inverse of rangesOf: expands ranges to a sorted list of key groups. A missing
 * start or end reads as 0 (protobuf's default). Overlapping ranges are an error.
 */
export function expandRanges(ranges: Array<{ start?: number | null; end?: number | null }>): number[] {
  const out: number[] = [];
  for (const r of ranges) {
    const start = r.start ?? 0;
    const end = r.end ?? 0;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
      throw new RangeError(`invalid key-group range ${start}..${end}`);
    }
    for (let kg = start; kg <= end; kg++) out.push(kg);
  }
  out.sort((a, b) => a - b);
  for (let j = 1; j < out.length; j++) {
    if (out[j] === out[j - 1]) throw new RangeError(`key group ${out[j]} appears in more than one range`);
  }
  return out;
}

/** Throws a clear RangeError unless `table` has length K, every entry < parallelism, and every subtask owns ⌊K/p⌋ or ⌈K/p⌉ key groups. */
export function checkTable(table: ArrayLike<number>, maxParallelism: number, parallelism: number): void {
  checkMaxParallelism(maxParallelism, 'maxParallelism');
  checkP(parallelism, maxParallelism, 'parallelism');
  if (table.length !== maxParallelism) {
    throw new RangeError(`key-group table has length ${table.length}, expected ${maxParallelism} (max parallelism)`);
  }
  const held = heldCounts(table, parallelism, parallelism);
  const lo = Math.floor(maxParallelism / parallelism);
  const hi = Math.ceil(maxParallelism / parallelism);
  for (let i = 0; i < parallelism; i++) {
    if (held[i] < lo || held[i] > hi) {
      throw new RangeError(`key-group table is unbalanced: subtask ${i} owns ${held[i]} key groups, expected ${lo === hi ? lo : `${lo} or ${hi}`} (K = ${maxParallelism}, parallelism = ${parallelism})`);
    }
  }
}
