/**
 * The job's scale without processes: caps (a Redis Streams source runs at most one subtask per
 * stream, forward edges share a parallelism, a collection source is fixed), fitting requirements
 * into slots, key-group tables planned with minimal movement, and scales read from old metadata.
 */
import { describe, expect, it } from 'vitest';
import {
  defaultRequirements, desiredParallelism, fitRequirements, planScale, restoredRequirements, scaleOfCheckpoint, slotsNeeded, uniformParallelism, vertexLimits,
} from '../../jobmaster/job-scale.js';
import type { MetadataPlain } from '../../runtime/checkpoint/snapshot-io.js';
import { GraphBuilder } from '../../runtime/graph-builder.js';
import { buildJobGraph } from '../../runtime/job-graph.js';
import type { JobPlan } from '../../runtime/plan.js';
import { checkTable, countMoves, minimumMoves } from '../../state/key-group-assignment.js';

const sink = <T>(env: GraphBuilder) => env.fileSink<T>('/dev/null');

/** source(streams) → forward → map → keyBy → window (+sink): three vertices. */
function plan(streams: number, parallelism = 2, maxParallelism = 128): JobPlan {
  const env = new GraphBuilder(parallelism);
  env.fromRedisStreams({ url: 'redis://127.0.0.1:1', streams: Array.from({ length: streams }, (_, i) => `s${i}`) })
    .forward().map((e) => e)
    .keyBy((e) => String(e)).window(env.windows.tumbling(1000)).reduce((a) => a)
    .sinkTo(sink(env));
  return { graph: buildJobGraph(env.transformations, { name: 't', parallelism, maxParallelism }), transformations: env.transformations };
}

describe('job scale', () => {
  it('caps a Redis Streams source at its streams, shares the cap across a forward edge, and marks the keyed vertex', () => {
    const p = plan(3);
    const [src, map, win] = p.graph.vertices;
    const l = vertexLimits(p);
    expect(l.caps.get(src!.id)).toBe(3);
    expect(l.caps.get(map!.id)).toBe(3);
    expect(l.caps.get(win!.id)).toBe(128);
    expect([...l.keyed]).toEqual([win!.id]);
    expect(l.group.get(src!.id)).toBe(l.group.get(map!.id));
    const at5 = uniformParallelism(p.graph, l, 5);
    expect([...at5.values()]).toEqual([3, 3, 5]);
    expect(slotsNeeded(at5)).toBe(5);
  });

  it('keeps a collection source at its parallelism', () => {
    const env = new GraphBuilder(2);
    env.fromElements([1, 2, 3]).keyBy((x) => x).window(env.windows.tumbling(10)).reduce((a) => a).sinkTo(sink(env));
    const p: JobPlan = { graph: buildJobGraph(env.transformations, { name: 'e', parallelism: 2, maxParallelism: 128 }), transformations: env.transformations };
    const l = vertexLimits(p);
    const [src, win] = p.graph.vertices;
    expect(l.fixed.has(src!.id)).toBe(true);
    const current = planScale(p.graph, l, uniformParallelism(p.graph, l, 2));
    const at4 = uniformParallelism(p.graph, l, 4, current);
    expect(at4.get(src!.id)).toBe(2);
    expect(at4.get(win!.id)).toBe(4);
  });

  it('fits requirements into the slots there are, never below a lower bound', () => {
    const p = plan(4);
    const l = vertexLimits(p);
    const [src, map, win] = p.graph.vertices;
    const current = planScale(p.graph, l, uniformParallelism(p.graph, l, 2));
    const req = defaultRequirements(planScale(p.graph, l, uniformParallelism(p.graph, l, 4)));
    expect(req[win!.id]).toEqual({ parallelism: { lowerBound: 1, upperBound: 4 } });
    expect([...desiredParallelism(p.graph, l, req, current).values()]).toEqual([4, 4, 4]);
    expect([...fitRequirements(p.graph, l, req, 3, current)!.values()]).toEqual([3, 3, 3]);
    // A forward group runs at the smallest of its members' fits.
    const narrowMap = { ...req, [map!.id]: { parallelism: { lowerBound: 1, upperBound: 2 } } };
    expect([...fitRequirements(p.graph, l, narrowMap, 8, current)!.values()]).toEqual([2, 2, 4]);
    // Lower bound 3 on the window: 2 slots are not enough.
    const strict = { ...req, [win!.id]: { parallelism: { lowerBound: 3, upperBound: 4 } } };
    expect(fitRequirements(p.graph, l, strict, 2, current)).toBeUndefined();
    expect(fitRequirements(p.graph, l, strict, 3, current)!.get(src!.id)).toBe(3);
  });

  it('a new job process takes up the requirements in force and the user\'s bounds of its vertices, where they are sound', () => {
    const p = plan(4);
    const l = vertexLimits(p);
    const [src, map, win] = p.graph.vertices;
    const scale = planScale(p.graph, l, uniformParallelism(p.graph, l, 2));
    const inForce = {
      [src!.id]: { parallelism: { lowerBound: 1, upperBound: 3 } },
      [map!.id]: { parallelism: { lowerBound: 3, upperBound: 2 } },
      gone: { parallelism: { lowerBound: 1, upperBound: 9 } },
    };
    const users = { [src!.id]: { parallelism: { lowerBound: 1, upperBound: 4 } }, [win!.id]: { parallelism: { lowerBound: 0.5, upperBound: 2 } } };
    const r = restoredRequirements(scale, inForce as never, users as never);
    // The source's bounds carry over; the map's (lower above upper) and the window's default; a vertex not in the plan is dropped.
    expect(r.requirements).toEqual({ ...defaultRequirements(scale), [src!.id]: { parallelism: { lowerBound: 1, upperBound: 3 } } });
    expect(r.userBounds).toEqual({ [src!.id]: { parallelism: { lowerBound: 1, upperBound: 4 } } });
    // A first job process (no record yet): the defaults, no user bounds.
    expect(restoredRequirements(scale, undefined, undefined)).toEqual({ requirements: defaultRequirements(scale), userBounds: {} });
  });

  it('plans key-group tables: contiguous first, the same table at the same parallelism, minimal moves on a change', () => {
    const p = plan(4);
    const l = vertexLimits(p);
    const win = p.graph.vertices[2]!.id;
    const at2 = planScale(p.graph, l, uniformParallelism(p.graph, l, 2));
    checkTable(at2.get(win)!.owners!, 128, 2);
    expect(at2.get(p.graph.vertices[0]!.id)!.owners).toBeUndefined();
    expect(planScale(p.graph, l, uniformParallelism(p.graph, l, 2), at2).get(win)!.owners).toBe(at2.get(win)!.owners);
    const at3 = planScale(p.graph, l, uniformParallelism(p.graph, l, 3), at2);
    checkTable(at3.get(win)!.owners!, 128, 3);
    expect(countMoves(at2.get(win)!.owners!, at3.get(win)!.owners!)).toBe(minimumMoves(at2.get(win)!.owners!, 2, 3));
    expect(countMoves(at2.get(win)!.owners!, at3.get(win)!.owners!)).toBe(42);
  });

  it('reads the scale a checkpoint resumes at, with contiguous tables for metadata written before tables existed', () => {
    const p = plan(4);
    const l = vertexLimits(p);
    const [src, map, win] = p.graph.vertices;
    const owners = Array.from({ length: 128 }, (_, kg) => kg % 3);
    const meta = {
      formatVersion: 1, jobId: 'j', checkpointId: 7, timestamp: 0, isSavepoint: false, maxParallelism: 128, jobName: 't',
      vertices: [
        { vertexId: src!.id, name: 'src', parallelism: 3, subtasks: [], keyGroupOwners: [] },
        { vertexId: map!.id, name: 'map', parallelism: 3, subtasks: [], keyGroupOwners: [] },
        { vertexId: win!.id, name: 'win', parallelism: 3, subtasks: [], keyGroupOwners: owners },
      ],
    } satisfies MetadataPlain;
    const s = scaleOfCheckpoint(meta, p.graph, l);
    expect([...s.values()].map((v) => v.parallelism)).toEqual([3, 3, 3]);
    expect(Array.from(s.get(win!.id)!.owners!)).toEqual(owners);
    const old = scaleOfCheckpoint({ ...meta, vertices: meta.vertices.map((v) => ({ ...v, keyGroupOwners: [] })) }, p.graph, l);
    expect(old.get(win!.id)!.owners![0]).toBe(0);
    expect(old.get(win!.id)!.owners![127]).toBe(2);
    checkTable(old.get(win!.id)!.owners!, 128, 3);
  });
});
