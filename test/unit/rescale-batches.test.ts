/**
 * Fluid rescaling's plan (jobmaster/rescale-batches.ts): the key groups a rescale moves, split into
 * batches of bounded state, as a sequence of scales where each key group changes owner exactly once,
 * no subtask ever owns nothing, a scale-up takes its parallelism at the first batch and a scale-down
 * at the last, and the last scale is exactly the planned one.
 */
import { describe, expect, it } from 'vitest';
import { planBatches } from '../../jobmaster/rescale-batches.js';
import { planScale, vertexLimits, type JobScale } from '../../jobmaster/job-scale.js';
import { GraphBuilder } from '../../runtime/graph-builder.js';
import { buildJobGraph } from '../../runtime/job-graph.js';
import type { JobPlan } from '../../runtime/plan.js';
import { countMoves } from '../../state/key-group-assignment.js';

const K = 128;

function plan(parallelism: number): JobPlan {
  const env = new GraphBuilder(parallelism);
  env.fromRedisStreams({ url: 'redis://127.0.0.1:1', streams: ['a', 'b', 'c', 'd'] })
    .keyBy((e) => String(e)).window(env.windows.tumbling(1000)).reduce((a) => a)
    .sinkTo(env.fileSink('/dev/null'));
  return { graph: buildJobGraph(env.transformations, { name: 'batches', parallelism, maxParallelism: K }), transformations: env.transformations };
}

function setup(from: number, to: number, bytes: (kg: number) => number) {
  const p = plan(from);
  const limits = vertexLimits(p);
  const [src, win] = p.graph.vertices.map((v) => v.id) as [string, string];
  const before = planScale(p.graph, limits, new Map([[src, from], [win, from]]));
  const sizes = new Map([[win, Float64Array.from({ length: K }, (_, kg) => bytes(kg))]]);
  const final = planScale(p.graph, limits, new Map([[src, to], [win, to]]), before, sizes);
  return { p, src, win, before, final, sizes };
}

/** Each step moves only its batch from the step before, every subtask owns something, and the last step is `final`. */
function checkSteps(win: string, before: JobScale, final: JobScale, steps: Array<{ scale: JobScale; keyGroups: number; bytes: number }>, sizes: Float64Array) {
  let prev = before.get(win)!.owners!;
  const movedOnce = new Set<number>();
  for (const s of steps) {
    const v = s.scale.get(win)!;
    let bytes = 0;
    for (let kg = 0; kg < K; kg++) {
      if (v.owners![kg] === prev[kg]) continue;
      expect(v.owners![kg], `key group ${kg} goes straight to its final owner`).toBe(final.get(win)!.owners![kg]);
      expect(movedOnce.has(kg), `key group ${kg} moves once`).toBe(false);
      movedOnce.add(kg);
      bytes += sizes[kg]!;
    }
    expect(countMoves(prev, v.owners!)).toBe(s.keyGroups);
    expect(bytes).toBe(s.bytes);
    for (let i = 0; i < v.parallelism; i++) expect(v.owners!.includes(i), `subtask ${i} owns a key group`).toBe(true);
    for (let kg = 0; kg < K; kg++) expect(v.owners![kg]).toBeLessThan(v.parallelism);
    prev = v.owners!;
  }
  expect(steps.at(-1)!.scale).toBe(final);
  expect(movedOnce.size).toBe(countMoves(before.get(win)!.owners!, final.get(win)!.owners!));
}

describe('rescale batches', () => {
  it('scale-up 2 → 3: the new parallelism at the first batch, the moved state in batches of at most the limit', () => {
    const { src, win, before, final, sizes, p } = setup(2, 3, () => 1000);
    const steps = planBatches(p.graph, before, final, sizes, 10_000);
    expect(steps.length).toBe(Math.ceil(42 / 10));
    for (const s of steps) {
      expect(s.bytes).toBeLessThanOrEqual(10_000);
      expect(s.scale.get(win)!.parallelism).toBe(3);
      expect(s.scale.get(src)!.parallelism).toBe(3);
    }
    checkSteps(win, before, final, steps, sizes.get(win)!);
  });

  it('scale-down 3 → 1: the retiring subtasks are drained batch by batch, then removed one step each', () => {
    const { src, win, before, final, sizes, p } = setup(3, 1, (kg) => 500 + (kg % 7) * 100);
    const steps = planBatches(p.graph, before, final, sizes, 8000);
    expect(steps.length).toBeGreaterThan(5);
    // Subtask 2 goes at the step before the last (moving its last key group alone), subtask 1 at the last.
    for (const s of steps.slice(0, -2)) expect(s.scale.get(win)!.parallelism).toBe(3);
    expect(steps.at(-2)!.scale.get(win)!.parallelism).toBe(2);
    expect(steps.at(-2)!.keyGroups).toBe(1);
    expect(steps.at(-1)!.scale.get(win)!.parallelism).toBe(1);
    expect(steps.at(-1)!.keyGroups).toBe(1);
    // The source (not keyed) changes at the last step only.
    for (const s of steps.slice(0, -1)) expect(s.scale.get(src)!.parallelism).toBe(3);
    expect(steps.at(-1)!.scale.get(src)!.parallelism).toBe(1);
    for (const s of steps) expect(s.bytes).toBeLessThanOrEqual(8000);
    checkSteps(win, before, final, steps, sizes.get(win)!);
  });

  it('scale-down 4 → 1 with key groups near the limit: no step moves more than one of them', () => {
    const { win, before, final, sizes, p } = setup(4, 1, () => 1900);
    const steps = planBatches(p.graph, before, final, sizes, 2000);
    expect(steps).toHaveLength(96);
    for (const s of steps) expect(s.keyGroups).toBe(1);
    expect(steps.slice(-3).map((s) => s.scale.get(win)!.parallelism)).toEqual([3, 2, 1]);
    checkSteps(win, before, final, steps, sizes.get(win)!);
  });

  it('scale-up 1 → 4 spreads each batch over the gainers', () => {
    const { win, before, final, sizes, p } = setup(1, 4, () => 100);
    const steps = planBatches(p.graph, before, final, sizes, 1000);
    checkSteps(win, before, final, steps, sizes.get(win)!);
    // Ten key groups per batch over three gainers: none gets more than four of them.
    let prev = before.get(win)!.owners!;
    for (const s of steps) {
      const got = [0, 0, 0, 0];
      s.scale.get(win)!.owners!.forEach((o, kg) => { if (o !== prev[kg]) got[o]!++; });
      expect(Math.max(...got)).toBeLessThanOrEqual(4);
      prev = s.scale.get(win)!.owners!;
    }
  });

  it('a key group heavier than the limit goes alone', () => {
    const { win, before, final, sizes, p } = setup(2, 3, (kg) => (kg === 50 ? 1e6 : 10));
    const steps = planBatches(p.graph, before, final, sizes, 1000);
    checkSteps(win, before, final, steps, sizes.get(win)!);
    const heavy = steps.find((s) => s.bytes >= 1e6);
    if (final.get(win)!.owners![50] !== before.get(win)!.owners![50]) expect(heavy?.keyGroups).toBe(1);
  });

  it('one step when batching is off, no sizes are known, or everything fits', () => {
    const { before, final, sizes, p } = setup(2, 3, () => 1000);
    expect(planBatches(p.graph, before, final, sizes, 0)).toEqual([{ scale: final, keyGroups: 42, bytes: 42_000 }]);
    expect(planBatches(p.graph, before, final, new Map(), 10)).toHaveLength(1);
    expect(planBatches(p.graph, before, final, sizes, 42_000)).toHaveLength(1);
  });

  it('a restart at the parallelism of a table left between two batches rebalances it, moving the fewest key groups', () => {
    const { win, before, final, sizes, p } = setup(2, 3, () => 1000);
    const between = planBatches(p.graph, before, final, sizes, 10_000)[0]!.scale;
    const limits = vertexLimits(p);
    const restarted = planScale(p.graph, limits, new Map([...between].map(([id, v]) => [id, v.parallelism])), between);
    const held = [0, 0, 0];
    for (const o of restarted.get(win)!.owners!) held[o]!++;
    expect(held.sort()).toEqual([42, 43, 43]);
    // The new subtask holds its batch-1 key groups and gets the rest of its share; nothing else moves.
    expect(countMoves(between.get(win)!.owners!, restarted.get(win)!.owners!)).toBe(42 - between.get(win)!.owners!.filter((o) => o === 2).length);
    // A balanced table at the same parallelism stays as it is.
    expect(planScale(p.graph, limits, new Map([...final].map(([id, v]) => [id, v.parallelism])), final).get(win)!.owners).toBe(final.get(win)!.owners);
  });
});
