/** The JSON-lines file sink (at-least-once: it appends at every flush). */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Collector, Flushable } from '../elements.js';

export class FileSink implements Collector, Flushable {
  private lines: string[] = [];
  private ready: Promise<unknown>;
  /** Records written (the subtask's numRecordsOut). */
  recordsOut = 0;

  constructor(private readonly path: string) {
    this.ready = mkdir(dirname(path), { recursive: true });
  }

  collect(v: unknown): void { this.recordsOut++; this.lines.push(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))); }
  watermark(): void {}
  end(): void {}

  async flush(): Promise<void> {
    await this.ready;
    if (this.lines.length === 0) return;
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    await appendFile(this.path, text);
  }

  async close(): Promise<void> { await this.flush(); }
}
