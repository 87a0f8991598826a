/** Stateless one-input operators: map, filter, flatMap. */
import type { Collector } from '../elements.js';

export class MapOperator implements Collector {
  constructor(private readonly fn: (v: unknown) => unknown, private readonly out: Collector) {}
  collect(v: unknown, ts: number | undefined): void { this.out.collect(this.fn(v), ts); }
  watermark(wm: number): void { this.out.watermark(wm); }
  end(): void { this.out.end(); }
  idle(idle: boolean): void { this.out.idle?.(idle); }
}

export class FilterOperator implements Collector {
  constructor(private readonly fn: (v: unknown) => boolean, private readonly out: Collector) {}
  collect(v: unknown, ts: number | undefined): void { if (this.fn(v)) this.out.collect(v, ts); }
  watermark(wm: number): void { this.out.watermark(wm); }
  end(): void { this.out.end(); }
  idle(idle: boolean): void { this.out.idle?.(idle); }
}

export class FlatMapOperator implements Collector {
  constructor(private readonly fn: (v: unknown) => Iterable<unknown>, private readonly out: Collector) {}
  collect(v: unknown, ts: number | undefined): void { for (const o of this.fn(v)) this.out.collect(o, ts); }
  watermark(wm: number): void { this.out.watermark(wm); }
  end(): void { this.out.end(); }
  idle(idle: boolean): void { this.out.idle?.(idle); }
}
