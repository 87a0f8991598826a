/**
 * The logical dataflow a job function records: a list of transformations, each
 * with at most one input. Both the JobMaster (to plan) and every TaskManager
 * (to instantiate operators with the user's closures) build it by running the
 * same job function, so ids are assigned deterministically in call order.
 */
import type {
  AggregateFunction, CollectionSourceOptions, KeyedProcessFunction, KeyValue, RedisStreamSinkOptions, RedisStreamSourceOptions, WindowAssigner,
  WindowResultFunction,
} from '../sdk/types.js';

export type SinkSpec =
  | { kind: 'redis-stream'; name: string; options: RedisStreamSinkOptions<unknown> }
  | { kind: 'file'; name: string; path: string };

interface Base { id: number; name: string }

export type Transformation =
  | (Base & { kind: 'source-redis'; options: RedisStreamSourceOptions })
  | (Base & { kind: 'source-elements'; elements: unknown[]; options: CollectionSourceOptions<unknown> })
  | (Base & { kind: 'map'; input: number; fn: (v: unknown) => unknown })
  | (Base & { kind: 'filter'; input: number; fn: (v: unknown) => boolean })
  | (Base & { kind: 'flatMap'; input: number; fn: (v: unknown) => Iterable<unknown> })
  | (Base & { kind: 'keyBy'; input: number; selector: (v: unknown) => string | number | bigint | boolean })
  /** Partition markers without a key: round-robin to every consumer, or one-to-one to the same subtask index. */
  | (Base & { kind: 'rebalance'; input: number })
  | (Base & { kind: 'forward'; input: number })
  | (Base & {
      kind: 'window'; input: number; assigner: WindowAssigner;
      aggregate: AggregateFunction<unknown, unknown, unknown>;
      result: WindowResultFunction<unknown, unknown, unknown> | undefined;
    })
  /** A keyed process function; its input is the keyBy, as for 'window'. */
  | (Base & { kind: 'process'; input: number; fn: KeyedProcessFunction<unknown, KeyValue, unknown> })
  | (Base & { kind: 'sink'; input: number; sink: SinkSpec });

export type TransformationKind = Transformation['kind'];

export function isSource(t: Transformation): boolean {
  return t.kind === 'source-redis' || t.kind === 'source-elements';
}

/** keyBy, rebalance and forward are not operators: they say how records reach the next vertex. */
export function isPartitionMarker(t: Transformation | undefined): t is Extract<Transformation, { kind: 'keyBy' | 'rebalance' | 'forward' }> {
  return t !== undefined && (t.kind === 'keyBy' || t.kind === 'rebalance' || t.kind === 'forward');
}

export function inputOf(t: Transformation): number | undefined {
  return 'input' in t ? t.input : undefined;
}
