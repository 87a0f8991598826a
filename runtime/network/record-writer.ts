/**
 * The tail of a chain feeding one output edge. Records are buffered per target
 * subtask (for HASH edges the consumer that owns the record's key group in the
 * edge's key-group table, round-robin for REBALANCE, the same index for
 * FORWARD); watermarks and end-of-stream go to every target. `flush` sends the
 * buffers, waiting for channel capacity (back-pressure). At a rescale barrier
 * the writer is reconfigured in place: new consumers, new table.
 */
import { assignToKeyGroup, type Key } from '../../state/key-groups.js';
import { BARRIER, END, IDLE, RECORD, WATERMARK, type Collector, type Flushable, type StreamElement } from '../elements.js';
import type { ChannelWriter } from './channel-writer.js';

export type Partitioner =
  /** `owners[kg]` is the consumer subtask (= writer position) that owns key group kg. */
  | { kind: 'HASH'; selector: (v: unknown) => Key; maxParallelism: number; owners: Uint16Array }
  | { kind: 'FORWARD' }
  | { kind: 'REBALANCE' };

export class RecordWriter implements Collector, Flushable {
  private buffers: StreamElement[][];
  private next = 0;
  private lastWatermark = -Infinity;
  private isIdle = false;
  /** Elements flushed, and control elements (watermarks, barriers, ends, idleness) among them: records out = the difference, counted per batch. */
  private flushedElements = 0;
  private controlElements = 0;

  constructor(readonly edgeId: string, private writers: ChannelWriter[], private partitioner: Partitioner, private readonly maxBatch = 512) {
    this.buffers = writers.map(() => []);
  }

  collect(v: unknown, ts: number | undefined): void {
    const p = this.partitioner;
    switch (p.kind) {
      case 'HASH': {
        const kg = assignToKeyGroup(p.selector(v), p.maxParallelism);
        this.buffers[p.owners[kg]!]!.push({ t: RECORD, v, ts, kg });
        return;
      }
      case 'FORWARD': this.buffers[0]!.push({ t: RECORD, v, ts }); return;
      case 'REBALANCE': this.buffers[(this.next = (this.next + 1) % this.writers.length)]!.push({ t: RECORD, v, ts }); return;
    }
  }

  watermark(wm: number): void {
    if (wm <= this.lastWatermark) return;
    this.lastWatermark = wm;
    this.controlElements += this.buffers.length;
    for (const b of this.buffers) b.push({ t: WATERMARK, wm });
  }

  end(): void {
    this.controlElements += this.buffers.length;
    for (const b of this.buffers) b.push({ t: END });
  }

  idle(idle: boolean): void {
    if (idle === this.isIdle) return;
    this.isIdle = idle;
    this.controlElements += this.buffers.length;
    for (const b of this.buffers) b.push({ t: IDLE, idle });
  }

  barrier(id: number, dir: string): void {
    this.controlElements += this.buffers.length;
    for (const b of this.buffers) b.push({ t: BARRIER, id, dir });
  }

  /**
   * Switches to new consumers and routing right after a rescale barrier was
   * flushed. Consumers forget every channel's watermark at that barrier, so the
   * last one is sent again on every channel — unless `forgetWatermark` (a source
   * that gained streams may have to go back to a lower watermark once they load).
   */
  reconfigure(writers: ChannelWriter[], partitioner: Partitioner, forgetWatermark: boolean): void {
    if (this.buffers.some((b) => b.length > 0)) throw new Error(`record writer of edge ${this.edgeId} reconfigured with unflushed output`);
    this.writers = writers;
    this.partitioner = partitioner;
    this.buffers = writers.map(() => []);
    this.next = 0;
    if (forgetWatermark) this.lastWatermark = -Infinity;
    else if (this.lastWatermark > -Infinity) { this.controlElements += this.buffers.length; for (const b of this.buffers) b.push({ t: WATERMARK, wm: this.lastWatermark }); }
    if (this.isIdle) { this.controlElements += this.buffers.length; for (const b of this.buffers) b.push({ t: IDLE, idle: true }); }
  }

  async flush(): Promise<void> {
    const sends: Promise<void>[] = [];
    for (let i = 0; i < this.buffers.length; i++) {
      const buf = this.buffers[i]!;
      if (buf.length === 0) continue;
      this.buffers[i] = [];
      this.flushedElements += buf.length;
      sends.push(this.sendInOrder(this.writers[i]!, buf));
    }
    await Promise.all(sends);
  }

  private async sendInOrder(writer: ChannelWriter, buf: StreamElement[]): Promise<void> {
    if (buf.length <= this.maxBatch) return writer.send(buf);
    for (let off = 0; off < buf.length; off += this.maxBatch) await writer.send(buf.slice(off, off + this.maxBatch));
  }

  /** Records sent on this edge (all consumers) so far. */
  get recordsOut(): number { return this.flushedElements - this.controlElements; }

  /** The last watermark sent (-Infinity: none yet). */
  get outputWatermark(): number { return this.lastWatermark; }

  abort(): void {
    for (const w of this.writers) w.abort();
  }

  async close(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.close()));
  }
}
