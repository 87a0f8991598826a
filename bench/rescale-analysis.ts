/**
 * What the rescaling benchmark computes from what it recorded: which key groups changed owner and
 * how many bytes that had to move at least (from checkpoint metadata, independently of the product's
 * statistics), and output gaps and latencies from the alerts' arrival times.
 */
import { readMetadata, type MetadataPlain, type VertexStatePlain } from '../runtime/checkpoint/snapshot-io.js';
import { expandRanges } from '../state/key-group-assignment.js';
import { assignToKeyGroup } from '../state/key-groups.js';
import { percentile } from './latency.js';
import type { Arrival } from './rescale-load.js';

export interface KeyGroupPicture {
  checkpointDir: string;
  checkpointId: number;
  maxParallelism: number;
  /** Owner per key group when the checkpoint's subtasks snapshotted (the running configuration). */
  before: number[];
  /** Owner per key group a restore from it resumes at (for a rescale checkpoint: the new one). */
  after: number[];
  parallelismBefore: number;
  /** Keyed state bytes per key group in the checkpoint. */
  sizes: number[];
  totalBytes: number;
}

/** The keyed vertex of a checkpoint: the one with a key-group table and keyed state. */
function keyedVertex(meta: MetadataPlain): VertexStatePlain {
  const v = meta.vertices.find((x) => x.keyGroupOwners.length === meta.maxParallelism && x.subtasks.some((s) => s.keyGroupIndex.length > 0));
  if (!v) throw new Error(`checkpoint ${meta.checkpointId} has no keyed vertex with state`);
  return v;
}

/** Reads `<dir>/_metadata`: key-group owners before and after, and bytes per key group. */
export async function keyGroupPicture(dir: string): Promise<KeyGroupPicture> {
  const meta = await readMetadata(dir);
  const v = keyedVertex(meta);
  const K = meta.maxParallelism;
  const before = new Array<number>(K).fill(-1);
  const sizes = new Array<number>(K).fill(0);
  for (const s of v.subtasks) {
    for (const kg of expandRanges(s.keyGroups)) before[kg] = s.subtaskIndex;
    for (const e of s.keyGroupIndex) sizes[e.keyGroup] = (sizes[e.keyGroup] ?? 0) + e.length;
  }
  if (before.some((o) => o < 0)) throw new Error(`checkpoint ${meta.checkpointId}: some key group has no subtask that snapshotted it`);
  return {
    checkpointDir: dir, checkpointId: meta.checkpointId, maxParallelism: K, before, after: [...v.keyGroupOwners],
    parallelismBefore: v.subtasks.length, sizes, totalBytes: sizes.reduce((a, b) => a + b, 0),
  };
}

/**
 * The least a change from `before` (p0 subtasks) to p1 balanced subtasks (each ⌊K/p1⌋ or ⌈K/p1⌉ key
 * groups) must move: survivors (index < p1) keep up to their quota of what they hold, the rest moves.
 * Counted in key groups, and in bytes when each survivor keeps its heaviest key groups and the ⌈K/p1⌉
 * quotas go where they keep the most. Computed here independently of state/key-group-assignment.ts.
 */
export function minimumMove(before: number[], p1: number, sizes: number[]): { keyGroups: number; bytes: number } {
  const K = before.length;
  const base = Math.floor(K / p1);
  const extra = K % p1;
  const held = new Map<number, number[]>();
  for (let kg = 0; kg < K; kg++) if (before[kg]! < p1) (held.get(before[kg]!) ?? held.set(before[kg]!, []).get(before[kg]!)!).push(sizes[kg] ?? 0);
  let keptCount = 0;
  let keptBytes = 0;
  const countGains: number[] = [];
  const byteGains: number[] = [];
  for (const list of held.values()) {
    list.sort((a, b) => b - a);
    keptCount += Math.min(list.length, base);
    for (let i = 0; i < Math.min(list.length, base); i++) keptBytes += list[i]!;
    if (list.length > base) { countGains.push(1); byteGains.push(list[base]!); }
  }
  keptCount += Math.min(extra, countGains.length);
  byteGains.sort((a, b) => b - a);
  for (let i = 0; i < Math.min(extra, byteGains.length); i++) keptBytes += byteGains[i]!;
  const total = sizes.reduce((a, b) => a + b, 0);
  return { keyGroups: K - keptCount, bytes: total - keptBytes };
}

/** Key groups whose owner differs between two tables. */
export function movedKeyGroups(before: number[], after: number[]): Set<number> {
  const out = new Set<number>();
  for (let kg = 0; kg < before.length; kg++) if (before[kg] !== after[kg]) out.add(kg);
  return out;
}

/** Key group of an alert's key (the job keys by from + NUL + to). */
export function alertKeyGroup(a: { from: string; to: string }, maxParallelism: number): number {
  return assignToKeyGroup(`${a.from}\u0000${a.to}`, maxParallelism);
}

export interface Gap { ms: number; from: number; to: number }

/**
 * Longest time without an arrival in [from, to]: between consecutive arrivals inside it, from the last
 * one before it (or `from`) to the first inside, and from the last inside to `to`.
 */
export function longestGap(times: number[], from: number, to: number): Gap {
  let prev: number | undefined;
  let i = 0;
  for (; i < times.length && times[i]! < from; i++) prev = times[i];
  prev ??= from;
  let best: Gap = { ms: 0, from: prev, to: prev };
  for (; i < times.length && times[i]! <= to; i++) {
    const t = times[i]!;
    if (t - prev > best.ms) best = { ms: t - prev, from: prev, to: t };
    prev = t;
  }
  if (to - prev > best.ms) best = { ms: to - prev, from: prev, to };
  return best;
}

export interface ArrivalStats { alerts: number; gap: Gap; p50: number; p99: number; max: number }

/** Gap and latency (read time − (window end + max out-of-orderness)) of the arrivals in [from, to]. */
export function arrivalStats(arrivals: Arrival[], from: number, to: number, ooo: number, keep: (a: Arrival) => boolean = () => true): ArrivalStats {
  const chosen = arrivals.filter(keep);
  const times = chosen.map((a) => a.t);
  const inside = chosen.filter((a) => a.t >= from && a.t <= to);
  const lat = inside.map((a) => a.t - (a.alert.windowEnd + ooo)).sort((a, b) => a - b);
  return { alerts: inside.length, gap: longestGap(times, from, to), p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), max: lat[lat.length - 1] ?? NaN };
}

/** Duplicate alerts (same from, to and window) among the arrivals. */
export function duplicates(arrivals: Arrival[]): number {
  const seen = new Set<string>();
  let n = 0;
  for (const { alert: a } of arrivals) {
    const k = `${a.from}\u0000${a.to}\u0000${a.windowStart}`;
    if (seen.has(k)) n++; else seen.add(k);
  }
  return n;
}
