/**
 * ebbflow SDK: the types a job bundle is written against.
 *
 * ```ts
 * import type { JobFunction } from 'ebbflow/sdk';
 * const job: JobFunction = (env, args) => {
 *   env.fromElements([1, 2, 3]).map((x) => x * 2).sinkTo(env.fileSink('/tmp/out.jsonl'));
 * };
 * export default job;
 * ```
 */
export type {
  KeyValue, StreamEntry, WatermarkStrategy, WatermarkAlignmentOptions, RedisStreamSourceOptions, RedisStreamSinkOptions, CollectionSourceOptions,
  TimeWindow, WindowAssigner, AggregateFunction, WindowResultFunction, DataStream, KeyedStream, WindowedStream,
  SinkDescriptor, StreamEnvironment, JobFunction, TumblingWindowAssigner, SlidingWindowAssigner, KeyedProcessFunction, KeyedContext,
  ValueState, MapState, ListState,
} from './types.js';
export { defineJob } from './define-job.js';
