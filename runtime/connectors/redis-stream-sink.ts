/**
 * Redis Streams sink.
 *
 * With checkpointing (the default) it is exactly-once: output since the last
 * barrier is held back; at a barrier it becomes that checkpoint's pending
 * output (and part of the snapshot); when the JobMaster reports the checkpoint
 * complete, it is appended with XADD. Every append goes through one Lua script
 * that also records, in the hash `<stream>:ebbflow-commits`, the last
 * (checkpoint, chunk) each writer appended, and skips what is already there. A
 * restored subtask appends the pending output of the snapshot it restores, so
 * output of a completed checkpoint appears once, whatever fails when.
 *
 * Without checkpointing it appends at every flush (at-least-once).
 */
import { Redis, type Result } from 'ioredis';
import type { RedisStreamSinkOptions } from '../../sdk/types.js';
import type { Collector, Flushable } from '../elements.js';
import type { CheckpointedOperator } from '../operators/operator.js';

type Entry = string[]; // flat field/value list
interface Pending { checkpointId: number; entries: Entry[] }
interface SinkState { writer: string; pending: Pending[] }

export const COMMIT_MARKER_SUFFIX = ':ebbflow-commits';
/** Entries per atomic append. */
const CHUNK = 500;

// KEYS[1] stream, KEYS[2] commit-marker hash. ARGV[1] writer id, ARGV[2] sequence number
// (checkpoint * 1e6 + chunk), ARGV[3..] the entries, each as its field count followed by its fields.
// Appends the entries unless the writer's recorded sequence is already >= ARGV[2].
// Returns the number of entries appended.
const COMMIT_LUA = `
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1')
if last >= tonumber(ARGV[2]) then return 0 end
local i, count = 3, 0
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + n))
  i = i + n + 1
  count = count + 1
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return count
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ebbflowSinkCommit(stream: string, marker: string, writer: string, seq: string, ...entries: string[]): Result<number, Context>;
  }
}

export class RedisStreamSink implements Collector, Flushable, CheckpointedOperator {
  private buffer: Entry[] = [];
  private pending: Pending[] = [];
  private readonly redis: Redis;
  private commits: Promise<void> = Promise.resolve();
  /** Records taken (the subtask's numRecordsOut; exactly-once: appended when their checkpoint completes). */
  recordsOut = 0;
  /** The last snapshot took no output (or there was none yet). */
  private lastSnapshotEmpty = true;

  /**
   * @param writer identity under which this subtask's appends are recorded, e.g. `<jobId>/<vertexId>/<subtask>`
   * @param exactlyOnce hold output until checkpoints complete
   */
  constructor(
    readonly operatorId: number,
    private readonly options: RedisStreamSinkOptions<unknown>,
    private readonly writer: string,
    private readonly subtaskIndex: number,
    private readonly parallelism: number,
    private readonly exactlyOnce: boolean,
  ) {
    this.redis = new Redis(options.url, { maxRetriesPerRequest: null });
    this.redis.on('error', () => { /* reconnects on its own */ });
    this.redis.defineCommand('ebbflowSinkCommit', { numberOfKeys: 2, lua: COMMIT_LUA });
  }

  collect(v: unknown): void {
    this.recordsOut++;
    const fields = this.options.fields(v);
    const flat: string[] = [];
    for (const [k, val] of Object.entries(fields)) flat.push(k, String(val));
    this.buffer.push(flat);
  }

  watermark(): void {}
  end(): void {}

  /** At-least-once mode appends now; exactly-once mode waits for the checkpoint. */
  async flush(): Promise<void> {
    if (this.exactlyOnce || this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    const p = this.redis.pipeline();
    for (const flat of batch) p.xadd(this.options.stream, '*', ...flat);
    const results = await p.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw new Error(`XADD to ${this.options.stream} failed: ${failed[0]!.message}`);
  }

  get outputWaitingAfterQuiet(): boolean { return this.exactlyOnce && this.lastSnapshotEmpty && this.buffer.length > 0; }

  snapshotOperatorState(checkpointId: number): SinkState {
    this.lastSnapshotEmpty = this.buffer.length === 0;
    if (this.exactlyOnce) {
      this.pending.push({ checkpointId, entries: this.buffer });
      this.buffer = [];
    }
    return { writer: this.writer, pending: this.pending.map((p) => ({ checkpointId: p.checkpointId, entries: p.entries })) };
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    const due = this.pending.filter((p) => p.checkpointId <= checkpointId);
    this.pending = this.pending.filter((p) => p.checkpointId > checkpointId);
    await this.enqueue(() => this.append(this.writer, due));
  }

  /** Appends the pending output of the restored snapshot that this subtask inherits (old subtask j → j mod p). */
  async restoreOperatorState(states: Array<{ subtaskIndex: number; state: unknown }>): Promise<void> {
    for (const { subtaskIndex, state } of states) {
      if (subtaskIndex % this.parallelism !== this.subtaskIndex) continue;
      const s = state as SinkState | undefined;
      if (s?.pending?.length) await this.enqueue(() => this.append(s.writer, s.pending));
    }
  }

  /** End of a bounded input: nothing will be replayed, so the rest is appended now. */
  async finish(): Promise<void> {
    // The largest checkpoint id whose sequence numbers (id * 1e6 + chunk) stay exact in Lua's doubles.
    const last = [...this.pending, { checkpointId: Math.floor(Number.MAX_SAFE_INTEGER / 1e6) - 1, entries: this.buffer }];
    this.pending = [];
    this.buffer = [];
    await this.enqueue(() => this.append(this.writer, last));
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.commits = this.commits.then(work);
    return this.commits;
  }

  private async append(writer: string, batches: Pending[]): Promise<void> {
    const marker = this.options.stream + COMMIT_MARKER_SUFFIX;
    for (const { checkpointId, entries } of batches) {
      for (let c = 0, chunk = 0; c < entries.length; c += CHUNK, chunk++) {
        const args = entries.slice(c, c + CHUNK).flatMap((e) => [String(e.length), ...e]);
        await this.redis.ebbflowSinkCommit(this.options.stream, marker, writer, String(Math.floor(checkpointId) * 1e6 + chunk), ...args);
      }
    }
  }

  async close(): Promise<void> {
    // Appends in flight finish first. Their failure is not lost: it rejected the call that enqueued
    // them (a checkpoint completion, a restore, the end of input), which reported it.
    await Promise.allSettled([this.commits]);
    this.redis.disconnect();
  }
}
