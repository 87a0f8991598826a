/**
 * One running subtask: a vertex's operator chain for one subtask index, fed by
 * a source reader or by its input gate. After every batch all tails are
 * flushed, which waits for channel credit (back-pressure) and for sinks.
 *
 * Checkpoints (aligned barriers): a source subtask injects barrier n between
 * two batches when the JobMaster triggers it; a subtask with inputs stops
 * taking data from each channel once that channel's barrier n arrived (the
 * batches are parked and keep their credit), and when every channel has
 * delivered it, snapshots its operators, forwards the barrier and then replays
 * what it parked. Snapshot values are serialized synchronously; files are
 * written asynchronously while processing goes on.
 */
import { serialize } from 'node:v8';
import { keyGroupRangeForSubtask } from '../state/key-groups.js';
import { readMetadata, readVertexState, SubtaskState, writeSubtaskState, type KeyedStateBlob } from './checkpoint/snapshot-io.js';
import { buildChain, channelId, type Chain } from './chain-builder.js';
import { describeError } from './errors.js';
import { BARRIER, END, IDLE, RECORD, WATERMARK, type StreamElement } from './elements.js';
import type { JobPlan } from './plan.js';
import type { ChannelRegistry } from './network/channel-registry.js';
import type { SubtaskSpec } from './subtask-spec.js';

export type { SubtaskSpec, SubtaskLocation, OutputSpec, InputSpec } from './subtask-spec.js';

export interface CheckpointAck { checkpointId: number; subtaskState: Uint8Array; alignmentMs: number; syncMs: number; asyncMs: number }

export interface SubtaskServices {
  registry: ChannelRegistry;
  /** This TaskManager's resource id: consumers with the same id are reached in memory. */
  resourceId: string;
  acknowledge(ack: CheckpointAck): void;
  decline(checkpointId: number, reason: string): void;
}

export type SubtaskOutcome = 'FINISHED' | 'CANCELED';

interface Parked { channel: number; elements: StreamElement[] }

export class Subtask {
  private cancelled = false;
  private chain: Chain | undefined;
  private readonly triggers: Array<{ id: number; dir: string }> = [];
  private failure: Error | undefined;
  private commitChain: Promise<void> = Promise.resolve();

  constructor(private readonly plan: JobPlan, private readonly spec: SubtaskSpec, private readonly services: SubtaskServices) {}

  /** Runs until the input ends (FINISHED) or `cancel` is called (CANCELED); rejects on failure. */
  async run(): Promise<SubtaskOutcome> {
    const chain = (this.chain = buildChain(this.plan, this.spec, this.services.registry, this.services.resourceId));
    try {
      if (this.spec.restorePath) await this.restore(chain);
      if (chain.source) await this.runSource(chain);
      else await this.runInputs(chain);
      await this.commitChain;
      if (this.failure) throw this.failure;
      return this.cancelled ? 'CANCELED' : 'FINISHED';
    } finally {
      for (const t of chain.tails) await t.close().catch(() => {});
      await chain.source?.close().catch(() => {});
      for (const i of this.spec.inputs) this.services.registry.release(channelId(i.edgeId, this.spec.attempt), this.spec.subtaskIndex);
    }
  }

  private get keyGroups() {
    return keyGroupRangeForSubtask(this.spec.maxParallelism, this.spec.parallelism, this.spec.subtaskIndex);
  }

  private async restore(chain: Chain): Promise<void> {
    const meta = await readMetadata(this.spec.restorePath);
    const restored = await readVertexState(this.spec.restorePath, meta, this.spec.vertexId, this.keyGroups);
    for (const op of chain.checkpointed) {
      const keyed = restored.keyed.get(op.operatorId);
      if (keyed && op.restoreKeyedState) for (const [kg, v] of keyed) op.restoreKeyedState(kg, v);
      const states = restored.operator.get(op.operatorId);
      if (states && op.restoreOperatorState) await op.restoreOperatorState(states);
    }
  }

  private async flush(chain: Chain): Promise<void> {
    for (const t of chain.tails) await t.flush();
    if (this.failure) throw this.failure;
  }

  /** Called by the TaskManager for source subtasks; the barrier goes in between two batches. */
  triggerCheckpoint(id: number, dir: string): void {
    if (!this.chain?.source) { this.services.decline(id, 'not a source subtask'); return; }
    this.triggers.push({ id, dir });
  }

  /** A checkpoint completed: sinks publish its output. Failures fail the subtask. */
  notifyCheckpointComplete(id: number): void {
    const ops = this.chain?.checkpointed.filter((o) => o.notifyCheckpointComplete) ?? [];
    for (const op of ops) {
      this.commitChain = this.commitChain.then(() => op.notifyCheckpointComplete!(id)).catch((err: Error) => {
        this.failure ??= new Error(`committing checkpoint ${id} failed: ${err.message}`, { cause: err });
        this.cancel();
      });
    }
  }

  private async checkpoint(chain: Chain, id: number, dir: string, alignmentMs: number): Promise<void> {
    const t0 = Date.now();
    const blobs: KeyedStateBlob[] = [];
    const operatorStates: Record<number, unknown> = {};
    try {
      for (const op of chain.checkpointed) {
        if (op.snapshotKeyedState) {
          for (const [kg, v] of op.snapshotKeyedState()) blobs.push({ operatorId: op.operatorId, keyGroup: kg, bytes: serialize(v) });
        }
        if (op.snapshotOperatorState) operatorStates[op.operatorId] = op.snapshotOperatorState(id);
      }
    } catch (err) {
      this.services.decline(id, `snapshot of subtask ${this.spec.subtaskIndex} failed: ${describeError(err)}`);
      throw err;
    }
    const opBytes = serialize(operatorStates);
    blobs.sort((a, b) => a.keyGroup - b.keyGroup || a.operatorId - b.operatorId);
    for (const w of chain.writers) w.barrier(id, dir);
    await this.flush(chain);
    const syncMs = Date.now() - t0;
    const file = `${this.spec.vertexId}-${this.spec.subtaskIndex}.state`;
    // The asynchronous part: processing goes on while the file is written.
    void writeSubtaskState(dir, file, this.spec.subtaskIndex, this.keyGroups, blobs, opBytes).then(
      (state) => this.services.acknowledge({ checkpointId: id, subtaskState: SubtaskState.encode(state).finish(), alignmentMs, syncMs, asyncMs: Date.now() - t0 - syncMs }),
      (err: Error) => this.services.decline(id, `writing state of subtask ${this.spec.subtaskIndex} to ${dir} failed: ${err.message}`),
    );
  }

  private async runSource(chain: Chain): Promise<void> {
    const source = chain.source!;
    await source.open();
    while (!this.cancelled) {
      const more = await source.pollNext(chain.head);
      if (this.cancelled) return;
      await this.flush(chain);
      while (this.triggers.length && !this.cancelled) {
        const t = this.triggers.shift()!;
        await this.checkpoint(chain, t.id, t.dir, 0);
      }
      if (!more) break;
    }
    if (this.cancelled) return;
    chain.head.end();
    await this.finish(chain);
  }

  /** End of input: flush, and let exactly-once sinks publish the rest (nothing will be replayed). */
  private async finish(chain: Chain): Promise<void> {
    await this.flush(chain);
    await this.commitChain;
    for (const t of chain.tails) {
      const f = (t as { finish?: () => Promise<void> }).finish;
      if (f) await f.call(t);
    }
  }

  private async runInputs(chain: Chain): Promise<void> {
    const input = this.spec.inputs[0];
    if (!input) throw new Error('a non-source vertex needs an input');
    const gate = this.services.registry.gate(channelId(input.edgeId, this.spec.attempt), this.spec.subtaskIndex);
    const n = input.producerCount;
    const wms = new Array<number>(n).fill(-Infinity);
    const ended = new Set<number>();
    const idle = new Set<number>();
    let current = -Infinity;
    let aligning: { id: number; dir: string; start: number; arrived: Set<number> } | undefined;
    let parked: Parked[] = [];
    let replay: Parked[] = [];

    // The watermark is the minimum over channels that are not idle; with all idle it stays.
    const advanceWatermark = () => {
      let min = Infinity;
      let active = 0;
      for (let c = 0; c < n; c++) {
        if (idle.has(c) && !ended.has(c)) continue;
        active++;
        if (wms[c]! < min) min = wms[c]!;
      }
      if (active > 0 && min > current) { current = min; chain.head.watermark(min); }
    };

    while (!this.cancelled && ended.size < n) {
      let item: Parked;
      if (replay.length) item = replay.shift()!;
      else {
        const next = await gate.next();
        if (!next) return;
        item = { channel: next.channel, elements: next.batch };
      }
      const ch = item.channel;
      let done = true;
      for (let i = 0; i < item.elements.length; i++) {
        if (aligning?.arrived.has(ch)) {
          // After its barrier a channel is held back until the others deliver theirs.
          parked.push({ channel: ch, elements: item.elements.slice(i) });
          done = false;
          break;
        }
        const el = item.elements[i]!;
        if (el.t === RECORD) chain.head.collect(el.v, el.ts, el.kg);
        else if (el.t === WATERMARK) { wms[ch] = Math.max(wms[ch]!, el.wm); advanceWatermark(); }
        else if (el.t === END) { ended.add(ch); wms[ch] = Infinity; advanceWatermark(); }
        else if (el.t === IDLE) { if (el.idle) idle.add(ch); else idle.delete(ch); advanceWatermark(); }
        else if (el.t === BARRIER) {
          aligning ??= { id: el.id, dir: el.dir, start: Date.now(), arrived: new Set() };
          aligning.arrived.add(ch);
        }
        if (aligning && aligning.arrived.size + [...ended].filter((c) => !aligning!.arrived.has(c)).length >= n) {
          await this.checkpoint(chain, aligning.id, aligning.dir, Date.now() - aligning.start);
          aligning = undefined;
          replay = [...parked, ...replay];
          parked = [];
        }
      }
      if (done) gate.release(ch);
      await this.flush(chain);
    }
    if (this.cancelled) return;
    chain.head.end();
    await this.finish(chain);
  }

  cancel(): void {
    this.cancelled = true;
    this.chain?.source?.cancel();
    for (const w of this.chain?.writers ?? []) w.abort();
    for (const i of this.spec.inputs) this.services.registry.release(channelId(i.edgeId, this.spec.attempt), this.spec.subtaskIndex);
  }
}
