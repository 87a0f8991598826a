/** Sinks: a Redis stream (XADD in pipelined batches) and a JSON-lines file. */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Redis } from 'ioredis';
import type { RedisStreamSinkOptions } from '../../sdk/types.js';
import type { Collector, Flushable } from '../elements.js';

export class RedisStreamSink implements Collector, Flushable {
  private buffer: Array<Record<string, string | number>> = [];
  private readonly redis: Redis;

  constructor(private readonly options: RedisStreamSinkOptions<unknown>) {
    this.redis = new Redis(options.url, { maxRetriesPerRequest: null });
    this.redis.on('error', () => { /* reconnects on its own */ });
  }

  collect(v: unknown): void { this.buffer.push(this.options.fields(v)); }
  watermark(): void {}
  end(): void {}

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    const p = this.redis.pipeline();
    for (const fields of batch) {
      const flat: string[] = [];
      for (const [k, val] of Object.entries(fields)) flat.push(k, String(val));
      p.xadd(this.options.stream, '*', ...flat);
    }
    const results = await p.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw new Error(`XADD to ${this.options.stream} failed: ${failed[0]!.message}`);
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    this.redis.disconnect();
  }
}

export class FileSink implements Collector, Flushable {
  private lines: string[] = [];
  private ready: Promise<unknown>;

  constructor(private readonly path: string) {
    this.ready = mkdir(dirname(path), { recursive: true });
  }

  collect(v: unknown): void { this.lines.push(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))); }
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
