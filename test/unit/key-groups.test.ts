/**
 * Key-group maths against golden vectors: murmur3 x86_32 (seed 0) reference
 * values, Flink's MathUtils.murmurHash(int) vectors, and Flink's range and
 * default max-parallelism formulas (Flink's KeyGroupRangeAssignment, as written out in
 * state/key-groups.ts and docs/architecture.md).
 */
import murmur from 'murmurhash3js-revisited';
import { describe, expect, it } from 'vitest';
import {
  assignToKeyGroup, canonicalKey, defaultMaxParallelism, keyGroupRangeForSubtask, keyHash, operatorIndexForKeyGroup,
} from '../../state/key-groups.js';

const le = (n: number) => new Uint8Array(new Int32Array([n]).buffer);
/** Flink's murmurHash(int): murmur3_32 of the int's 4 little-endian bytes, then abs (MIN_VALUE → 0). */
const flinkMurmur = (n: number) => { const h = murmur.x86.hash32(le(n), 0) | 0; return h === -2147483648 ? 0 : Math.abs(h); };

describe('murmur3', () => {
  it('matches the reference implementation on known strings', () => {
    expect(keyHash('')).toBe(0);
    expect(keyHash('hello')).toBe(613153351);
    expect(keyHash('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it("matches Flink's MathUtils.murmurHash(int) vectors", () => {
    expect([0, 1, 2, 42, -1].map(flinkMurmur)).toEqual([593689054, 68075478, 1085422463, 1134849565, 1982413648]);
    expect([0, 1, 2, 42, -1].map((n) => flinkMurmur(n) % 128)).toEqual([94, 86, 127, 29, 80]);
  });

  it('hashes long and non-ASCII keys by their UTF-8 bytes', () => {
    const long = 'ä€𝄞'.repeat(500);
    expect(keyHash(long)).toBe(murmur.x86.hash32(new TextEncoder().encode(long), 0) >>> 0);
    expect(keyHash('ä')).toBe(murmur.x86.hash32(new Uint8Array([0xc3, 0xa4]), 0) >>> 0);
  });

  it('matches the murmurhash3js-revisited package for keys of every length up to 40, ASCII and not, before and after a longer key', () => {
    let seed = 7;
    const rnd = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    const alphabets = ['abcdefghij-0123456789\u0000', 'aä€b𝄞\u007f\u0080'];
    const utf8 = new TextEncoder();
    for (const round of [0, 1]) {
      if (round === 1) expect(keyHash('x'.repeat(5000))).toBe(murmur.x86.hash32(utf8.encode('x'.repeat(5000)), 0) >>> 0);
      for (const alphabet of alphabets) {
        for (let len = 0; len <= 40; len++) {
          let s = '';
          for (let i = 0; i < len; i++) s += alphabet[rnd(alphabet.length)];
          expect(keyHash(s)).toBe(murmur.x86.hash32(utf8.encode(s), 0) >>> 0);
        }
      }
    }
    expect(keyHash(42)).toBe(murmur.x86.hash32(utf8.encode('#n:42'), 0) >>> 0);
  });

  it('keeps keys of different types apart', () => {
    expect(canonicalKey(1)).not.toBe(canonicalKey('1'));
    expect(canonicalKey(-0)).toBe(canonicalKey(0));
    expect(canonicalKey(10n)).toBe('#b:10');
  });
});

describe('key groups', () => {
  it("assigns contiguous ranges like Flink's computeKeyGroupRangeForOperatorIndex", () => {
    expect([0, 1, 2].map((i) => keyGroupRangeForSubtask(128, 3, i))).toEqual([{ start: 0, end: 42 }, { start: 43, end: 85 }, { start: 86, end: 127 }]);
    expect([0, 1, 2, 3, 4].map((i) => keyGroupRangeForSubtask(128, 5, i))).toEqual([
      { start: 0, end: 25 }, { start: 26, end: 51 }, { start: 52, end: 76 }, { start: 77, end: 102 }, { start: 103, end: 127 },
    ]);
  });

  it('routes every key group to the subtask whose range holds it', () => {
    for (const p of [1, 2, 3, 5, 7, 128]) {
      for (let kg = 0; kg < 128; kg++) {
        const i = operatorIndexForKeyGroup(128, p, kg);
        const r = keyGroupRangeForSubtask(128, p, i);
        expect(kg >= r.start && kg <= r.end).toBe(true);
      }
    }
  });

  it('computes the default max parallelism', () => {
    expect([1, 85, 86, 100, 170, 171, 172, 1000, 21845, 30000].map(defaultMaxParallelism)).toEqual([128, 128, 256, 256, 256, 256, 512, 2048, 32768, 32768]);
  });

  it('puts keys in the range 0..K-1, stably', () => {
    for (const k of ['a', 'acct-1\u0000acct-2', 7, true]) {
      const kg = assignToKeyGroup(k, 128);
      expect(kg).toBeGreaterThanOrEqual(0);
      expect(kg).toBeLessThan(128);
      expect(assignToKeyGroup(k, 128)).toBe(kg);
    }
  });
});
