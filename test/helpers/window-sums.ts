/** Reading `{k, start, sum}` lines of a windowed-sum job's file sink, each window once. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** `k|start` → sum, failing on a window written twice. */
export function readWindowSums(file: string): Map<string, number> {
  const got = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const r = JSON.parse(line) as { k: string; start: number; sum: number };
    expect(got.has(`${r.k}|${r.start}`), `window ${r.k}|${r.start} written twice`).toBe(false);
    got.set(`${r.k}|${r.start}`, r.sum);
  }
  return got;
}
