/**
 * One running subtask: a vertex's chain of operators instantiated for one
 * subtask index, fed either by a source reader or by its input gate, and
 * ending in sinks and record writers. Every batch is followed by a flush of
 * all tails, which waits for channel capacity (back-pressure) and for sinks.
 */
import { ElementsSourceReader } from './connectors/elements-source.js';
import { RedisStreamSourceReader } from './connectors/redis-stream-source.js';
import type { SourceReader } from './connectors/source.js';
import { FileSink, RedisStreamSink } from './connectors/sinks.js';
import { END, FanOut, RECORD, WATERMARK, type Collector, type Flushable } from './elements.js';
import type { JobPlan } from './plan.js';
import type { ChannelRegistry } from './network/channel-registry.js';
import { LocalChannelWriter, RemoteChannelWriter, type ChannelWriter } from './network/channel-writer.js';
import { RecordWriter, type Partitioner } from './network/record-writer.js';
import { FilterOperator, FlatMapOperator, MapOperator } from './operators/simple.js';
import { TumblingWindowOperator } from './operators/window-operator.js';
import type { Transformation } from './transformations.js';

export interface SubtaskLocation { subtaskIndex: number; resourceId: string; dataHost: string; dataPort: number }
export interface OutputSpec { edgeId: string; targetVertexId: string; partitioning: 'FORWARD' | 'HASH' | 'REBALANCE'; consumers: SubtaskLocation[] }
export interface InputSpec { edgeId: string; sourceVertexId: string; producerCount: number }

export interface SubtaskSpec {
  executionId: string;
  vertexId: string;
  subtaskIndex: number;
  parallelism: number;
  maxParallelism: number;
  outputs: OutputSpec[];
  inputs: InputSpec[];
}

export interface SubtaskServices {
  registry: ChannelRegistry;
  /** This TaskManager's resource id: consumers with the same id are reached in memory. */
  resourceId: string;
}

export type SubtaskOutcome = 'FINISHED' | 'CANCELED';

export class Subtask {
  private cancelled = false;
  private source: SourceReader | undefined;
  private head: Collector | undefined;
  private readonly tails: Flushable[] = [];

  constructor(private readonly plan: JobPlan, private readonly spec: SubtaskSpec, private readonly services: SubtaskServices) {}

  /** Builds the chain; throws if the plan does not know the vertex. */
  private build(): void {
    const vertex = this.plan.graph.vertices.find((v) => v.id === this.spec.vertexId);
    if (!vertex) throw new Error(`vertex ${this.spec.vertexId} is not in the job graph built from the bundle (was the bundle changed?)`);
    const ts = this.plan.transformations;
    const inVertex = new Set(vertex.operators);
    const built = new Map<number, Collector>();
    const writersFor = new Map<number, RecordWriter[]>();
    for (const out of this.spec.outputs) {
      const edge = this.plan.graph.edges.find((e) => e.id === out.edgeId);
      if (!edge || edge.keyBy === undefined) throw new Error(`unknown output edge ${out.edgeId}`);
      const keyBy = ts[edge.keyBy] as Extract<Transformation, { kind: 'keyBy' }>;
      const writers: ChannelWriter[] = out.consumers
        .slice()
        .sort((a, b) => a.subtaskIndex - b.subtaskIndex)
        .map((c) => {
          const header = { edgeId: out.edgeId, consumer: c.subtaskIndex, producer: this.spec.subtaskIndex };
          return c.resourceId === this.services.resourceId
            ? new LocalChannelWriter(this.services.registry, header)
            : new RemoteChannelWriter(c.dataHost, c.dataPort, header);
        });
      const partitioner: Partitioner = out.partitioning === 'HASH'
        ? { kind: 'HASH', selector: keyBy.selector, maxParallelism: this.spec.maxParallelism }
        : out.partitioning === 'FORWARD' ? { kind: 'FORWARD', index: this.spec.subtaskIndex } : { kind: 'REBALANCE' };
      const rw = new RecordWriter(writers, partitioner);
      this.tails.push(rw);
      writersFor.set(keyBy.input, [...(writersFor.get(keyBy.input) ?? []), rw]);
    }
    const downstream = (id: number): Collector => {
      const outs: Collector[] = [...(writersFor.get(id) ?? [])];
      for (const t of ts) if ('input' in t && t.input === id && inVertex.has(t.id)) outs.push(built.get(t.id)!);
      return outs.length === 1 ? outs[0]! : new FanOut(outs);
    };
    for (const id of [...vertex.operators].reverse()) {
      const t = ts[id]!;
      switch (t.kind) {
        case 'map': built.set(id, new MapOperator(t.fn, downstream(id))); break;
        case 'filter': built.set(id, new FilterOperator(t.fn, downstream(id))); break;
        case 'flatMap': built.set(id, new FlatMapOperator(t.fn, downstream(id))); break;
        case 'window': {
          const keyBy = ts[t.input] as Extract<Transformation, { kind: 'keyBy' }>;
          built.set(id, new TumblingWindowOperator(keyBy.selector, t.assigner, t.aggregate, t.result, this.spec.maxParallelism, downstream(id)));
          break;
        }
        case 'sink': {
          const sink = t.sink.kind === 'redis-stream' ? new RedisStreamSink(t.sink.options) : new FileSink(t.sink.path);
          this.tails.push(sink);
          built.set(id, sink);
          break;
        }
        case 'source-redis':
          this.source = new RedisStreamSourceReader(t.options, this.spec.subtaskIndex, this.spec.parallelism);
          built.set(id, downstream(id));
          break;
        case 'source-elements':
          this.source = new ElementsSourceReader(t.elements, t.options, this.spec.subtaskIndex, this.spec.parallelism);
          built.set(id, downstream(id));
          break;
        case 'keyBy': break;
      }
    }
    this.head = built.get(vertex.operators[0]!)!;
  }

  private async flush(): Promise<void> {
    for (const t of this.tails) await t.flush();
  }

  /** Runs until the input ends (FINISHED) or `cancel` is called (CANCELED); rejects on failure. */
  async run(): Promise<SubtaskOutcome> {
    this.build();
    try {
      if (this.source) await this.runSource(this.source);
      else await this.runInputs();
      return this.cancelled ? 'CANCELED' : 'FINISHED';
    } finally {
      for (const t of this.tails) await t.close().catch(() => {});
      await this.source?.close().catch(() => {});
      for (const i of this.spec.inputs) this.services.registry.release(i.edgeId, this.spec.subtaskIndex);
    }
  }

  private async runSource(source: SourceReader): Promise<void> {
    await source.open();
    const head = this.head!;
    while (!this.cancelled) {
      const more = await source.pollNext(head);
      if (this.cancelled) return;
      await this.flush();
      if (!more) break;
    }
    if (this.cancelled) return;
    head.end();
    await this.flush();
  }

  private async runInputs(): Promise<void> {
    const input = this.spec.inputs[0];
    if (!input) throw new Error('a non-source vertex needs an input');
    const gate = this.services.registry.gate(input.edgeId, this.spec.subtaskIndex);
    const head = this.head!;
    const wms = new Array<number>(input.producerCount).fill(-Infinity);
    let current = -Infinity;
    let ended = 0;
    while (!this.cancelled && ended < input.producerCount) {
      const item = await gate.next();
      if (!item) return;
      for (const el of item.batch) {
        if (el.t === RECORD) head.collect(el.v, el.ts);
        else {
          if (el.t === END) { ended++; wms[item.channel] = Infinity; } else if (el.t === WATERMARK) wms[item.channel] = Math.max(wms[item.channel]!, el.wm);
          let min = Infinity;
          for (const w of wms) if (w < min) min = w;
          if (min > current) { current = min; head.watermark(min); }
        }
      }
      await this.flush();
    }
    if (this.cancelled) return;
    head.end();
    await this.flush();
  }

  cancel(): void {
    this.cancelled = true;
    this.source?.cancel();
    for (const i of this.spec.inputs) this.services.registry.release(i.edgeId, this.spec.subtaskIndex);
  }
}
