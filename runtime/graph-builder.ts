/**
 * A recording `StreamEnvironment`: running a job function against it yields the
 * job's transformations. No operator runs here.
 */
import type {
  AggregateFunction, CollectionSourceOptions, DataStream, KeyedProcessFunction, KeyedStream, KeyValue, RedisStreamSinkOptions,
  RedisStreamSourceOptions, SinkDescriptor, StreamEntry, StreamEnvironment, WindowAssigner, WindowedStream, WindowResultFunction,
} from '../sdk/types.js';
import type { SinkSpec, Transformation } from './transformations.js';
import { InvalidJobError } from './errors.js';
import { validateAlignment } from './connectors/watermark-alignment.js';

interface SinkDescriptorImpl<T> extends SinkDescriptor<T> { spec: SinkSpec }

const positive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;

/** Validates an assigner (also hand-made ones passed to `window`) and returns it. */
function checkAssigner(a: WindowAssigner): WindowAssigner {
  if (!a || (a.kind !== 'tumbling-event-time' && a.kind !== 'sliding-event-time')) throw new InvalidJobError('window needs an assigner from env.windows');
  if (!positive(a.sizeMs)) throw new InvalidJobError(`window size must be a positive number of milliseconds, got ${a.sizeMs}`);
  if (a.kind === 'sliding-event-time') {
    if (!positive(a.slideMs)) throw new InvalidJobError(`window slide must be a positive number of milliseconds, got ${a.slideMs}`);
    if (a.slideMs > a.sizeMs) {
      throw new InvalidJobError(`window slide (${a.slideMs}ms) must not exceed the window size (${a.sizeMs}ms): records between windows would be lost`);
    }
  }
  return a;
}

const describeAssigner = (a: WindowAssigner): string =>
  a.kind === 'sliding-event-time' ? `Sliding ${a.sizeMs}ms/${a.slideMs}ms` : `Tumbling ${a.sizeMs}ms`;

export class GraphBuilder implements StreamEnvironment {
  readonly transformations: Transformation[] = [];
  jobName: string | undefined;
  readonly windows = {
    tumbling(sizeMs: number): WindowAssigner {
      return checkAssigner({ kind: 'tumbling-event-time', sizeMs });
    },
    sliding(sizeMs: number, slideMs: number): WindowAssigner {
      return checkAssigner({ kind: 'sliding-event-time', sizeMs, slideMs });
    },
  };

  constructor(readonly parallelism: number) {}

  setJobName(name: string): void {
    this.jobName = String(name);
  }

  fromRedisStreams(options: RedisStreamSourceOptions): DataStream<StreamEntry> {
    if (!options || typeof options.url !== 'string') throw new InvalidJobError('fromRedisStreams needs options.url (a redis:// URL)');
    if (!Array.isArray(options.streams) || options.streams.length === 0 || options.streams.some((s) => typeof s !== 'string' || !s)) {
      throw new InvalidJobError('fromRedisStreams needs options.streams, a non-empty list of stream keys');
    }
    validateAlignment(options.watermarks?.alignment);
    const id = this.add({ kind: 'source-redis', name: options.name ?? 'Redis Streams Source', options });
    return this.stream<StreamEntry>(id);
  }

  fromElements<T>(elements: T[], options: CollectionSourceOptions<T> = {}): DataStream<T> {
    if (!Array.isArray(elements)) throw new InvalidJobError('fromElements needs an array');
    const id = this.add({ kind: 'source-elements', name: options.name ?? 'Collection Source', elements, options });
    return this.stream<T>(id);
  }

  redisStreamSink<T>(options: RedisStreamSinkOptions<T>): SinkDescriptor<T> {
    if (!options || typeof options.url !== 'string' || typeof options.stream !== 'string' || typeof options.fields !== 'function') {
      throw new InvalidJobError('redisStreamSink needs { url, stream, fields(record) }');
    }
    const name = options.name ?? 'Redis Streams Sink';
    const d: SinkDescriptorImpl<T> = { kind: 'redis-stream', name, spec: { kind: 'redis-stream', name, options: options as RedisStreamSinkOptions<unknown> } };
    return d;
  }

  fileSink<T>(path: string, name = 'File Sink'): SinkDescriptor<T> {
    if (typeof path !== 'string' || !path) throw new InvalidJobError('fileSink needs a path');
    const d: SinkDescriptorImpl<T> = { kind: 'file', name, spec: { kind: 'file', name, path } };
    return d;
  }

  private add(t: object): number {
    const id = this.transformations.length;
    this.transformations.push({ ...t, id } as Transformation);
    return id;
  }

  private fn(f: unknown, what: string): void {
    if (typeof f !== 'function') throw new InvalidJobError(`${what} needs a function`);
  }

  private stream<T>(input: number): DataStream<T> {
    return {
      map: <O>(fn: (r: T) => O, name = 'Map') => { this.fn(fn, 'map'); return this.stream<O>(this.add({ kind: 'map', name, input, fn })); },
      filter: (fn: (r: T) => boolean, name = 'Filter') => { this.fn(fn, 'filter'); return this.stream<T>(this.add({ kind: 'filter', name, input, fn })); },
      flatMap: <O>(fn: (r: T) => Iterable<O>, name = 'FlatMap') => { this.fn(fn, 'flatMap'); return this.stream<O>(this.add({ kind: 'flatMap', name, input, fn })); },
      keyBy: <K extends KeyValue>(selector: (r: T) => K, name = 'KeyBy') => {
        this.fn(selector, 'keyBy');
        return this.keyed<T, K>(this.add({ kind: 'keyBy', name, input, selector }));
      },
      rebalance: (name = 'Rebalance') => this.stream<T>(this.add({ kind: 'rebalance', name, input })),
      forward: (name = 'Forward') => this.stream<T>(this.add({ kind: 'forward', name, input })),
      sinkTo: (sink: SinkDescriptor<T>) => {
        const spec = (sink as SinkDescriptorImpl<T>)?.spec;
        if (!spec) throw new InvalidJobError('sinkTo needs a sink made by env.redisStreamSink or env.fileSink');
        this.add({ kind: 'sink', name: spec.name, input, sink: spec });
      },
    };
  }

  private keyed<T, K extends KeyValue>(input: number): KeyedStream<T, K> {
    return {
      window: (assigner: WindowAssigner): WindowedStream<T, K> => {
        checkAssigner(assigner);
        const label = describeAssigner(assigner);
        const windowed = (aggregate: AggregateFunction<unknown, unknown, unknown>, result: unknown, name: string) =>
          this.add({ kind: 'window', name, input, assigner, aggregate, result });
        return {
          reduce: <O>(fn: (a: T, b: T) => T, result?: WindowResultFunction<K, T, O>, name?: string) => {
            this.fn(fn, 'reduce');
            const agg: AggregateFunction<T, { v?: T; has: boolean }, T> = {
              createAccumulator: () => ({ has: false }),
              add: (acc, r) => (acc.has ? { has: true, v: fn(acc.v as T, r) } : { has: true, v: r }),
              getResult: (acc) => acc.v as T,
            };
            return this.stream<O>(windowed(agg as AggregateFunction<unknown, unknown, unknown>, result, name ?? `Window(${label}, Reduce)`));
          },
          aggregate: <A, R, O>(fn: AggregateFunction<T, A, R>, result?: WindowResultFunction<K, R, O>, name?: string) => {
            if (!fn || typeof fn.createAccumulator !== 'function' || typeof fn.add !== 'function' || typeof fn.getResult !== 'function') {
              throw new InvalidJobError('aggregate needs { createAccumulator, add, getResult }');
            }
            return this.stream<O>(windowed(fn as AggregateFunction<unknown, unknown, unknown>, result, name ?? `Window(${label}, Aggregate)`));
          },
        };
      },
      process: <O>(fn: KeyedProcessFunction<T, K, O>, name = 'KeyedProcess'): DataStream<O> => {
        if (!fn || typeof fn.processElement !== 'function') throw new InvalidJobError('process needs { processElement(record, ctx), onTimer?(timestamp, ctx) }');
        if (fn.onTimer !== undefined && typeof fn.onTimer !== 'function') throw new InvalidJobError('process: onTimer must be a function when given');
        return this.stream<O>(this.add({ kind: 'process', name, input, fn }));
      },
    };
  }
}
