/**
 * Key-group maths. Every key maps to one of K key groups (K = max parallelism,
 * fixed for a job's life); key groups are the unit in which keyed state is
 * stored, checkpointed and moved between subtasks.
 *
 * Hash: murmur3 x86 32-bit, seed 0, over the UTF-8 bytes of the key's canonical
 * string (see `canonicalKey`), then `% K`. The contiguous assignment follows
 * Flink's KeyGroupRangeAssignment so that its maths and tests carry over.
 */
import murmur from 'murmurhash3js-revisited';

/** Smallest allowed default max parallelism (Flink: 128). */
export const DEFAULT_LOWER_BOUND_MAX_PARALLELISM = 128;
/** Largest allowed max parallelism (Flink: 32768). */
export const UPPER_BOUND_MAX_PARALLELISM = 32768;

const encoder = new TextEncoder();
/** Reused for encoding keys: hashing is on the hot path, so no allocation per key when it fits. */
let scratch = new Uint8Array(256);

/** A key as the SDK's key selectors return it. */
export type Key = string | number | bigint | boolean;

/** Canonical string of a key: type-tagged so that 1 and "1" differ. */
export function canonicalKey(key: Key): string {
  switch (typeof key) {
    case 'string': return key;
    case 'number': return `#n:${Object.is(key, -0) ? 0 : key}`;
    case 'bigint': return `#b:${key}`;
    case 'boolean': return `#t:${key}`;
    default: throw new TypeError(`unsupported key type ${typeof key}: key selectors must return a string, number, bigint or boolean`);
  }
}

/** murmur3_32(seed 0) of the key's canonical UTF-8 bytes, as an unsigned 32-bit integer. */
export function keyHash(key: Key): number {
  const s = canonicalKey(key);
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  if (s.length * 3 > scratch.length) scratch = new Uint8Array(Math.max(s.length * 3, scratch.length * 2));
  const { written } = encoder.encodeInto(s, scratch);
  return murmur.x86.hash32(scratch.subarray(0, written), 0) >>> 0;
}

export function assignToKeyGroup(key: Key, maxParallelism: number): number {
  return keyHash(key) % maxParallelism;
}

/** Subtask index owning key group `kg` (Flink: kg * p / maxP). */
export function operatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

export interface KeyGroupRange { start: number; end: number } // inclusive both ends

/** The contiguous key-group range of subtask `index` (Flink's computeKeyGroupRangeForOperatorIndex). */
export function keyGroupRangeForSubtask(maxParallelism: number, parallelism: number, index: number): KeyGroupRange {
  return {
    start: Math.floor((index * maxParallelism + parallelism - 1) / parallelism),
    end: Math.floor(((index + 1) * maxParallelism - 1) / parallelism),
  };
}

function roundUpToPowerOfTwo(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** Flink's default: min(max(roundUpPow2(p + p/2), 128), 32768). */
export function defaultMaxParallelism(parallelism: number): number {
  return Math.min(Math.max(roundUpToPowerOfTwo(parallelism + Math.floor(parallelism / 2)), DEFAULT_LOWER_BOUND_MAX_PARALLELISM), UPPER_BOUND_MAX_PARALLELISM);
}

export function checkParallelism(parallelism: number, maxParallelism: number): void {
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new RangeError(`parallelism must be a positive integer, got ${parallelism}`);
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > UPPER_BOUND_MAX_PARALLELISM) {
    throw new RangeError(`maxParallelism must be an integer in 1..${UPPER_BOUND_MAX_PARALLELISM}, got ${maxParallelism}`);
  }
  if (parallelism > maxParallelism) throw new RangeError(`parallelism ${parallelism} exceeds maxParallelism ${maxParallelism}`);
}
