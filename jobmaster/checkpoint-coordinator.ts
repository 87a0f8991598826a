/**
 * The JobMaster's checkpoint coordinator: triggers checkpoint n when its
 * schedule says so (checkpoint-schedule.ts; one at a time) by asking every
 * source subtask to inject barrier n, collects every subtask's
 * acknowledgement, then writes `_metadata` last and tells the
 * TaskManagers the checkpoint is complete (sinks publish). Keeps the newest
 * `retained` checkpoints and deletes older ones. Savepoints go through the same
 * path into their own directory and are never deleted. Every storage call has a
 * deadline (ebbflow.storage.timeout) and the checkpoint timeout runs until
 * `_metadata` is written, so a hung storage fails a checkpoint or savepoint
 * rather than leaving it in progress for good.
 */
import { storageFor, storagePath } from '../runtime/checkpoint/checkpoint-storage.js';
import type { Logger } from 'pino';
import { SubtaskState, writeMetadata, type SubtaskStateProps } from '../runtime/checkpoint/snapshot-io.js';
import { describeError } from '../runtime/errors.js';
import type { JobGraph } from '../runtime/job-graph.js';
import { CheckpointSchedule } from './checkpoint-schedule.js';
import { CheckpointStats } from './checkpoint-stats.js';
import type { JobScale } from './job-scale.js';

/** A rejection the caller of `trigger()` receives: nothing to do here. */
const handledByCaller = (): void => {};
/** A periodic checkpoint that failed: its cause is in the statistics (and logged by `fail`). */
const recordedInStats = (): void => {};

/** `subtask`: the subtask index, for the per-subtask checkpoint details (absent: counted under its vertex only). */
export interface CheckpointTarget { executionId: string; vertexId: string; subtask?: number }

export interface CoordinatorHooks {
  /** The executions that must acknowledge, and which of them are sources; undefined when not all are running. */
  participants(): { all: CheckpointTarget[]; sources: CheckpointTarget[] } | undefined;
  trigger(source: CheckpointTarget, id: number, dir: string, timestamp: number, drain: boolean): void;
  notifyComplete(id: number): void;
  /** Too many consecutive failures. */
  onFailureLimit(cause: string): void;
  statsChanged(): void;
  /** The scale a restore from checkpoint `id` resumes at (for a rescale checkpoint, the new one). */
  scaleFor(id: number): JobScale;
  /**
   * Asked before a checkpoint's `_metadata` is written: false when a newer JobMaster leads the job
   * (job-leadership.ts), so a stale one completes no checkpoint and publishes no output. @default always true
   */
  stillLeading?(): Promise<boolean>;
}

export interface TriggerOptions {
  /** A checkpoint id and directory taken with `reserve()`. */
  reserved?: { id: number; dir: string };
  /** Who must acknowledge, instead of `participants()` (a rescale checkpoint names them). */
  participants?: { all: CheckpointTarget[]; sources: CheckpointTarget[] };
  /** Stop with drain: sources advance event time to the end before the barrier. */
  drain?: boolean;
}

export interface CoordinatorOptions {
  jobId: string;
  graph: JobGraph;
  baseDir: string;
  savepointDir: string;
  intervalMs: number;
  timeoutMs: number;
  retained: number;
  tolerableFailures: number;
  /** Start a periodic checkpoint at once when the sources that were behind caught up (a burst was read). @default false */
  triggerOnCaughtUp?: boolean;
  /** Start a periodic checkpoint at once when an exactly-once sink holds output after a checkpoint that took none. @default false */
  triggerOnOutput?: boolean;
  logger: Logger;
}

interface Pending {
  id: number;
  dir: string;
  isSavepoint: boolean;
  timestamp: number;
  expected: Map<string, string>; // executionId → vertexId
  acks: Map<string, SubtaskStateProps>;
  timer: NodeJS.Timeout;
  resolve: (path: string) => void;
  reject: (err: Error) => void;
  /** Resolves when the checkpoint completed or failed. */
  settled: Promise<unknown>;
}

export class CheckpointCoordinator {
  readonly stats = new CheckpointStats();
  private nextId = 1;
  private pending: Pending | undefined;
  /** The id of the last checkpoint triggered (periodic or not). */
  private lastTriggeredId = 0;
  private consecutiveFailures = 0;
  private readonly completed: Array<{ id: number; path: string }> = [];
  private latestPath: string | undefined;
  /** Bytes of keyed state per key group (per vertex) in the latest completed checkpoint. */
  private keyGroupBytes = new Map<string, Float64Array>();
  private latestStateBytes = 0;

  private readonly schedule: CheckpointSchedule;

  constructor(private readonly o: CoordinatorOptions, private readonly hooks: CoordinatorHooks) {
    this.schedule = new CheckpointSchedule(o, {
      busy: () => this.pending !== undefined,
      trigger: () => { this.trigger(false).catch(recordedInStats); },
      lastTriggeredId: () => this.lastTriggeredId,
      sources: () => {
        const parts = hooks.participants();
        return parts && new Set(parts.sources.map((s) => s.executionId));
      },
    });
  }

  /** Continue numbering after a restored checkpoint or savepoint. */
  restoredFrom(id: number, path: string, isSavepoint: boolean): void {
    this.nextId = Math.max(this.nextId, id + 1);
    this.latestPath ??= path;
    this.stats.restored(id, path, isSavepoint);
    this.hooks.statsChanged();
  }

  /** A restart restores from `latest()`: shown as the latest restore in the statistics. */
  restoredOnFailover(): void {
    const last = this.completed[this.completed.length - 1];
    if (!last || last.path !== this.latestPath) return; // a savepoint the job started from: already recorded
    this.stats.restored(last.id, last.path, false);
    this.hooks.statsChanged();
  }

  /** Where a restart restores from: the newest completed checkpoint or savepoint. */
  latest(): string | undefined { return this.latestPath; }

  /** Bytes of keyed state per key group of each keyed vertex, and in total, as of the latest completed checkpoint. */
  stateSizes(): { perKeyGroup: Map<string, Float64Array>; total: number } {
    return { perKeyGroup: this.keyGroupBytes, total: this.latestStateBytes };
  }

  /** A checkpoint completed and none failed since. */
  healthy(): boolean {
    return this.completed.length > 0 && this.consecutiveFailures === 0;
  }

  /** Takes the next checkpoint id and directory for a checkpoint the caller prepares before triggering it. */
  reserve(): { id: number; dir: string } {
    const id = this.nextId++;
    return { id, dir: storagePath(this.o.baseDir, `chk-${id}`) };
  }

  /** Resolves once no checkpoint is in progress (or after the checkpoint timeout). */
  async idle(): Promise<void> {
    const deadline = Date.now() + this.o.timeoutMs;
    while (this.pending && Date.now() < deadline) await this.pending.settled;
  }

  /** Periodic checkpoints (checkpoint-schedule.ts); with `now`, the first one starts at once. */
  start(now = false): void { this.schedule.start(now); }
  stop(): void { this.schedule.stop(); }
  /** Holds periodic ticks while a rescale prepares the checkpoint it reserved (CheckpointSchedule.holdTicks). */
  holdTicks(): ReturnType<CheckpointSchedule['holdTicks']> { return this.schedule.holdTicks(); }
  /** A source subtask caught up with its input or fell behind (CheckpointSchedule.sourceCaughtUp). */
  sourceCaughtUp(executionId: string, caughtUp: boolean): void { this.schedule.sourceCaughtUp(executionId, caughtUp); }
  /** An exactly-once sink holds output after checkpoint `lastCheckpointId` took none (CheckpointSchedule.outputWaiting). */
  outputWaiting(lastCheckpointId: number): void { this.schedule.outputWaiting(lastCheckpointId); }
  /** Checkpoints started early because the sources caught up / for output waiting in a sink. */
  get caughtUpTriggers(): number { return this.schedule.caughtUpTriggers; }
  get outputTriggers(): number { return this.schedule.outputTriggers; }

  /** Starts a checkpoint (or savepoint); resolves with its directory once complete. */
  async trigger(isSavepoint: boolean, targetDir?: string, opts: TriggerOptions = {}): Promise<string> {
    // A savepoint waits for the checkpoint in progress (one at a time); a periodic one is skipped.
    if (isSavepoint || opts.reserved) await this.idle();
    if (this.pending) throw new Error(`checkpoint ${this.pending.id} is still in progress; try again`);
    const parts = opts.participants ?? this.hooks.participants();
    if (!parts) throw new Error('not every subtask is running; the job cannot take a checkpoint now');
    const id = opts.reserved?.id ?? this.nextId++;
    this.lastTriggeredId = Math.max(this.lastTriggeredId, id);
    const timestamp = Date.now();
    const dir = opts.reserved?.dir ?? (isSavepoint
      ? storagePath(targetDir ?? this.o.savepointDir, `savepoint-${this.o.jobId.slice(0, 6)}-${timestamp.toString(16)}${id}`)
      : storagePath(this.o.baseDir, `chk-${id}`));
    this.stats.started(id, isSavepoint, parts.all, timestamp);
    let settle!: () => void;
    const settled = new Promise<void>((r) => { settle = r; });
    const done = new Promise<string>((resolve, reject) => {
      this.pending = {
        id, dir, isSavepoint, timestamp, acks: new Map(), settled,
        expected: new Map(parts.all.map((t) => [t.executionId, t.vertexId])),
        timer: setTimeout(() => this.fail(id, `checkpoint ${id} expired after ${this.o.timeoutMs} ms before every subtask acknowledged`), this.o.timeoutMs),
        resolve: (p) => { settle(); resolve(p); },
        reject: (e) => { settle(); reject(e); },
      };
    });
    // The caller gets `done` only after the directory exists; a failure or abort meanwhile would
    // otherwise be reported as an unhandled rejection before the caller could handle it.
    done.catch(handledByCaller);
    try {
      await storageFor(dir).ensureDir(dir);
    } catch (err) {
      this.fail(id, `cannot create checkpoint directory ${dir}: ${describeError(err)}`);
      return done;
    }
    if ((this.pending as Pending | undefined)?.id !== id) return done;
    for (const s of parts.sources) this.hooks.trigger(s, id, dir, timestamp, opts.drain === true);
    this.hooks.statsChanged();
    return done;
  }

  acknowledge(executionId: string, id: number, stateBytes: Uint8Array, alignmentMs: number): void {
    const p = this.pending;
    if (!p || p.id !== id || !p.expected.has(executionId)) return;
    const state = SubtaskState.toObject(SubtaskState.decode(stateBytes), { longs: Number, defaults: true, arrays: true, bytes: Buffer }) as SubtaskStateProps;
    p.acks.set(executionId, state);
    this.stats.acknowledged(id, Number(state.stateSize ?? 0), alignmentMs, Date.now(), executionId);
    if (p.acks.size === p.expected.size) {
      this.complete(p).catch((err: unknown) => this.fail(id, `completing checkpoint ${id} failed: ${describeError(err)}`));
    }
  }

  decline(executionId: string, id: number, reason: string): void {
    if (this.pending?.id === id && this.pending.expected.has(executionId)) this.fail(id, reason);
  }

  /** Drops the checkpoint in progress without counting it as a failure (e.g. the job restarts). */
  abort(reason: string): void {
    const p = this.pending;
    if (!p) return;
    clearTimeout(p.timer);
    this.pending = undefined;
    this.stats.failed(p.id, reason);
    p.reject(new Error(reason));
    void this.removeDir(p.dir, 'an aborted checkpoint');
    this.hooks.statsChanged();
  }

  /** Deletes a checkpoint directory in the background; one that stays is logged (it takes disk space, nothing reads it). */
  private removeDir(dir: string, what: string): Promise<void> {
    return storageFor(dir).removeDir(dir).catch((err: Error) => this.o.logger.warn({ dir, err: err.message }, `could not delete ${what}`));
  }

  private fail(id: number, reason: string): void {
    const p = this.pending;
    if (!p || p.id !== id) return;
    clearTimeout(p.timer);
    this.pending = undefined;
    this.stats.failed(id, reason);
    this.o.logger.warn({ checkpointId: id, reason }, 'checkpoint failed');
    p.reject(new Error(reason));
    void this.removeDir(p.dir, 'a failed checkpoint');
    this.hooks.statsChanged();
    if (!p.isSavepoint && ++this.consecutiveFailures > this.o.tolerableFailures) {
      this.hooks.onFailureLimit(`${this.consecutiveFailures} consecutive checkpoints failed (tolerable: ${this.o.tolerableFailures}); last: ${reason}`);
    }
    this.schedule.ended();
  }

  private measureState(vertices: Array<{ vertexId: string; subtasks: SubtaskStateProps[] }>): void {
    const K = this.o.graph.maxParallelism;
    this.keyGroupBytes = new Map();
    this.latestStateBytes = 0;
    for (const v of vertices) {
      const bytes = new Float64Array(K);
      let any = false;
      for (const st of v.subtasks) {
        for (const e of st.keyGroupIndex ?? []) {
          bytes[e.keyGroup ?? 0]! += e.length ?? 0;
          this.latestStateBytes += e.length ?? 0;
          any = true;
        }
      }
      if (any) this.keyGroupBytes.set(v.vertexId, bytes);
    }
  }

  private async complete(p: Pending): Promise<void> {
    // The checkpoint timeout stays armed while `_metadata` is written (as Flink's covers finalization).
    const scale = this.hooks.scaleFor(p.id);
    const vertices = this.o.graph.vertices.map((v) => ({
      vertexId: v.id, name: v.name, parallelism: scale.get(v.id)?.parallelism ?? v.parallelism,
      keyGroupOwners: scale.get(v.id)?.owners ? Array.from(scale.get(v.id)!.owners!) : [],
      subtasks: [...p.acks].filter(([exec]) => p.expected.get(exec) === v.id).map(([, s]) => s).sort((a, b) => (a.subtaskIndex ?? 0) - (b.subtaskIndex ?? 0)),
    }));
    let size: number;
    try {
      if (this.hooks.stillLeading && !(await this.hooks.stillLeading())) {
        this.fail(p.id, 'a newer JobMaster leads the job');
        return;
      }
      size = await writeMetadata(p.dir, {
        formatVersion: 1, jobId: this.o.jobId, checkpointId: p.id, timestamp: p.timestamp, isSavepoint: p.isSavepoint,
        maxParallelism: this.o.graph.maxParallelism, vertices, jobName: this.o.graph.name,
      });
    } catch (err) {
      this.fail(p.id, `writing ${p.dir}/_metadata failed: ${describeError(err)}`);
      return;
    }
    if (this.pending !== p) {
      // Expired or aborted while `_metadata` was written: it must not look like a completed checkpoint.
      void this.removeDir(p.dir, 'a checkpoint that expired while its metadata was written');
      return;
    }
    clearTimeout(p.timer);
    this.pending = undefined;
    this.consecutiveFailures = 0;
    this.latestPath = p.dir;
    this.measureState(vertices);
    this.stats.completed(p.id, p.dir, size);
    this.hooks.notifyComplete(p.id);
    p.resolve(p.dir);
    this.schedule.ended();
    if (!p.isSavepoint) {
      this.completed.push({ id: p.id, path: p.dir });
      while (this.completed.length > this.o.retained) {
        const old = this.completed.shift()!;
        this.stats.discarded(old.id);
        await this.removeDir(old.path, 'a checkpoint no longer retained');
      }
    }
    this.hooks.statsChanged();
  }
}
