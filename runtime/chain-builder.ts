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
import { LocalChannelWriter, RemoteChannelWriter, type ChannelWriter } from './network/channel-writer.js';
import { RecordWriter, type Partitioner } from './network/record-writer.js';
import { isCheckpointed, type CheckpointedOperator } from './operators/operator.js';
import { KeyedProcessOperator } from './operators/keyed-process-operator.js';
import { FilterOperator, FlatMapOperator, MapOperator } from './operators/simple.js';
import { TumblingWindowOperator } from './operators/window-operator.js';
import type { SubtaskSpec } from './subtask-spec.js';
import type { Transformation } from './transformations.js';

export interface Chain {
  head: Collector;
  source: SourceReader | undefined;
  /** Sinks and record writers: flushed after every batch. */
  tails: Flushable[];
  writers: RecordWriter[];
  /** Everything with state or checkpoint callbacks, source first. */
  checkpointed: CheckpointedOperator[];
}

/** The channel id of an edge within one execution attempt, so a restarted attempt never sees old data. */
export const channelId = (edgeId: string, attempt: number): string => `${edgeId}#${attempt}`;

export function buildChain(plan: JobPlan, spec: SubtaskSpec, registry: ChannelRegistry, resourceId: string): Chain {
  const vertex = plan.graph.vertices.find((v) => v.id === spec.vertexId);
  if (!vertex) throw new Error(`vertex ${spec.vertexId} is not in the job graph built from the bundle (was the bundle changed?)`);
  const ts = plan.transformations;
  const inVertex = new Set(vertex.operators);
  const built = new Map<number, Collector>();
  const writersFor = new Map<number, RecordWriter[]>();
  const chain: Chain = { head: undefined as unknown as Collector, source: undefined, tails: [], writers: [], checkpointed: [] };

  for (const out of spec.outputs) {
    const edge = plan.graph.edges.find((e) => e.id === out.edgeId);
    if (!edge) throw new Error(`unknown output edge ${out.edgeId}`);
    const marker = ts[edge.via]!;
    const forward = out.partitioning === 'FORWARD';
    // A forward edge connects subtask i to subtask i only, as that consumer's single channel 0.
    const writers: ChannelWriter[] = [...out.consumers]
      .filter((c) => !forward || c.subtaskIndex === spec.subtaskIndex)
      .sort((a, b) => a.subtaskIndex - b.subtaskIndex)
      .map((c) => {
        const header = { edgeId: channelId(out.edgeId, spec.attempt), consumer: c.subtaskIndex, producer: forward ? 0 : spec.subtaskIndex };
        return c.resourceId === resourceId ? new LocalChannelWriter(registry, header) : new RemoteChannelWriter(c.dataHost, c.dataPort, header);
      });
    const partitioner: Partitioner = marker.kind === 'keyBy'
      ? { kind: 'HASH', selector: marker.selector, maxParallelism: spec.maxParallelism }
      : forward ? { kind: 'FORWARD', index: 0 } : { kind: 'REBALANCE' };
    const rw = new RecordWriter(writers, partitioner);
    chain.tails.push(rw);
    chain.writers.push(rw);
    const from = (marker as { input: number }).input;
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
