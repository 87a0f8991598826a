/**
 * Instantiates one vertex's operator chain for one subtask: the source reader
 * (if any), the operators from the user's closures, the sinks, and a
 * RecordWriter per output edge, wired tail-first so each operator knows its
 * downstream collector.
 */
import { ElementsSourceReader } from './connectors/elements-source.js';
import { RedisStreamSourceReader } from './connectors/redis-stream-source.js';
import { RedisStreamSink } from './connectors/redis-stream-sink.js';
import { FileSink } from './connectors/sinks.js';
import type { SourceReader } from './connectors/source.js';
import { FanOut, type Collector, type Flushable } from './elements.js';
import type { JobPlan } from './plan.js';
import type { ChannelRegistry } from './network/channel-registry.js';
import { OutputChannels } from './network/output-channels.js';
import { RecordWriter, type Partitioner } from './network/record-writer.js';
import { isCheckpointed, type CheckpointedOperator } from './operators/operator.js';
import { KeyedProcessOperator } from './operators/keyed-process-operator.js';
import { FilterOperator, FlatMapOperator, MapOperator } from './operators/simple.js';
import { TumblingWindowOperator } from './operators/window-operator.js';
import type { IoCounters } from './subtask-metrics.js';
import type { OutputSpec, SubtaskSpec } from './subtask-spec.js';
import type { Transformation } from './transformations.js';

export interface Chain {
  head: Collector;
  source: SourceReader | undefined;
  /** Sinks and record writers: flushed after every batch. */
  tails: Flushable[];
  writers: RecordWriter[];
  /** The channel writers behind each record writer, by edge id (an in-place rescale rebuilds them). */
  channels: Map<string, OutputChannels>;
  /** Everything with state or checkpoint callbacks, source first. */
  checkpointed: CheckpointedOperator[];
}

export { channelId } from './network/channel-registry.js';

/** The partitioner of an output edge; HASH edges route by the consumers' key-group table. */
export function partitionerFor(plan: JobPlan, out: OutputSpec, maxParallelism: number): Partitioner {
  const edge = plan.graph.edges.find((e) => e.id === out.edgeId);
  if (!edge) throw new Error(`unknown output edge ${out.edgeId}`);
  const marker = plan.transformations[edge.via]!;
  if (marker.kind === 'keyBy') {
    const owners = out.owners;
    if (!owners || owners.length !== maxParallelism) throw new Error(`output edge ${out.edgeId} has no key-group table of length ${maxParallelism}`);
    return { kind: 'HASH', selector: marker.selector, maxParallelism, owners };
  }
  return out.partitioning === 'FORWARD' ? { kind: 'FORWARD' } : { kind: 'REBALANCE' };
}

/** `counters`: the subtask's I/O counters, given to its channel writers (unset: not measured). */
export function buildChain(plan: JobPlan, spec: SubtaskSpec, registry: ChannelRegistry, resourceId: string, counters?: IoCounters): Chain {
  const vertex = plan.graph.vertices.find((v) => v.id === spec.vertexId);
  if (!vertex) throw new Error(`vertex ${spec.vertexId} is not in the job graph built from the bundle (was the bundle changed?)`);
  const ts = plan.transformations;
  const inVertex = new Set(vertex.operators);
  const built = new Map<number, Collector>();
  const writersFor = new Map<number, RecordWriter[]>();
  const chain: Chain = { head: undefined as unknown as Collector, source: undefined, tails: [], writers: [], channels: new Map(), checkpointed: [] };

  for (const out of spec.outputs) {
    const partitioner = partitionerFor(plan, out, spec.maxParallelism);
    const edge = plan.graph.edges.find((e) => e.id === out.edgeId)!;
    const channels = new OutputChannels({ registry, resourceId, subtaskIndex: spec.subtaskIndex, attempt: spec.attempt, counters });
    const rw = new RecordWriter(out.edgeId, channels.configure(out).writers, partitioner);
    chain.channels.set(out.edgeId, channels);
    chain.tails.push(rw);
    chain.writers.push(rw);
    const from = (ts[edge.via] as { input: number }).input;
    writersFor.set(from, [...(writersFor.get(from) ?? []), rw]);
  }

  const downstream = (id: number): Collector => {
    const outs: Collector[] = [...(writersFor.get(id) ?? [])];
    for (const t of ts) if ('input' in t && t.input === id && inVertex.has(t.id)) outs.push(built.get(t.id)!);
    return outs.length === 1 ? outs[0]! : new FanOut(outs);
  };

  for (const id of [...vertex.operators].reverse()) {
    const t = ts[id]!;
    let op: Collector;
    switch (t.kind) {
      case 'map': op = new MapOperator(t.fn, downstream(id)); break;
      case 'filter': op = new FilterOperator(t.fn, downstream(id)); break;
      case 'flatMap': op = new FlatMapOperator(t.fn, downstream(id)); break;
      case 'window': {
        const keyBy = ts[t.input] as Extract<Transformation, { kind: 'keyBy' }>;
        op = new TumblingWindowOperator(id, keyBy.selector, t.assigner, t.aggregate, t.result, spec.maxParallelism, downstream(id));
        break;
      }
      case 'process': {
        const keyBy = ts[t.input] as Extract<Transformation, { kind: 'keyBy' }>;
        op = new KeyedProcessOperator(id, keyBy.selector, t.fn, spec.maxParallelism, downstream(id));
        break;
      }
      case 'sink': {
        const sink = t.sink.kind === 'redis-stream'
          ? new RedisStreamSink(id, t.sink.options, `${spec.jobId}/${spec.vertexId}/${spec.subtaskIndex}`, spec.subtaskIndex, spec.parallelism, spec.checkpointing)
          : new FileSink(t.sink.path);
        chain.tails.push(sink);
        op = sink;
        break;
      }
      case 'source-redis':
        chain.source = new RedisStreamSourceReader(id, t.options, spec.subtaskIndex, spec.parallelism);
        op = downstream(id);
        break;
      case 'source-elements':
        chain.source = new ElementsSourceReader(t.elements, t.options, spec.subtaskIndex, spec.parallelism);
        op = downstream(id);
        break;
      case 'keyBy':
      case 'rebalance':
      case 'forward':
        continue;
    }
    built.set(id, op);
    if (isCheckpointed(op)) chain.checkpointed.unshift(op);
  }
  if (chain.source && isCheckpointed(chain.source)) chain.checkpointed.unshift(chain.source);
  chain.head = built.get(vertex.operators[0]!)!;
  return chain;
}
