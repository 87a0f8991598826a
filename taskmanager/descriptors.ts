/** Deployment and rescale descriptors (proto/rpc.proto) → the runtime's subtask specs. */
import type { ebbflow } from '../proto/generated/rpc.js';
import { toNumber } from '../rpc/index.js';
import { expandRanges } from '../state/key-group-assignment.js';
import type { InputSpec, OutputSpec, RescaleSpec } from '../runtime/subtask.js';

const PARTITIONING = ['FORWARD', 'HASH', 'REBALANCE'] as const;

export function decodeOutputs(outputs: ebbflow.rpc.IOutputGate[] | null | undefined): OutputSpec[] {
  return (outputs ?? []).map((o) => ({
    edgeId: o.edgeId!, targetVertexId: o.targetVertexId!, partitioning: PARTITIONING[o.partitioning ?? 0] ?? 'FORWARD',
    consumers: (o.consumers ?? []).map((c) => ({ subtaskIndex: c.subtaskIndex ?? 0, resourceId: c.resourceId!, dataHost: c.dataHost!, dataPort: c.dataPort!, executionId: c.executionId ?? '' })),
    owners: o.keyGroupOwners?.length ? Uint16Array.from(o.keyGroupOwners) : undefined,
  }));
}

export function decodeInputs(inputs: ebbflow.rpc.IInputGate[] | null | undefined): InputSpec[] {
  return (inputs ?? []).map((i) => ({ edgeId: i.edgeId!, sourceVertexId: i.sourceVertexId!, producerCount: i.producerCount!, producerResources: i.producerResourceIds ?? [] }));
}

/** Owned key groups, or undefined for a vertex without keyed state (no ranges sent). */
export function decodeKeyGroups(ranges: ebbflow.rpc.IKeyGroupRange[] | null | undefined): number[] | undefined {
  return ranges?.length ? expandRanges(ranges) : undefined;
}

export function decodeRescale(p: ebbflow.rpc.IPrepareRescale): RescaleSpec {
  return {
    checkpointId: toNumber(p.checkpointId ?? 0), directory: p.directory ?? '', retire: p.retire ?? false, parallelism: p.parallelism ?? 0,
    keyGroups: decodeKeyGroups(p.keyGroups), outputs: decodeOutputs(p.outputs), inputs: decodeInputs(p.inputs), loadFrom: p.loadFrom ?? [],
  };
}
