/**
 * Deployment descriptors: slot i of the pool hosts subtask i of every vertex
 * (slot sharing); each descriptor names the consumers of every output edge.
 */
import type { ebbflow } from '../proto/generated/rpc.js';
import { Partitioning } from '../rpc/index.js';
import type { JobGraph } from '../runtime/job-graph.js';
import type { ExecutionGraph } from './execution-graph.js';
import type { RegisteredTaskManager } from './task-manager-pool.js';

export interface DeploymentContext {
  jobId: string;
  bundlePath: string;
  entryClass: string;
  programArgs: string[];
  checkpointing: boolean;
  restorePath: string;
  attempt: number;
}

/** Assigns executions to slots; returns false when there are not enough slots. */
export function assignSlots(graph: ExecutionGraph, slots: Array<{ tm: RegisteredTaskManager; slot: number }>, parallelism: number): boolean {
  if (slots.length < parallelism) return false;
  for (const e of graph.all()) {
    const target = slots[e.subtaskIndex]!;
    e.resourceId = target.tm.resourceId;
    e.slotIndex = target.slot;
    graph.setState(e.id, 'SCHEDULED');
  }
  return true;
}

/** One DeployTask per execution, consumers first so their input gates exist early. */
export function deploymentDescriptors(plan: JobGraph, graph: ExecutionGraph, tms: Map<string, RegisteredTaskManager>, ctx: DeploymentContext): Array<{ tm: RegisteredTaskManager; deploy: ebbflow.rpc.DeployTask.$Properties }> {
  const vertexIndex = new Map(plan.vertices.map((v, i) => [v.id, i]));
  const location = (vertexId: string) => graph.ofVertex(vertexId).map((x) => {
    const tm = tms.get(x.resourceId!)!;
    return { subtaskIndex: x.subtaskIndex, resourceId: tm.resourceId, dataHost: tm.dataHost, dataPort: tm.dataPort };
  });
  const order = [...graph.all()].sort((a, b) => vertexIndex.get(b.vertexId)! - vertexIndex.get(a.vertexId)!);
  return order.map((e) => {
    const vertex = plan.vertices[vertexIndex.get(e.vertexId)!]!;
    return {
      tm: tms.get(e.resourceId!)!,
      deploy: {
        jobId: ctx.jobId, executionId: e.id, vertexId: vertex.id, subtaskIndex: e.subtaskIndex, parallelism: vertex.parallelism,
        maxParallelism: plan.maxParallelism, slotIndex: e.slotIndex, bundlePath: ctx.bundlePath, entryClass: ctx.entryClass,
        programArgs: ctx.programArgs, attempt: ctx.attempt, checkpointing: ctx.checkpointing, restorePath: ctx.restorePath,
        outputs: plan.edges.filter((ed) => ed.source === vertex.id).map((ed) => ({
          edgeId: ed.id, targetVertexId: ed.target, partitioning: Partitioning[ed.partitioning], consumers: location(ed.target),
        })),
        inputs: plan.edges.filter((ed) => ed.target === vertex.id).map((ed) => ({
          edgeId: ed.id, sourceVertexId: ed.source,
          producerCount: ed.partitioning === 'FORWARD' ? 1 : plan.vertices[vertexIndex.get(ed.source)!]!.parallelism,
        })),
      },
    };
  });
}
