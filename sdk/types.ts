/**
 * The job-authoring API. A bundle's entry export is a `JobFunction`: it receives
 * a `StreamEnvironment` and the program arguments and describes a dataflow.
 * Bundles need no runtime import of ebbflow; `import type` these declarations.
 */
export type KeyValue = string | number | bigint | boolean;

/** One entry of a Redis stream as the Redis Streams source emits it. */
export interface StreamEntry {
  /** The stream key (one stream = one input partition). */
  stream: string;
  /** The entry id, e.g. "1700000000000-0". */
  id: string;
  fields: Record<string, string>;
}

export interface WatermarkStrategy<T> {
  /** Event time of a record, epoch milliseconds. */
  timestamp: (record: T) => number;
  /** Bounded out-of-orderness: watermark = max ts seen − this. @default 0 */
  maxOutOfOrdernessMs?: number;
  /**
   * A partition (stream) that delivers nothing for this long stops holding the
   * watermark back until it delivers again; when all of a subtask's partitions
   * are idle, its consumers leave it out of their watermark minimum.
   * @default undefined (never idle: an empty partition holds the watermark back)
   */
  idleTimeoutMs?: number;
  /**
   * Watermark alignment (Flink's `withWatermarkAlignment`, FLIP-182): the source subtasks of one
   * group read only while their watermark is at most the group's lowest watermark + `maxDriftMs`,
   * and within a subtask only the partitions that are (FLIP-217), so sources reading backlogs at
   * different speeds do not drift apart in event time. Off when unset.
   */
  alignment?: WatermarkAlignmentOptions;
}

export interface WatermarkAlignmentOptions {
  /** Sources (of this job) with the same group are aligned with each other. */
  group: string;
  /** How far (ms of event time) a source may run ahead of the group's slowest. */
  maxDriftMs: number;
  /** How often each source subtask reports its watermark and learns the group's bound. @default 1000 */
  updateIntervalMs?: number;
}

export interface RedisStreamSourceOptions<T = StreamEntry> {
  /** Redis URL, e.g. redis://127.0.0.1:6379. */
  url: string;
  /** Stream keys; each is one partition, spread round-robin over source subtasks. */
  streams: string[];
  /** Where to start reading. @default 'earliest' */
  startFrom?: 'earliest' | 'latest';
  /** Per-partition event-time watermarks (the minimum over partitions is emitted). */
  watermarks?: WatermarkStrategy<StreamEntry>;
  /** Entries per XREAD. @default 1000 */
  batchSize?: number;
  /** Operator name shown in the job graph. @default 'Redis Streams Source' */
  name?: string;
  /** Internal marker for typing; leave unset. */
  readonly __type?: T;
}

export interface RedisStreamSinkOptions<T> {
  url: string;
  stream: string;
  /** Turns a record into the entry's fields. */
  fields: (record: T) => Record<string, string | number>;
  /** @default 'Redis Streams Sink' */
  name?: string;
}

export interface CollectionSourceOptions<T> {
  /** Event time of each element, if the job uses event time. */
  timestamp?: (record: T) => number;
  name?: string;
}

export interface TimeWindow {
  /** Inclusive start, epoch ms. */
  start: number;
  /** Exclusive end, epoch ms. */
  end: number;
}

export interface TumblingWindowAssigner {
  readonly kind: 'tumbling-event-time';
  readonly sizeMs: number;
}

/** Windows of `sizeMs` starting every `slideMs` (0 < slide ≤ size): a record belongs to up to ceil(size / slide) windows. */
export interface SlidingWindowAssigner {
  readonly kind: 'sliding-event-time';
  readonly sizeMs: number;
  readonly slideMs: number;
}

/** Made by `env.windows`; event-time windows [start, start + sizeMs). */
export type WindowAssigner = TumblingWindowAssigner | SlidingWindowAssigner;

export interface AggregateFunction<T, A, R> {
  createAccumulator: () => A;
  add: (accumulator: A, record: T) => A;
  getResult: (accumulator: A) => R;
}

/** Called once per fired window with the key, the window and the aggregate. */
export type WindowResultFunction<K, R, O> = (key: K, window: TimeWindow, result: R) => O;

export interface DataStream<T> {
  map<O>(fn: (record: T) => O, name?: string): DataStream<O>;
  filter(fn: (record: T) => boolean, name?: string): DataStream<T>;
  flatMap<O>(fn: (record: T) => Iterable<O>, name?: string): DataStream<O>;
  keyBy<K extends KeyValue>(selector: (record: T) => K, name?: string): KeyedStream<T, K>;
  /** Spreads records round-robin over the next operator's subtasks (a new vertex behind a REBALANCE edge). */
  rebalance(name?: string): DataStream<T>;
  /** Ends the chain here: the next operator runs in its own vertex, subtask i fed by subtask i (FORWARD edge). */
  forward(name?: string): DataStream<T>;
  sinkTo(sink: SinkDescriptor<T>): void;
}

export interface KeyedStream<T, K extends KeyValue> {
  window(assigner: WindowAssigner): WindowedStream<T, K>;
  /** Runs `fn` per record with state scoped to the record's key and event-time timers. */
  process<O>(fn: KeyedProcessFunction<T, K, O>, name?: string): DataStream<O>;
}

/** Keyed state holding one value. */
export interface ValueState<V> {
  get(): V | undefined;
  set(value: V): void;
  clear(): void;
}

/** Keyed state holding a map (keys compared as Map keys: 1 and "1" differ). */
export interface MapState<MK extends string | number, MV> {
  get(key: MK): MV | undefined;
  set(key: MK, value: MV): void;
  has(key: MK): boolean;
  /** True when the key was present. */
  delete(key: MK): boolean;
  /** A copy of the keys, in insertion order. */
  keys(): MK[];
  /** A copy of the entries, in insertion order. */
  entries(): Array<[MK, MV]>;
  clear(): void;
}

/** Keyed state holding a list. */
export interface ListState<V> {
  /** A copy of the list (empty when nothing was added). */
  get(): V[];
  add(value: V): void;
  clear(): void;
}

/**
 * What `processElement` and `onTimer` receive. State and timers are scoped to
 * `key`; the context is only valid during the call.
 */
export interface KeyedContext<K, O> {
  readonly key: K;
  /** Event time of the current record (or the timer's timestamp in onTimer). */
  readonly timestamp: number | undefined;
  readonly currentWatermark: number;
  /** Emits a record carrying `timestamp`, or else the current record's/timer's timestamp. */
  emit(value: O, timestamp?: number): void;
  readonly state: {
    value<V>(name: string): ValueState<V>;
    map<MK extends string | number, MV>(name: string): MapState<MK, MV>;
    list<V>(name: string): ListState<V>;
  };
  readonly timers: {
    /** onTimer(ts) runs once for this key when the watermark reaches ts (registering twice is once). */
    registerEventTimeTimer(timestamp: number): void;
    deleteEventTimeTimer(timestamp: number): void;
  };
}

export interface KeyedProcessFunction<T, K, O> {
  processElement(record: T, ctx: KeyedContext<K, O>): void;
  /** Called for each timer of a key once the watermark reaches its timestamp, in (timestamp, key) order. */
  onTimer?(timestamp: number, ctx: KeyedContext<K, O>): void;
}

export interface WindowedStream<T, K extends KeyValue> {
  reduce<O = T>(fn: (a: T, b: T) => T, result?: WindowResultFunction<K, T, O>, name?: string): DataStream<O>;
  aggregate<A, R, O = R>(fn: AggregateFunction<T, A, R>, result?: WindowResultFunction<K, R, O>, name?: string): DataStream<O>;
}

/** Opaque sink description made by the environment's sink factories. */
export interface SinkDescriptor<T> {
  readonly kind: string;
  readonly name: string;
  readonly __type?: T;
}

export interface StreamEnvironment {
  /** The job's parallelism as requested at submission. */
  readonly parallelism: number;
  /** Names the job (shown in the REST API). @default the bundle's file name */
  setJobName(name: string): void;
  fromRedisStreams(options: RedisStreamSourceOptions): DataStream<StreamEntry>;
  /** A bounded source; the job FINISHES when every source has ended. */
  fromElements<T>(elements: T[], options?: CollectionSourceOptions<T>): DataStream<T>;
  redisStreamSink<T>(options: RedisStreamSinkOptions<T>): SinkDescriptor<T>;
  /** Appends each record as one JSON line to a file (for tests and debugging; parallelism 1). */
  fileSink<T>(path: string, name?: string): SinkDescriptor<T>;
  readonly windows: {
    tumbling(sizeMs: number): WindowAssigner;
    /** Windows of `sizeMs` that start every `slideMs`; needs 0 < slideMs ≤ sizeMs. */
    sliding(sizeMs: number, slideMs: number): WindowAssigner;
  };
}

/** What a bundle's entry export must be. It may be async. */
export type JobFunction = (env: StreamEnvironment, args: string[]) => void | Promise<void>;
