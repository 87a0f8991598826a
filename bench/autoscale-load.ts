/**
 * The autoscaling benchmark's live input: transactions written at the profile's rate (one pipeline
 * every 50 ms, event time = wall clock), with the reference computed as they are written
 * (rescale-load.ts's StreamingReference), and the count written in each second kept for the report.
 */
import { Redis } from 'ioredis';
import { endMarkers, TransactionGenerator, writeTransactions } from '../examples/fraud-detection/generator.js';
import { logIgnored } from './log.js';
import { StreamingReference } from './rescale-load.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const TICK_MS = 50;

export interface ProfileWriterStats {
  written: number;
  seconds: number;
  /** The most records the writer was behind the profile at a tick (it catches up at the next one). */
  maxBehind: number;
  /** Records written in each second since the start. */
  perSecond: number[];
}

export class ProfileWriter {
  private readonly redis: Redis;
  private stopped = false;
  private done: Promise<void> | undefined;
  private error: unknown;
  private written = 0;
  private owed = 0;
  private maxBehind = 0;
  private start = 0;
  private end = 0;
  private readonly perSecond: number[] = [];
  readonly reference: StreamingReference;
  private readonly gen: TransactionGenerator;

  /** `rate(tS)`: records per second at `tS` seconds after `begin()`; writing stops at `durationS`. */
  constructor(redisUrl: string, private readonly streams: string[], private readonly rate: (tS: number) => number, private readonly durationS: number,
    private readonly o: { seed: number; accounts: number; windowMs: number; maxOutOfOrdernessMs: number; thresholdCents: number }) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.redis.on('error', () => { /* surfaced by the failing command */ });
    this.gen = new TransactionGenerator({ seed: o.seed, streams, accounts: o.accounts });
    this.reference = new StreamingReference({ streams, windowMs: o.windowMs, maxOutOfOrdernessMs: o.maxOutOfOrdernessMs, thresholdCents: o.thresholdCents });
  }

  /** Date.now() when writing began (0 before). */
  get startedAt(): number { return this.start; }
  get finished(): boolean { return this.end > 0; }

  begin(signal?: AbortSignal): void {
    this.start = Date.now();
    let last = this.start;
    this.done = (async () => {
      for (let tick = 1; !this.stopped; tick++) {
        signal?.throwIfAborted();
        const now = Date.now();
        const tS = (now - this.start) / 1000;
        if (tS >= this.durationS) break;
        // The profile's integral since the last tick (midpoint rule), so a rate change is followed within a tick.
        this.owed += (this.rate((last + now) / 2000 - this.start / 1000) * (now - last)) / 1000;
        last = now;
        const due = Math.floor(this.owed) - this.written;
        this.maxBehind = Math.max(this.maxBehind, due);
        if (due > 0) {
          const batch = Array.from({ length: due }, () => this.gen.nextAt(Date.now()));
          for (const t of batch) this.reference.add(t);
          await writeTransactions(this.redis, batch, { batch: due });
          this.written += due;
          const sec = Math.floor(tS);
          while (this.perSecond.length <= sec) this.perSecond.push(0);
          this.perSecond[sec]! += due;
          this.reference.settle();
        }
        await sleep(Math.max(0, this.start + tick * TICK_MS - Date.now()));
      }
      this.end = Date.now();
    })().catch((err: unknown) => { this.error = err; });
  }

  /** Throws what stopped the writer, if it failed. */
  check(): void {
    if (this.error) throw this.error;
  }

  /** Waits until the profile is written (or the writer stopped). */
  async whenDone(): Promise<void> {
    await this.done;
    this.check();
  }

  /** Stops writing; then one end marker per stream past every open window, so that all of them fire. */
  async finish(): Promise<ProfileWriterStats> {
    this.stopped = true;
    await this.done;
    this.check();
    const ts = this.gen.maxTs + this.o.windowMs + this.o.maxOutOfOrdernessMs + 1;
    const markers = endMarkers(this.streams, ts);
    for (const t of markers) this.reference.add(t);
    await writeTransactions(this.redis, markers);
    return this.stats();
  }

  stats(): ProfileWriterStats {
    return { written: this.written, seconds: ((this.end || Date.now()) - this.start) / 1000, maxBehind: this.maxBehind, perSecond: [...this.perSecond] };
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.done?.catch(logIgnored('the profile writer'));
    this.redis.disconnect();
  }
}
