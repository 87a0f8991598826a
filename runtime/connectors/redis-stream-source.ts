/**
 * Redis Streams source. Each stream key is a partition; a subtask reads its
 * partitions with XREAD (blocking briefly) and tracks, per partition, the
 * largest event time seen. Its watermark is the minimum over its partitions of
 * (largest ts − max out-of-orderness); a partition that has produced nothing
 * holds the watermark back, so windows never fire before every partition spoke.
 * A subtask that owns no partition emits +∞ (it will never produce).
 *
 * In-place rescaling moves partitions between subtasks at a checkpoint barrier:
 * a subtask stops reading the partitions it loses (their positions are in that
 * checkpoint), and the partitions it gains stay *pending* — not read, and
 * holding its watermark back — until their positions and event times are
 * loaded from the completed checkpoint. Only then does its watermark move
 * again, possibly lower than before (a gained partition may lag).
 */
import { Redis } from 'ioredis';
import type { RedisStreamSourceOptions } from '../../sdk/types.js';
import type { Collector } from '../elements.js';
import type { CheckpointedOperator } from '../operators/operator.js';
import type { SplitReport } from '../subtask-metrics.js';
import { assignedPartitions, type SourceReader } from './source.js';
import { parseRedisUrl, RedisXreadConnection, type StreamBatch } from './redis-xread-connection.js';
import { StreamReads, toBatches, type XreadReply } from './stream-reads.js';
import { parseStreamInfo, StreamBacklog } from './stream-backlog.js';
import { SourceAlignment } from './watermark-alignment.js';

/** Checkpointed per stream: the last entry id read, the largest event time seen, and the stream's entries-added count at that position (stream-backlog.ts). */
type SourceState = Record<string, { pos: string; maxTs: number | null; consumed?: number }>;
type OperatorStates = Array<{ state: unknown }>;

export class RedisStreamSourceReader implements SourceReader, CheckpointedOperator {
  private streams: string[];
  /** Owned streams whose position is not known yet (gained at a rescale): not read, and they hold the watermark. */
  private readonly pending = new Set<string>();
  private readonly positions = new Map<string, string>();
  private readonly maxTs = new Map<string, number>();
  /** For the backlog probe, `startFrom: 'latest'` and reads of URLs the reading connection does not handle. */
  private redis: Redis | undefined;
  /** The XREADs: read-ahead, blocking when there is nothing to read, woken by a checkpoint trigger (stream-reads.ts). */
  private readonly reads: StreamReads;
  private cancelled = false;
  private lastWatermark = -Infinity;
  /** Wall-clock time each stream last delivered an entry (or the reader opened). */
  private readonly lastActive = new Map<string, number>();
  private isIdle = false;

  private readonly restored = new Map<string, { pos: string; maxTs: number; consumed?: number }>();
  private readonly backlog = new StreamBacklog();
  /** The last read got everything there was (no stream's batch was cut at the batch size). */
  caughtUp = true;
  /** Metrics on: how often a poll also measures the backlog (XINFO STREAM); unset: never. */
  backlogEveryMs: number | undefined;
  private lastProbe = -Infinity;
  readonly alignment: SourceAlignment | undefined;

  constructor(readonly operatorId: number, private readonly options: RedisStreamSourceOptions, subtaskIndex: number, parallelism: number) {
    this.streams = assignedPartitions(options.streams, subtaskIndex, parallelism);
    const a = options.watermarks?.alignment;
    if (a) this.alignment = new SourceAlignment(a);
    const endpoint = parseRedisUrl(options.url);
    this.reads = new StreamReads(endpoint && new RedisXreadConnection(endpoint), () => this.connection());
  }

  /** Time spent in reads that blocked because nothing was there to read, ms since the reader started. */
  get waitedMs(): number { return this.reads.waitedMs; }

  /** How long a read with nothing to read waits for an entry (XREAD BLOCK), ms. */
  get blockMs(): number { return this.reads.blockMs; }
  set blockMs(ms: number) { this.reads.blockMs = ms; }

  /** Whether a poll is waiting for input now (a blocked read, or nothing to read). */
  get waitingForInput(): boolean { return this.reads.waiting; }

  /**
   * Ends a poll that is waiting for input (a blocked read, a pause of watermark alignment, the wait
   * of a subtask with nothing to read) so that the subtask can inject a barrier now, not when an
   * entry arrives or the read's block time runs out. A poll that is not waiting is not affected.
   */
  wake(): void {
    this.reads.wake();
    this.alignment?.cancel();
  }

  async open(): Promise<void> {
    for (const s of this.streams) if (!this.pending.has(s)) await this.startStream(s, this.restored.get(s));
  }

  private async connection(): Promise<Redis> {
    if (!this.redis) {
      this.redis = new Redis(this.options.url, { lazyConnect: true, maxRetriesPerRequest: null });
      this.redis.on('error', () => { /* reconnects on its own; the poll loop surfaces persistent failures */ });
      await this.redis.connect();
    }
    return this.redis;
  }

  /** Starts reading `s` from a restored position, or from the configured start. */
  private async startStream(s: string, r: { pos: string; maxTs: number; consumed?: number } | undefined): Promise<void> {
    this.lastActive.set(s, Date.now());
    if (r) {
      this.positions.set(s, r.pos);
      this.backlog.restore(s, r.consumed);
      if (Number.isFinite(r.maxTs)) this.maxTs.set(s, r.maxTs);
      return;
    }
    let pos = '0-0';
    if (this.options.startFrom === 'latest') {
      const last = (await (await this.connection()).xrevrange(s, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
      pos = last[0]?.[0] ?? '0-0';
    }
    this.positions.set(s, pos);
  }

  /** Streams being read now. */
  private active(): string[] {
    return this.pending.size ? this.streams.filter((s) => !this.pending.has(s)) : this.streams;
  }

  async pollNext(out: Collector): Promise<boolean> {
    if (this.cancelled) return false;
    this.reads.newPoll();
    let streams = this.active();
    if (streams.length === 0) {
      // Nothing to read: if streams are still to be loaded, wait for them without a watermark;
      // with no streams at all, this subtask never produces.
      if (this.pending.size === 0) {
        out.watermark(Infinity);
        this.alignment?.maybeReport(Infinity); // it holds no one back
      }
      await this.reads.idle(this.pending.size ? 20 : 200);
      return !this.cancelled;
    }
    const wmStrategy = this.options.watermarks;
    if (this.alignment && wmStrategy && this.pending.size === 0) {
      const read = this.aligned(streams, wmStrategy.maxOutOfOrdernessMs ?? 0, this.alignment);
      if (read.length === 0) {
        // Every partition is ahead of the group's bound: read nothing until it moves.
        this.emitWatermark(out, wmStrategy.maxOutOfOrdernessMs ?? 0, wmStrategy.idleTimeoutMs);
        if (!this.reads.woken) await this.alignment.pause();
        return !this.cancelled;
      }
      streams = read;
    }
    const count = this.options.batchSize ?? 1000;
    const ids = streams.map((s) => this.positions.get(s)!);
    let res: StreamBatch[] | null;
    try {
      const probe = this.backlogEveryMs !== undefined && performance.now() - this.lastProbe >= this.backlogEveryMs;
      if (probe) {
        await this.reads.dropAhead(); // its entries would come again from the probe's read
        res = toBatches(await this.readAndProbe(await this.connection(), streams, ids, count));
      }
      else res = await this.reads.next(count, streams, ids);
    } catch (err) {
      if (this.cancelled) return false;
      throw err;
    }
    if (res && !this.cancelled) {
      // Ask for the next batch now, from where this one ends.
      this.reads.readAhead(count, streams, streams.map((st, i) => res!.find((b) => b.stream === st)?.entries.at(-1)?.id ?? ids[i]!));
    }
    this.caughtUp = !res || !res.some((b) => b.entries.length >= count);
    if (res) {
      for (const { stream, entries } of res) {
        let max = this.maxTs.get(stream) ?? -Infinity;
        for (const entry of entries) {
          let ts: number | undefined;
          if (wmStrategy) {
            ts = wmStrategy.timestamp(entry);
            if (Number.isFinite(ts) && ts! > max) max = ts!;
          }
          out.collect(entry, ts);
        }
        this.maxTs.set(stream, max);
        this.backlog.read(stream, entries.length);
        if (entries.length) this.lastActive.set(stream, Date.now());
        const last = entries[entries.length - 1];
        if (last) this.positions.set(stream, last.id);
      }
    }
    if (wmStrategy && this.pending.size === 0) this.emitWatermark(out, wmStrategy.maxOutOfOrdernessMs ?? 0, wmStrategy.idleTimeoutMs);
    return true;
  }

  /**
   * A read that also measures the backlog: XINFO STREAM of each stream and a non-blocking XREAD in
   * one MULTI, so no entry is added in between (an empty result: the next poll blocks as usual).
   */
  private async readAndProbe(redis: Redis, streams: string[], ids: string[], count: number): Promise<XreadReply> {
    this.lastProbe = performance.now();
    const m = redis.multi();
    for (const s of streams) m.call('XINFO', 'STREAM', s);
    m.xread('COUNT', count, 'STREAMS', ...streams, ...ids);
    const results = (await m.exec()) ?? [];
    const readResult = results[streams.length];
    if (!readResult || readResult[0]) throw readResult?.[0] ?? new Error('the backlog probe (MULTI) was discarded');
    const res = readResult[1] as XreadReply;
    const got = new Map((res ?? []).map(([s, entries]) => [s, entries.length]));
    streams.forEach((s, i) => {
      // An error here is "no such key" (nothing written to the stream yet): no backlog.
      const [err, reply] = results[i] ?? [null, undefined];
      this.backlog.probed(s, err ? 'no such key' : parseStreamInfo(reply), ids[i]!, got.get(s) ?? 0, count);
    });
    return res;
  }

  /**
   * Watermark alignment: reports this subtask's watermark (+Infinity when idle) when due, and keeps
   * the partitions whose own watermark is within the group's bound.
   */
  private aligned(streams: string[], ooo: number, alignment: SourceAlignment): string[] {
    alignment.maybeReport(this.isIdle ? Infinity : this.lastWatermark);
    const bound = alignment.boundFor(this.lastWatermark);
    if (bound === Infinity) return streams;
    return streams.filter((s) => (this.maxTs.get(s) ?? -Infinity) - ooo <= bound);
  }

  /** Records read so far, over all streams. */
  get recordsRead(): number { return this.backlog.total; }

  splits(): SplitReport[] { return this.backlog.reports(this.streams); }

  private emitWatermark(out: Collector, ooo: number, idleAfter: number | undefined): void {
    const now = Date.now();
    // Streams silent for longer than the idle timeout do not hold the watermark back. When all are
    // silent, the streams that ever delivered still count at their last event time; only when none
    // ever did is the subtask idle (its consumers then leave it out).
    let counted = idleAfter === undefined ? this.streams : this.streams.filter((s) => now - this.lastActive.get(s)! < idleAfter);
    if (counted.length === 0) counted = this.streams.filter((s) => Number.isFinite(this.maxTs.get(s) ?? -Infinity));
    if (counted.length === 0) {
      if (!this.isIdle) { this.isIdle = true; out.idle?.(true); }
      return;
    }
    if (this.isIdle) { this.isIdle = false; out.idle?.(false); }
    let wm = Infinity;
    for (const s of counted) wm = Math.min(wm, (this.maxTs.get(s) ?? -Infinity) - ooo);
    if (wm > this.lastWatermark) {
      this.lastWatermark = wm;
      out.watermark(wm);
    }
  }

  snapshotOperatorState(): SourceState {
    const out: SourceState = {};
    for (const s of this.active()) {
      const max = this.maxTs.get(s);
      const consumed = this.backlog.consumedAt(s);
      out[s] = { pos: this.positions.get(s) ?? '0-0', maxTs: max !== undefined && Number.isFinite(max) ? max : null, ...(consumed !== undefined ? { consumed } : {}) };
    }
    return out;
  }

  /** Takes the positions of the streams this subtask now owns, whoever owned them before. */
  restoreOperatorState(states: OperatorStates): void {
    for (const [s, v] of this.statesOf(states, new Set(this.streams))) this.restored.set(s, v);
  }

  private statesOf(states: OperatorStates, wanted: Set<string>): Map<string, { pos: string; maxTs: number; consumed?: number }> {
    const out = new Map<string, { pos: string; maxTs: number; consumed?: number }>();
    for (const { state } of states) {
      for (const [stream, v] of Object.entries((state ?? {}) as SourceState)) {
        if (wanted.has(stream)) out.set(stream, { pos: v.pos, maxTs: v.maxTs ?? -Infinity, consumed: typeof v.consumed === 'number' ? v.consumed : undefined });
      }
    }
    return out;
  }

  /**
   * Rescale barrier: from now on this subtask owns the streams of (subtaskIndex, parallelism).
   * Lost streams are forgotten; gained ones (all of them with `all`) stay pending until `loadStreams`.
   * Returns the number of pending streams.
   */
  reassign(subtaskIndex: number, parallelism: number, all = false): number {
    const next = assignedPartitions(this.options.streams, subtaskIndex, parallelism);
    const kept = new Set(all ? [] : this.streams);
    for (const s of this.streams) {
      if (next.includes(s)) continue;
      this.positions.delete(s);
      this.maxTs.delete(s);
      this.lastActive.delete(s);
      this.pending.delete(s);
      this.backlog.forget(s);
    }
    for (const s of next) if (!kept.has(s)) this.pending.add(s);
    this.streams = next;
    // A gained stream may lag: the watermark must be free to go back to its true minimum once it loads.
    if (this.pending.size) this.lastWatermark = -Infinity;
    return this.pending.size;
  }

  /** Loads the pending streams' positions from the rescale checkpoint's operator states. */
  async loadStreams(states: OperatorStates): Promise<number> {
    const found = this.statesOf(states, this.pending);
    const n = this.pending.size;
    for (const s of [...this.pending]) {
      await this.startStream(s, found.get(s));
      this.pending.delete(s);
    }
    return n;
  }

  cancel(): void {
    this.cancelled = true;
    this.alignment?.cancel();
    this.redis?.disconnect();
    this.reads.close();
  }

  async close(): Promise<void> {
    this.cancelled = true;
    this.redis?.disconnect();
    this.reads.close();
  }
}
