/**
 * Transformations → job graph. Operators are chained into one vertex wherever
 * records pass forward unchanged in partitioning; a keyBy starts a new vertex
 * behind a HASH edge (records are routed by key group). Vertex ids are 32 hex
 * characters derived from the graph's shape, so the JobMaster and every
 * TaskManager compute the same ids from the same bundle.
 */
import { createHash } from 'node:crypto';
import { InvalidJobError } from './errors.js';
import { inputOf, isPartitionMarker, isSource, type Transformation } from './transformations.js';

export type EdgePartitioning = 'FORWARD' | 'HASH' | 'REBALANCE';

export interface JobVertex {
  id: string;
  name: string;
  /** Transformation ids in this vertex, in topological order; the first is the head. */
  operators: number[];
  /** The operators' names, in the same order (the REST plan's operator list). */
  operatorNames?: string[];
  parallelism: number;
  isSource: boolean;
}

export interface JobEdge {
  id: string;
  source: string;
  target: string;
  partitioning: EdgePartitioning;
  /** The partition marker (keyBy, rebalance, forward) this edge comes from; a keyBy's selector routes HASH records. */
  via: number;
}

export interface JobGraph {
  name: string;
  vertices: JobVertex[];
  edges: JobEdge[];
  maxParallelism: number;
}

export function buildJobGraph(ts: Transformation[], opts: { name: string; parallelism: number; maxParallelism: number }): JobGraph {
  if (!ts.some(isSource)) throw new InvalidJobError('the job defines no source: call env.fromRedisStreams or env.fromElements');
  if (!ts.some((t) => t.kind === 'sink')) throw new InvalidJobError('the job defines no sink: end a stream with .sinkTo(...)');
  const consumers = new Map<number, Transformation[]>();
  for (const t of ts) {
    const input = inputOf(t);
    if (input !== undefined) consumers.set(input, [...(consumers.get(input) ?? []), t]);
  }
  const vertexOf = new Map<number, JobVertex>();
  const vertices: JobVertex[] = [];
  const edges: JobEdge[] = [];
  const hex = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

  for (const t of ts) {
    const input = inputOf(t);
    if (isPartitionMarker(t)) {
      // Not an operator: it says how records reach the transformation(s) after it.
      const downstream = consumers.get(t.id) ?? [];
      if (downstream.length === 0) throw new InvalidJobError(`${t.kind} "${t.name}" is not followed by an operator or sink`);
      continue;
    }
    const upstream = input === undefined ? undefined : ts[input];
    if (!upstream || isPartitionMarker(upstream)) {
      const v: JobVertex = { id: '', name: t.name, operators: [t.id], operatorNames: [t.name], parallelism: opts.parallelism, isSource: isSource(t) };
      vertices.push(v);
      vertexOf.set(t.id, v);
      if (isPartitionMarker(upstream)) {
        const src = vertexOf.get(upstream.input);
        if (!src) throw new InvalidJobError(`${upstream.kind} must follow a stream`);
        const partitioning = upstream.kind === 'keyBy' ? 'HASH' : upstream.kind === 'rebalance' ? 'REBALANCE' : 'FORWARD';
        edges.push({ id: '', source: String(upstream.input), target: String(t.id), partitioning, via: upstream.id });
      }
    } else {
      const v = vertexOf.get(upstream.id)!;
      v.operators.push(t.id);
      v.operatorNames?.push(t.name);
      v.name = `${v.name} -> ${t.name}`;
      vertexOf.set(t.id, v);
    }
  }
  vertices.forEach((v, i) => { v.id = hex(`vertex:${i}:${v.operators.join(',')}:${v.name}`); });
  // Edges were recorded by transformation id; resolve them to vertex ids now that ids exist.
  for (const [i, e] of edges.entries()) {
    e.source = vertexOf.get(Number(e.source))!.id;
    e.target = vertexOf.get(Number(e.target))!.id;
    e.id = hex(`edge:${i}:${e.source}:${e.target}`);
  }
  return { name: opts.name, vertices, edges, maxParallelism: opts.maxParallelism };
}
