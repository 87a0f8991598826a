/**
 * A job's scale: each vertex's parallelism and, for keyed vertices (targets of
 * a keyBy edge), its key-group table (key group → subtask). This is the value
 * deployments, rescales and checkpoint metadata carry; routing and state
 * ownership never recompute it from a formula.
 *
 * Limits: a vertex never runs more subtasks than the job's max parallelism (K),
 * a Redis Streams source no more than it has streams, and vertices joined by a
 * forward edge always share one parallelism. A bounded collection source keeps
 * the parallelism it started with (its progress is not checkpointed per split).
 */
import type { ResourceRequirements } from '../metadata/index.js';
import { contiguousTable, rescaleTable, type KeyGroupTable } from '../state/key-group-assignment.js';
import type { MetadataPlain } from '../runtime/checkpoint/snapshot-io.js';
import type { JobGraph } from '../runtime/job-graph.js';
import type { JobPlan } from '../runtime/plan.js';

export interface VertexScale { parallelism: number; owners: KeyGroupTable | undefined }
export type JobScale = Map<string, VertexScale>;
export type { ResourceRequirements };

export interface VertexLimits {
  /** Largest parallelism per vertex. */
  caps: Map<string, number>;
  /** Vertices whose parallelism cannot change while running. */
  fixed: Set<string>;
  /** Vertices that must share a parallelism (forward edges): vertex → group id. */
  group: Map<string, number>;
  keyed: Set<string>;
  /** Redis Streams source vertices: how many streams they read (stream j belongs to subtask j mod parallelism). */
  streams: Map<string, number>;
}

export function vertexLimits(plan: JobPlan): VertexLimits {
  const { graph, transformations } = plan;
  const group = new Map(graph.vertices.map((v, i) => [v.id, i]));
  const find = (id: string): number => group.get(id)!;
  for (const e of graph.edges) {
    if (e.partitioning !== 'FORWARD') continue;
    const a = find(e.source), b = find(e.target);
    for (const [v, g] of group) if (g === b) group.set(v, a);
  }
  const caps = new Map<string, number>();
  const fixed = new Set<string>();
  const streams = new Map<string, number>();
  for (const v of graph.vertices) {
    const head = transformations[v.operators[0]!]!;
    let cap = graph.maxParallelism;
    if (head.kind === 'source-redis') {
      streams.set(v.id, head.options.streams.length);
      cap = Math.min(cap, Math.max(1, head.options.streams.length));
    }
    if (head.kind === 'source-elements') fixed.add(v.id);
    caps.set(v.id, cap);
  }
  // A forward group shares the smallest cap of its members, and is fixed if one is.
  for (const v of graph.vertices) {
    const members = graph.vertices.filter((w) => group.get(w.id) === group.get(v.id));
    caps.set(v.id, Math.min(...members.map((w) => caps.get(w.id)!)));
    if (members.some((w) => fixed.has(w.id))) fixed.add(v.id);
  }
  const keyed = new Set(graph.edges.filter((e) => e.partitioning === 'HASH').map((e) => e.target));
  return { caps, fixed, group, keyed, streams };
}

/** Per-vertex parallelism for a job-wide parallelism `p`: every vertex that can take it, the others at their cap. */
export function uniformParallelism(graph: JobGraph, limits: VertexLimits, p: number, current?: JobScale): Map<string, number> {
  return new Map(graph.vertices.map((v) => [v.id, limits.fixed.has(v.id) && current ? current.get(v.id)!.parallelism : Math.min(p, limits.caps.get(v.id)!)]));
}

/**
 * Tables for `parallelism`, moving as few key groups as possible from `from` (the running scale, or a
 * checkpoint's); without `from`, contiguous ranges. `weights` (bytes per key group) make light key groups move.
 */
export function planScale(graph: JobGraph, limits: VertexLimits, parallelism: Map<string, number>, from?: JobScale, weights?: Map<string, ArrayLike<number>>): JobScale {
  const K = graph.maxParallelism;
  const out: JobScale = new Map();
  for (const v of graph.vertices) {
    const p = parallelism.get(v.id)!;
    if (!limits.keyed.has(v.id)) { out.set(v.id, { parallelism: p, owners: undefined }); continue; }
    const prev = from?.get(v.id);
    let owners: KeyGroupTable;
    if (!prev?.owners) owners = contiguousTable(K, p);
    // A table left unbalanced by a fluid rescale that did not finish (rescale-batches.ts) is rebalanced.
    else if (prev.parallelism === p && balanced(prev.owners, p)) owners = prev.owners;
    else owners = rescaleTable(prev.owners, prev.parallelism, p, weights?.get(v.id));
    out.set(v.id, { parallelism: p, owners });
  }
  return out;
}

/** Every subtask owns ⌊K/p⌋ or ⌈K/p⌉ key groups (and none is out of range). */
function balanced(owners: ArrayLike<number>, p: number): boolean {
  const held = new Int32Array(p);
  for (let kg = 0; kg < owners.length; kg++) {
    const s = owners[kg]!;
    if (s >= p) return false;
    held[s]++;
  }
  const lo = Math.floor(owners.length / p), hi = Math.ceil(owners.length / p);
  return held.every((h) => h >= lo && h <= hi);
}

/** The scale a checkpoint resumes at; metadata written before tables existed gets contiguous ones. */
export function scaleOfCheckpoint(meta: MetadataPlain, graph: JobGraph, limits: VertexLimits): JobScale {
  const out: JobScale = new Map();
  for (const v of graph.vertices) {
    const m = meta.vertices.find((x) => x.vertexId === v.id);
    const p = m?.parallelism || v.parallelism;
    const owners = !limits.keyed.has(v.id) ? undefined
      : m?.keyGroupOwners?.length === meta.maxParallelism ? Uint16Array.from(m.keyGroupOwners) : contiguousTable(meta.maxParallelism, p);
    out.set(v.id, { parallelism: p, owners });
  }
  return out;
}

export function sameParallelism(a: JobScale, b: Map<string, number>): boolean {
  for (const [id, v] of a) if (b.get(id) !== v.parallelism) return false;
  return true;
}

/**
 * The old subtasks of vertex `vertexId` that hold what its subtask `index` gains going from `before`
 * to `next`: the old owners of its new key groups, and of its new source streams.
 */
export function gainSources(limits: VertexLimits, before: JobScale, next: JobScale, vertexId: string, index: number): number[] {
  const b = before.get(vertexId)!;
  const n = next.get(vertexId)!;
  const from = new Set<number>();
  if (b.owners && n.owners) for (let kg = 0; kg < n.owners.length; kg++) if (n.owners[kg] === index && b.owners[kg] !== index) from.add(b.owners[kg]!);
  const streams = limits.streams.get(vertexId) ?? 0;
  if (b.parallelism !== n.parallelism) for (let j = 0; j < streams; j++) if (j % n.parallelism === index && j % b.parallelism !== index) from.add(j % b.parallelism);
  return [...from].sort((x, y) => x - y);
}

/** Slots a scale needs: slot i hosts subtask i of every vertex (slot sharing). */
export function slotsNeeded(scale: JobScale | Map<string, number>): number {
  let n = 0;
  for (const v of scale.values()) n = Math.max(n, typeof v === 'number' ? v : v.parallelism);
  return n;
}

/** Default requirements (Flink's adaptive scheduler): lower bound 1, upper bound the current parallelism. */
export function defaultRequirements(scale: JobScale): ResourceRequirements {
  const out: ResourceRequirements = {};
  for (const [id, v] of scale) out[id] = { parallelism: { lowerBound: 1, upperBound: v.parallelism } };
  return out;
}

/**
 * The requirements a new job process of a job takes up from its record (Flink keeps them with the job
 * graph): the bounds in force and the user's, for the vertices this plan has, where they are sound;
 * the rest default. Only a vertex the earlier process wrote bounds for gets them.
 */
export function restoredRequirements(scale: JobScale, inForce: ResourceRequirements | undefined, userBounds: ResourceRequirements | undefined): { requirements: ResourceRequirements; userBounds: ResourceRequirements } {
  const sound = (b: { parallelism?: { lowerBound?: unknown; upperBound?: unknown } } | undefined) => {
    const p = b?.parallelism;
    return !!p && Number.isSafeInteger(p.lowerBound) && Number.isSafeInteger(p.upperBound) && (p.lowerBound as number) >= 1 && (p.lowerBound as number) <= (p.upperBound as number);
  };
  const requirements = defaultRequirements(scale);
  const users: ResourceRequirements = {};
  for (const id of scale.keys()) {
    const f = inForce?.[id], u = userBounds?.[id];
    if (sound(f)) requirements[id] = { parallelism: { ...f!.parallelism } };
    if (sound(u)) users[id] = { parallelism: { ...u!.parallelism } };
  }
  return { requirements, userBounds: users };
}

/**
 * The parallelism each vertex runs at with `slots` slots: the highest within its bounds and its cap,
 * equal across a forward group; undefined when some vertex's lower bound does not fit.
 */
export function fitRequirements(graph: JobGraph, limits: VertexLimits, req: ResourceRequirements, slots: number, current: JobScale): Map<string, number> | undefined {
  const out = new Map<string, number>();
  for (const v of graph.vertices) {
    const cur = current.get(v.id)!.parallelism;
    if (limits.fixed.has(v.id)) { out.set(v.id, cur); continue; }
    const b = req[v.id]?.parallelism ?? { lowerBound: 1, upperBound: cur };
    out.set(v.id, Math.min(b.upperBound, limits.caps.get(v.id)!, slots));
  }
  for (const v of graph.vertices) {
    const g = limits.group.get(v.id);
    const shared = Math.min(...graph.vertices.filter((w) => limits.group.get(w.id) === g).map((w) => out.get(w.id)!));
    out.set(v.id, shared);
  }
  for (const v of graph.vertices) {
    const b = req[v.id]?.parallelism;
    if (out.get(v.id)! < 1 || (b && !limits.fixed.has(v.id) && out.get(v.id)! < Math.min(b.lowerBound, limits.caps.get(v.id)!))) return undefined;
  }
  return out;
}

/** What the requirements ask for with unlimited slots. */
export function desiredParallelism(graph: JobGraph, limits: VertexLimits, req: ResourceRequirements, current: JobScale): Map<string, number> {
  return fitRequirements(graph, limits, req, Number.MAX_SAFE_INTEGER, current) ?? new Map([...current].map(([id, v]) => [id, v.parallelism]));
}
