/**
 * Deployment descriptors: slot i of the pool hosts subtask i of every vertex
 * (slot sharing); each descriptor names the consumers of every output edge and,
 * for keyed consumers, their key-group table. A rescale's prepare messages are
 * built the same way from the scale after the rescale.
 */
import type { ebbflow } from '../proto/generated/rpc.js';
import { Partitioning } from '../rpc/index.js';
import { rangesOf } from '../state/key-group-assignment.js';
import type { JobGraph, JobVertex } from '../runtime/job-graph.js';
import type { Execution, ExecutionGraph } from './execution-graph.js';
import type { JobScale } from './job-scale.js';
import type { RegisteredTaskManager } from './task-manager-pool.js';

export interface DeploymentContext {
  jobId: string;
  bundlePath: string;
  entryClass: string;
  programArgs: string[];
  planParallelism: number;
  checkpointing: boolean;
  restorePath: string;
  attempt: number;
}

export interface Slot { resourceId: string; slot: number }

/** Assigns every execution to slot `subtaskIndex`; returns false when there are not enough slots. */
export function assignSlots(graph: ExecutionGraph, slots: Array<{ tm: RegisteredTaskManager; slot: number }>, needed: number): boolean {
  if (slots.length < needed) return false;
  for (const e of graph.all()) place(graph, e, { resourceId: slots[e.subtaskIndex]!.tm.resourceId, slot: slots[e.subtaskIndex]!.slot });
  return true;
}

export function place(graph: ExecutionGraph, e: Execution, slot: Slot): void {
  e.resourceId = slot.resourceId;
  e.slotIndex = slot.slot;
  graph.setState(e.id, 'SCHEDULED');
}

type Tms = Map<string, RegisteredTaskManager>;

function outputGates(plan: JobGraph, graph: ExecutionGraph, tms: Tms, scale: JobScale, vertex: JobVertex): ebbflow.rpc.OutputGate.$Properties[] {
  return plan.edges.filter((ed) => ed.source === vertex.id).map((ed) => ({
    edgeId: ed.id, targetVertexId: ed.target, partitioning: Partitioning[ed.partitioning],
    consumers: graph.ofVertex(ed.target).filter((x) => !x.retiring).map((x) => {
      const tm = tms.get(x.resourceId!);
      if (!tm) throw new Error(`subtask ${x.subtaskIndex} of vertex ${ed.target} has no TaskManager`);
      return { subtaskIndex: x.subtaskIndex, resourceId: tm.resourceId, dataHost: tm.dataHost, dataPort: tm.dataPort, executionId: x.id };
    }),
    keyGroupOwners: ed.partitioning === 'HASH' ? Array.from(scale.get(ed.target)!.owners!) : [],
  }));
}

/** The input edges of execution `e` at `scale`: producer count and where each producer runs (the ones a rescale retires are not producers after it). */
function inputGates(plan: JobGraph, graph: ExecutionGraph, scale: JobScale, vertex: JobVertex, e: Execution): ebbflow.rpc.InputGate.$Properties[] {
  return plan.edges.filter((ed) => ed.target === vertex.id).map((ed) => {
    const forward = ed.partitioning === 'FORWARD';
    const producerCount = forward ? 1 : scale.get(ed.source)!.parallelism;
    const producers = graph.ofVertex(ed.source).filter((x) => !x.retiring);
    const at = (index: number) => producers.find((x) => x.subtaskIndex === index)?.resourceId ?? '';
    return {
      edgeId: ed.id, sourceVertexId: ed.source, producerCount,
      producerResourceIds: forward ? [at(e.subtaskIndex)] : Array.from({ length: producerCount }, (_, i) => at(i)),
    };
  });
}

function keyGroups(scale: JobScale, vertexId: string, index: number) {
  const owners = scale.get(vertexId)!.owners;
  return owners ? rangesOf(owners, index) : [];
}

const vertexOf = (plan: JobGraph, id: string) => plan.vertices.find((v) => v.id === id)!;

/** One DeployTask per execution in `which` (default: all), consumers first so their input gates exist early. */
export function deploymentDescriptors(
  plan: JobGraph, graph: ExecutionGraph, tms: Tms, scale: JobScale, ctx: DeploymentContext, which: Execution[] = graph.all(),
  added?: { checkpointId: number; loadFrom: (e: Execution) => number[] },
): Array<{ tm: RegisteredTaskManager; deploy: ebbflow.rpc.DeployTask.$Properties }> {
  const order = new Map(plan.vertices.map((v, i) => [v.id, i]));
  return [...which].sort((a, b) => order.get(b.vertexId)! - order.get(a.vertexId)!).map((e) => {
    const vertex = vertexOf(plan, e.vertexId);
    return {
      tm: tms.get(e.resourceId!)!,
      deploy: {
        jobId: ctx.jobId, executionId: e.id, vertexId: vertex.id, subtaskIndex: e.subtaskIndex, parallelism: scale.get(vertex.id)!.parallelism,
        maxParallelism: plan.maxParallelism, slotIndex: e.slotIndex, bundlePath: ctx.bundlePath, entryClass: ctx.entryClass,
        programArgs: ctx.programArgs, attempt: ctx.attempt, checkpointing: ctx.checkpointing, restorePath: ctx.restorePath,
        planParallelism: ctx.planParallelism, loadAfterCheckpoint: added?.checkpointId ?? 0, loadFrom: added?.loadFrom(e) ?? [],
        outputs: outputGates(plan, graph, tms, scale, vertex), inputs: inputGates(plan, graph, scale, vertex, e), keyGroups: keyGroups(scale, vertex.id, e.subtaskIndex),
      },
    };
  });
}

/** The configuration execution `e` switches to at the rescale barrier `checkpointId`. */
export function rescaleDescriptor(
  plan: JobGraph, graph: ExecutionGraph, tms: Tms, scale: JobScale, e: Execution, checkpointId: number, directory: string, loadFrom: number[],
): ebbflow.rpc.PrepareRescale.$Properties {
  const vertex = vertexOf(plan, e.vertexId);
  if (e.retiring) return { executionId: e.id, checkpointId, directory, retire: true };
  return {
    executionId: e.id, checkpointId, directory, retire: false, parallelism: scale.get(vertex.id)!.parallelism,
    keyGroups: keyGroups(scale, vertex.id, e.subtaskIndex), outputs: outputGates(plan, graph, tms, scale, vertex), inputs: inputGates(plan, graph, scale, vertex, e),
    loadFrom,
  };
}
