/**
 * The live side of the rescaling benchmark: a writer that puts transactions into the input streams at
 * a fixed rate with event time = wall clock, a streaming form of the reference computation that
 * follows what was written (so nothing has to be kept per transaction), and a reader that stamps each
 * alert with the time it became visible in the output stream.
 */
import { logIgnored } from './log.js';
import { Redis } from 'ioredis';
import { endMarkers, TransactionGenerator, writeTransactions } from '../examples/fraud-detection/generator.js';
import { referenceCents, referenceFormat, sortAlerts, windowStartOf, type Alert, type Txn } from '../examples/fraud-detection/reference.js';
import { alertOf } from './data.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * examples/fraud-detection/reference.ts, incrementally: windows are summed as transactions are
 * written and settled once the watermark the written data implies (min over the streams of the
 * largest event time − max out-of-orderness) passes their end, which is when the job fires them.
 * A record that could be late under some interleaving is counted; the model does not apply then.
 */
export class StreamingReference {
  private readonly maxTs = new Map<string, number>();
  /** window start → pair → [cents, count] */
  private readonly open = new Map<number, Map<string, [number, number]>>();
  private readonly alerts: Alert[] = [];
  possiblyLate = 0;
  records = 0;

  constructor(private readonly o: { streams: string[]; windowMs: number; maxOutOfOrdernessMs: number; thresholdCents: number }) {}

  add(t: Txn): void {
    this.records++;
    const max = Math.max(this.maxTs.get(t.stream) ?? -Infinity, t.ts);
    this.maxTs.set(t.stream, max);
    const start = windowStartOf(t.ts, this.o.windowMs);
    if (start + this.o.windowMs <= max - this.o.maxOutOfOrdernessMs) this.possiblyLate++;
    const cents = referenceCents(t.amount);
    if (cents === null || !t.from || !t.to) return;
    let w = this.open.get(start);
    if (!w) this.open.set(start, (w = new Map()));
    const k = `${t.from}\u0000${t.to}`;
    const acc = w.get(k);
    if (acc) { acc[0] += Number(cents); acc[1]++; } else w.set(k, [Number(cents), 1]);
  }

  watermark(): number {
    let wm = Infinity;
    for (const s of this.o.streams) wm = Math.min(wm, (this.maxTs.get(s) ?? -Infinity) - this.o.maxOutOfOrdernessMs);
    return wm;
  }

  /** Settles every window the current watermark has passed. */
  settle(): void {
    const wm = this.watermark();
    for (const [start, pairs] of this.open) {
      const end = start + this.o.windowMs;
      if (end > wm) continue;
      for (const [k, [cents, count]] of pairs) {
        if (cents <= this.o.thresholdCents) continue;
        const [from, to] = k.split('\u0000') as [string, string];
        this.alerts.push({ from, to, windowStart: start, windowEnd: end, total: referenceFormat(BigInt(cents)), count });
      }
      this.open.delete(start);
    }
  }

  /** The alerts of every settled window, sorted; throws if some record may have been late. */
  expected(): Alert[] {
    if (this.possiblyLate > 0) throw new Error(`${this.possiblyLate} written record(s) may be late; the reference does not apply (keep the generator's disorder below the max out-of-orderness)`);
    this.settle();
    return sortAlerts(this.alerts);
  }
}

export interface WriterStats { written: number; seconds: number; rate: number; maxBehind: number }

/** Writes `rate` transactions per second (one pipeline every 50 ms, catching up at most a quarter second's worth per pipeline) until stopped. */
export class LiveWriter {
  private readonly redis: Redis;
  private stopped = false;
  private done: Promise<void> | undefined;
  private error: unknown;
  private written = 0;
  private maxBehind = 0;
  private start = 0;
  private end = 0;
  readonly reference: StreamingReference;
  private readonly gen: TransactionGenerator;

  constructor(redisUrl: string, private readonly streams: string[], private readonly rate: number, private readonly o: { seed: number; accounts: number; windowMs: number; maxOutOfOrdernessMs: number; thresholdCents: number }) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.redis.on('error', () => { /* surfaced by the failing command */ });
    this.gen = new TransactionGenerator({ seed: o.seed, streams, accounts: o.accounts });
    this.reference = new StreamingReference({ streams, windowMs: o.windowMs, maxOutOfOrdernessMs: o.maxOutOfOrdernessMs, thresholdCents: o.thresholdCents });
  }

  begin(signal?: AbortSignal): void {
    this.start = Date.now();
    this.done = (async () => {
      for (let tick = 1; !this.stopped; tick++) {
        signal?.throwIfAborted();
        const behind = Math.floor((this.rate * (Date.now() - this.start)) / 1000) - this.written;
        this.maxBehind = Math.max(this.maxBehind, behind);
        // Catching up after a stall, at most a quarter second's worth per tick: a starved process
        // otherwise generated and pipelined everything due at once (790,000 entries, 2 GB, seen).
        const due = Math.min(behind, Math.ceil(this.rate / 4));
        if (due > 0) {
          const batch = Array.from({ length: due }, () => this.gen.nextAt(Date.now()));
          for (const t of batch) this.reference.add(t);
          await writeTransactions(this.redis, batch, { batch: due });
          this.written += due;
          this.reference.settle();
        }
        await sleep(Math.max(0, this.start + tick * 50 - Date.now()));
      }
      this.end = Date.now();
    })().catch((err: unknown) => { this.error = err; });
  }

  /** Throws what stopped the writer, if it failed. */
  check(): void {
    if (this.error) throw this.error;
  }

  /** Stops writing; then one end marker per stream past every open window, so that all of them fire. */
  async finish(): Promise<WriterStats> {
    this.stopped = true;
    await this.done;
    this.check();
    const ts = this.gen.maxTs + this.o.windowMs + this.o.maxOutOfOrdernessMs + 1;
    const markers = endMarkers(this.streams, ts);
    for (const t of markers) this.reference.add(t);
    await writeTransactions(this.redis, markers);
    return this.stats();
  }

  stats(): WriterStats {
    const seconds = ((this.end || Date.now()) - this.start) / 1000;
    return { written: this.written, seconds, rate: this.written / seconds, maxBehind: this.maxBehind };
  }

  async close(): Promise<void> {
    this.stopped = true;
    // The loop's own failure is reported where it is awaited; closing only must not throw it again.
    await this.done?.catch(logIgnored('the live writer'));
    this.redis.disconnect();
  }
}

/** An alert and when it was read from the output stream (Date.now(), ms). */
export interface Arrival { t: number; alert: Alert }

/** Follows the output stream with XREAD BLOCK and keeps every alert with the time it was read. */
export class AlertReader {
  private readonly redis: Redis;
  private stopped = false;
  private done: Promise<void> | undefined;
  private error: unknown;
  readonly arrivals: Arrival[] = [];

  constructor(redisUrl: string, private readonly stream: string) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.redis.on('error', () => { /* surfaced by the failing command */ });
  }

  begin(): void {
    this.done = (async () => {
      let lastId = '0-0';
      while (!this.stopped) {
        const res = (await this.redis.xread('COUNT', 1000, 'BLOCK', 100, 'STREAMS', this.stream, lastId)) as Array<[string, Array<[string, string[]]>]> | null;
        const t = Date.now();
        for (const [, entries] of res ?? []) {
          for (const [id, flat] of entries) {
            lastId = id;
            this.arrivals.push({ t, alert: alertOf(flat) });
          }
        }
      }
    })().catch((err: unknown) => { this.error = err; });
  }

  check(): void {
    if (this.error) throw this.error;
  }

  /** Waits until `n` alerts were read (or `timeoutMs` passed); returns how many were. */
  async waitFor(n: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.arrivals.length < n && Date.now() < deadline) {
      this.check();
      await sleep(50);
    }
    return this.arrivals.length;
  }

  /** Waits for the first alert read after `t` (Date.now() ms); returns its time, or undefined on time-out. */
  async firstAfter(t: number, timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.check();
      const a = this.arrivals.find((x) => x.t > t);
      if (a) return a.t;
      if (Date.now() > deadline) return undefined;
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.done;
    this.redis.disconnect();
  }
}
