/**
 * The tail of a chain feeding one output edge. Records are buffered per target
 * subtask (chosen by key group for HASH edges, round-robin for REBALANCE, same
 * index for FORWARD); watermarks and end-of-stream go to every target. `flush`
 * sends the buffers, waiting for channel capacity (back-pressure).
 */
import { assignToKeyGroup, operatorIndexForKeyGroup, type Key } from '../../state/key-groups.js';
import { BARRIER, END, IDLE, RECORD, WATERMARK, type Collector, type Flushable, type StreamElement } from '../elements.js';
import type { ChannelWriter } from './channel-writer.js';

export type Partitioner =
  | { kind: 'HASH'; selector: (v: unknown) => Key; maxParallelism: number }
  | { kind: 'FORWARD'; index: number }
  | { kind: 'REBALANCE' };

export class RecordWriter implements Collector, Flushable {
  private buffers: StreamElement[][];
  private next = 0;
  private lastWatermark = -Infinity;

  constructor(private readonly writers: ChannelWriter[], private readonly partitioner: Partitioner, private readonly maxBatch = 512) {
    this.buffers = writers.map(() => []);
  }

  collect(v: unknown, ts: number | undefined): void {
    const p = this.partitioner;
    switch (p.kind) {
      case 'HASH': {
        const kg = assignToKeyGroup(p.selector(v), p.maxParallelism);
        this.buffers[operatorIndexForKeyGroup(p.maxParallelism, this.writers.length, kg)]!.push({ t: RECORD, v, ts, kg });
        return;
      }
      case 'FORWARD': this.buffers[Math.min(p.index, this.writers.length - 1)]!.push({ t: RECORD, v, ts }); return;
      case 'REBALANCE': this.buffers[(this.next = (this.next + 1) % this.writers.length)]!.push({ t: RECORD, v, ts }); return;
    }
  }

  watermark(wm: number): void {
    if (wm <= this.lastWatermark) return;
    this.lastWatermark = wm;
    for (const b of this.buffers) b.push({ t: WATERMARK, wm });
  }

  end(): void {
    for (const b of this.buffers) b.push({ t: END });
  }

  private isIdle = false;

  idle(idle: boolean): void {
    if (idle === this.isIdle) return;
    this.isIdle = idle;
    for (const b of this.buffers) b.push({ t: IDLE, idle });
  }

  barrier(id: number, dir: string): void {
    for (const b of this.buffers) b.push({ t: BARRIER, id, dir });
  }

  async flush(): Promise<void> {
    const sends: Promise<void>[] = [];
    for (let i = 0; i < this.buffers.length; i++) {
      const buf = this.buffers[i]!;
      if (buf.length === 0) continue;
      this.buffers[i] = [];
      sends.push(this.sendInOrder(this.writers[i]!, buf));
    }
    await Promise.all(sends);
  }

  private async sendInOrder(writer: ChannelWriter, buf: StreamElement[]): Promise<void> {
    if (buf.length <= this.maxBatch) return writer.send(buf);
    for (let off = 0; off < buf.length; off += this.maxBatch) await writer.send(buf.slice(off, off + this.maxBatch));
  }

  abort(): void {
    for (const w of this.writers) w.abort();
  }

  async close(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.close()));
  }
}
