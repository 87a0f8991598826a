/**
 * Fluid rescaling (Megaphone, Hoffmann et al., VLDB 2019): the key groups a rescale moves are split
 * into batches of at most `rescale.migration.max-batch-bytes` of state (by the sizes of the latest
 * checkpoint), each moved at its own checkpoint barrier. A gainer holds back only the batch in
 * flight, so the longest hold is bounded by the batch, not by the total state; everything else
 * keeps running and firing.
 *
 * The batches are a sequence of job scales (intermediate key-group tables), each one an ordinary
 * in-place rescale step from the one before (rescale-coordinator.ts), so each key group has exactly
 * one owner at any time and its routing switches at the barrier that moves it:
 *
 * - A vertex that scales up takes its new parallelism at the first step, and each added subtask
 *   gets one key group (its lightest) in that step, so no subtask ever owns nothing (an empty
 *   key-group list means "not keyed" on the wire); the rest of its share comes in later batches.
 * - A keyed vertex that scales down keeps its old parallelism while earlier batches drain the
 *   retiring subtasks; then the retiring subtasks go one step each, highest index first: a step
 *   moves one retiring subtask's last key group (its lightest; of every keyed vertex) and lowers the
 *   parallelism by one. (Retiring them all at the last step made that step move one key group per
 *   retiring subtask, past the batch limit: 3 key groups into the survivor of a 4 → 1.)
 * - Non-keyed vertices change at the first step (up) or the last (down).
 *
 * Moves are interleaved by gainer (each batch spreads over the gainers, which load in parallel) and
 * a batch takes moves while they fit; a key group heavier than the limit goes alone. The last step
 * is exactly the planned final scale.
 */
import type { JobGraph } from '../runtime/job-graph.js';
import type { JobScale } from './job-scale.js';

export interface MoveBatch {
  /** The scale the job runs at once this batch has moved. */
  scale: JobScale;
  /** Key groups this batch moves (over all vertices), and their state at the latest checkpoint. */
  keyGroups: number;
  bytes: number;
}

interface Move { vertexId: string; kg: number; from: number; to: number; bytes: number }

/**
 * The steps from `before` to `final` (whose tables `planScale` computed), each moving at most
 * `maxBatchBytes` of state by `sizes` (vertex → bytes per key group). One step (everything at once)
 * when `maxBatchBytes` is 0, when no sizes are known, or when everything fits in one batch.
 */
export function planBatches(
  graph: JobGraph, before: JobScale, final: JobScale, sizes: Map<string, ArrayLike<number>> | undefined, maxBatchBytes: number,
): MoveBatch[] {
  const moves: Move[] = [];
  for (const v of graph.vertices) {
    const b = before.get(v.id)!.owners, f = final.get(v.id)!.owners;
    if (!b || !f) continue;
    const w = sizes?.get(v.id);
    for (let kg = 0; kg < f.length; kg++) if (b[kg] !== f[kg]) moves.push({ vertexId: v.id, kg, from: b[kg]!, to: f[kg]!, bytes: w?.[kg] ?? 0 });
  }
  const total = moves.reduce((s, m) => s + m.bytes, 0);
  const one = (): MoveBatch[] => [{ scale: final, keyGroups: moves.length, bytes: total }];
  if (maxBatchBytes <= 0 || !sizes || sizes.size === 0 || total <= maxBatchBytes) return one();

  const up = (id: string) => final.get(id)!.parallelism > before.get(id)!.parallelism;
  const down = (id: string) => final.get(id)!.parallelism < before.get(id)!.parallelism;
  const lightest = (ms: Move[]) => ms.reduce((a, m) => (m.bytes < a.bytes || (m.bytes === a.bytes && m.kg < a.kg) ? m : a));
  const front: Move[] = [], back: Move[] = [];
  for (const v of graph.vertices) {
    const p0 = before.get(v.id)!.parallelism, p1 = final.get(v.id)!.parallelism;
    const mine = moves.filter((m) => m.vertexId === v.id);
    for (let i = p0; i < p1; i++) { const to = mine.filter((m) => m.to === i); if (to.length) front.push(lightest(to)); }
    for (let i = p1; i < p0; i++) { const from = mine.filter((m) => m.from === i); if (from.length) back.push(lightest(from)); }
  }
  // Highest retiring index first, so that each step can lower the parallelism by one.
  back.sort((a, b) => b.from - a.from || (a.vertexId < b.vertexId ? -1 : a.vertexId > b.vertexId ? 1 : 0));
  const anchors = new Set([...front, ...back]);
  // The others interleaved by gainer: the k-th move of every gainer before the (k+1)-th of any.
  const rank = new Map<string, number>();
  const middle = moves.filter((m) => !anchors.has(m)).map((m) => {
    const g = `${m.vertexId}/${m.to}`;
    const r = rank.get(g) ?? 0;
    rank.set(g, r + 1);
    return { m, r };
  }).sort((a, b) => a.r - b.r || (a.m.vertexId < b.m.vertexId ? -1 : a.m.vertexId > b.m.vertexId ? 1 : 0) || a.m.to - b.m.to || a.m.kg - b.m.kg).map((x) => x.m);
  const seq = [...front, ...middle, ...back];

  // Greedy cut; never inside the front anchors (they share the first step). Each retiring subtask's
  // last key groups (the back anchors of one index) are a step of their own.
  const cuts: Move[][] = [];
  let cur: Move[] = [];
  let bytes = 0;
  const backStart = seq.length - back.length;
  seq.forEach((m, i) => {
    const mayCut = i >= front.length;
    const retireStep = i >= backStart && (i === backStart || seq[i - 1]!.from !== m.from);
    if (cur.length && mayCut && (retireStep || bytes + m.bytes > maxBatchBytes)) { cuts.push(cur); cur = []; bytes = 0; }
    cur.push(m);
    bytes += m.bytes;
  });
  if (cur.length) cuts.push(cur);
  if (cuts.length <= 1) return one();

  const out: MoveBatch[] = [];
  const owners = new Map<string, Uint16Array>();
  for (const [id, v] of before) if (v.owners) owners.set(id, Uint16Array.from(v.owners));
  cuts.forEach((batch, k) => {
    const last = k === cuts.length - 1;
    for (const m of batch) owners.get(m.vertexId)![m.kg] = m.to;
    const scale: JobScale = last ? final : new Map();
    if (!last) for (const [id, v] of final) {
      const o = owners.get(id);
      // A keyed vertex that scales down runs at 1 + the highest subtask that still owns a key group.
      const p = up(id) ? v.parallelism : down(id) ? (o ? Math.max(v.parallelism, Math.max(...o) + 1) : before.get(id)!.parallelism) : v.parallelism;
      scale.set(id, { parallelism: p, owners: o ? Uint16Array.from(o) : undefined });
    }
    out.push({ scale, keyGroups: batch.length, bytes: batch.reduce((s, m) => s + m.bytes, 0) });
  });
  return out;
}
