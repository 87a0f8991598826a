/**
 * Redis Streams source. Each stream key is a partition; a subtask reads its
 * partitions with XREAD (blocking briefly) and tracks, per partition, the
 * largest event time seen. Its watermark is the minimum over its partitions of
 * (largest ts − max out-of-orderness); a partition that has produced nothing
 * holds the watermark back, so windows never fire before every partition spoke.
 * A subtask that owns no partition emits +∞ (it will never produce).
 */
import { Redis } from 'ioredis';
import type { RedisStreamSourceOptions, StreamEntry } from '../../sdk/types.js';
import type { Collector } from '../elements.js';
import type { CheckpointedOperator } from '../operators/operator.js';
import { assignedPartitions, type SourceReader } from './source.js';

/** Checkpointed per stream: the last entry id read and the largest event time seen. */
type SourceState = Record<string, { pos: string; maxTs: number | null }>;

export class RedisStreamSourceReader implements SourceReader, CheckpointedOperator {
  private readonly streams: string[];
  private readonly positions = new Map<string, string>();
  private readonly maxTs = new Map<string, number>();
  private redis: Redis | undefined;
  private cancelled = false;
  private lastWatermark = -Infinity;
  /** Wall-clock time each stream last delivered an entry (or the reader opened). */
  private readonly lastActive = new Map<string, number>();
  private isIdle = false;

  private readonly restored = new Map<string, { pos: string; maxTs: number }>();

  constructor(readonly operatorId: number, private readonly options: RedisStreamSourceOptions, subtaskIndex: number, parallelism: number) {
    this.streams = assignedPartitions(options.streams, subtaskIndex, parallelism);
  }

  async open(): Promise<void> {
    if (this.streams.length === 0) return;
    for (const s of this.streams) this.lastActive.set(s, Date.now());
    this.redis = new Redis(this.options.url, { lazyConnect: true, maxRetriesPerRequest: null });
    this.redis.on('error', () => { /* reconnects on its own; the poll loop surfaces persistent failures */ });
    await this.redis.connect();
    for (const s of this.streams) {
      const r = this.restored.get(s);
      if (r) {
        this.positions.set(s, r.pos);
        if (Number.isFinite(r.maxTs)) this.maxTs.set(s, r.maxTs);
        continue;
      }
      let pos = '0-0';
      if (this.options.startFrom === 'latest') {
        const last = (await this.redis.xrevrange(s, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
        pos = last[0]?.[0] ?? '0-0';
      }
      this.positions.set(s, pos);
    }
  }

  async pollNext(out: Collector): Promise<boolean> {
    if (this.cancelled) return false;
    if (!this.redis) {
      out.watermark(Infinity);
      // Nothing to read: idle until cancelled without spinning.
      await new Promise((r) => setTimeout(r, 200));
      return !this.cancelled;
    }
    const count = this.options.batchSize ?? 1000;
    const ids = this.streams.map((s) => this.positions.get(s)!);
    let res: Array<[string, Array<[string, string[]]>]> | null;
    try {
      res = (await this.redis.xread('COUNT', count, 'BLOCK', 200, 'STREAMS', ...this.streams, ...ids)) as typeof res;
    } catch (err) {
      if (this.cancelled) return false;
      throw err;
    }
    const wmStrategy = this.options.watermarks;
    if (res) {
      for (const [stream, entries] of res) {
        let max = this.maxTs.get(stream) ?? -Infinity;
        for (const [id, flat] of entries) {
          const fields: Record<string, string> = {};
          for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
          const entry: StreamEntry = { stream, id, fields };
          let ts: number | undefined;
          if (wmStrategy) {
            ts = wmStrategy.timestamp(entry);
            if (Number.isFinite(ts) && ts! > max) max = ts!;
          }
          out.collect(entry, ts);
        }
        this.maxTs.set(stream, max);
        if (entries.length) this.lastActive.set(stream, Date.now());
        const last = entries[entries.length - 1];
        if (last) this.positions.set(stream, last[0]);
      }
    }
    if (wmStrategy) {
      const ooo = wmStrategy.maxOutOfOrdernessMs ?? 0;
      const idleAfter = wmStrategy.idleTimeoutMs;
      const now = Date.now();
      // Streams silent for longer than the idle timeout do not hold the watermark back. When all are
      // silent, the streams that ever delivered still count at their last event time; only when none
      // ever did is the subtask idle (its consumers then leave it out).
      let counted = idleAfter === undefined ? this.streams : this.streams.filter((s) => now - this.lastActive.get(s)! < idleAfter);
      if (counted.length === 0) counted = this.streams.filter((s) => Number.isFinite(this.maxTs.get(s) ?? -Infinity));
      if (counted.length === 0) {
        if (!this.isIdle) { this.isIdle = true; out.idle?.(true); }
        return true;
      }
      if (this.isIdle) { this.isIdle = false; out.idle?.(false); }
      let wm = Infinity;
      for (const s of counted) wm = Math.min(wm, (this.maxTs.get(s) ?? -Infinity) - ooo);
      if (wm > this.lastWatermark) {
        this.lastWatermark = wm;
        out.watermark(wm);
      }
    }
    return true;
  }

  snapshotOperatorState(): SourceState {
    const out: SourceState = {};
    for (const s of this.streams) {
      const max = this.maxTs.get(s);
      out[s] = { pos: this.positions.get(s) ?? '0-0', maxTs: max !== undefined && Number.isFinite(max) ? max : null };
    }
    return out;
  }

  /** Takes the positions of the streams this subtask now owns, whoever owned them before. */
  restoreOperatorState(states: Array<{ state: unknown }>): void {
    const mine = new Set(this.streams);
    for (const { state } of states) {
      for (const [stream, v] of Object.entries((state ?? {}) as SourceState)) {
        if (mine.has(stream)) this.restored.set(stream, { pos: v.pos, maxTs: v.maxTs ?? -Infinity });
      }
    }
  }

  cancel(): void {
    this.cancelled = true;
    this.redis?.disconnect();
  }

  async close(): Promise<void> {
    this.cancelled = true;
    this.redis?.disconnect();
  }
}
