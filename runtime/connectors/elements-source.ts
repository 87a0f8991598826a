/** The bounded `env.fromElements` source. */
import type { CollectionSourceOptions } from '../../sdk/types.js';
import type { Collector } from '../elements.js';
import { assignedPartitions, type SourceReader } from './source.js';

export class ElementsSourceReader implements SourceReader {
  private readonly elements: unknown[];
  private pos = 0;
  private maxTs = -Infinity;
  recordsRead = 0;

  constructor(all: unknown[], private readonly options: CollectionSourceOptions<unknown>, subtaskIndex: number, parallelism: number) {
    this.elements = assignedPartitions(all, subtaskIndex, parallelism);
  }

  async open(): Promise<void> {}

  async pollNext(out: Collector): Promise<boolean> {
    const end = Math.min(this.pos + 1000, this.elements.length);
    this.recordsRead += end - this.pos;
    const tsOf = this.options.timestamp;
    for (; this.pos < end; this.pos++) {
      const v = this.elements[this.pos];
      const ts = tsOf ? tsOf(v) : undefined;
      if (ts !== undefined && ts > this.maxTs) this.maxTs = ts;
      out.collect(v, ts);
    }
    if (this.pos < this.elements.length) return true;
    // End of a bounded input: the final watermark lets every window fire (Flink's MAX_WATERMARK).
    out.watermark(Infinity);
    return false;
  }

  cancel(): void { this.pos = this.elements.length; }
  async close(): Promise<void> {}
}
