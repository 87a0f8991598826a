/**
 * Transaction generator for the fraud-detection example: a library
 * (deterministic from a seed) and a CLI that writes to Redis streams.
 *
 * Traffic: mostly small transfers ("0.01"–"500.00") between random account
 * pairs, plus occasional bursts of large transfers ("1000.00"–"5000.00")
 * between a few "fraud" account pairs, so that some (from, to, window) sums
 * exceed the default $10000 threshold. Per stream, event times follow a
 * non-decreasing base time minus a bounded random disorder.
 *
 *   node dist/examples/fraud-detection/generator.js --redis redis://127.0.0.1:6379 \
 *     --streams tx-0,tx-1,tx-2,tx-3 --count 100000 --rate 5000 --seed 42
 */
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import type { Redis } from 'ioredis';
import type { Txn } from './reference.js';

export type { Txn } from './reference.js';

export interface GeneratorOptions {
  seed: number;
  streams: string[];
  /** Number of ordinary accounts ("acct-0" …). @default 50 */
  accounts?: number;
  /** Event time of the first base tick, epoch ms. @default DEFAULT_START_TS */
  startTs?: number;
  /** Mean event-time step between consecutive transactions, ms. @default 10 */
  stepMs?: number;
  /** Largest random amount subtracted from the base time; must stay below the job's max out-of-orderness. @default 2000 */
  maxDisorderMs?: number;
  /** Probability that a transaction starts a burst of large transfers. @default 0.002 */
  fraudRate?: number;
}

export interface GenerateOptions extends GeneratorOptions {
  count: number;
}

/** 2023-11-14T22:13:20.000Z, a multiple of 10 s: the default event-time origin (deterministic output). */
export const DEFAULT_START_TS = 1_700_000_000_000;

/** mulberry32: a small, fast, seedable 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function centsToAmount(cents: number): string {
  const frac = cents % 100;
  return `${(cents - frac) / 100}.${String(frac).padStart(2, '0')}`;
}

/**
 * Stateful generator. `next()` advances a simulated event clock (used by
 * `generateTransactions` and the bounded CLI); `nextAt(base)` uses a given base
 * time instead (the endless CLI passes the wall clock).
 */
export class TransactionGenerator {
  private readonly rng: () => number;
  private readonly streams: string[];
  private readonly accounts: number;
  private readonly stepMs: number;
  private readonly maxDisorderMs: number;
  private readonly fraudRate: number;
  private readonly fraudPairs: Array<[string, string]>;
  private base: number;
  private burstLeft = 0;
  private burstPair: [string, string] = ['', ''];
  private readonly maxTsByStream = new Map<string, number>();

  constructor(opts: GeneratorOptions) {
    if (!Array.isArray(opts.streams) || opts.streams.length === 0) throw new Error('generator needs at least one stream');
    this.streams = [...opts.streams];
    this.accounts = opts.accounts ?? 50;
    this.stepMs = opts.stepMs ?? 10;
    this.maxDisorderMs = opts.maxDisorderMs ?? 2000;
    this.fraudRate = opts.fraudRate ?? 0.002;
    this.base = opts.startTs ?? DEFAULT_START_TS;
    if (!Number.isInteger(this.accounts) || this.accounts < 2) throw new Error('accounts must be an integer ≥ 2');
    if (!(this.stepMs >= 0)) throw new Error('stepMs must be ≥ 0');
    if (!Number.isInteger(this.maxDisorderMs) || this.maxDisorderMs < 0) throw new Error('maxDisorderMs must be an integer ≥ 0');
    if (!(this.fraudRate >= 0 && this.fraudRate <= 1)) throw new Error('fraudRate must be within [0, 1]');
    if (!Number.isSafeInteger(this.base)) throw new Error('startTs must be an integer');
    this.rng = mulberry32(opts.seed);
    // A few fixed "suspicious" pairs among the ordinary accounts.
    this.fraudPairs = [];
    const nPairs = Math.min(3, this.accounts - 1);
    while (this.fraudPairs.length < nPairs) {
      const from = this.account();
      let to = this.account();
      while (to === from) to = this.account();
      if (!this.fraudPairs.some(([f, t]) => f === from && t === to)) this.fraudPairs.push([from, to]);
    }
  }

  private int(n: number): number {
    return Math.floor(this.rng() * n);
  }

  private account(): string {
    return `acct-${this.int(this.accounts)}`;
  }

  /** The next transaction on the simulated clock (base += random step with mean stepMs). */
  next(): Txn {
    this.base += this.int(2 * this.stepMs + 1);
    return this.nextAt(this.base);
  }

  /** The next transaction with base time `base` (non-decreasing across calls for bounded disorder). */
  nextAt(base: number): Txn {
    const stream = this.streams[this.int(this.streams.length)]!;
    const ts = Math.floor(base) - this.int(this.maxDisorderMs + 1);
    let from: string;
    let to: string;
    let cents: number;
    if (this.burstLeft === 0 && this.rng() < this.fraudRate) {
      this.burstLeft = 5 + this.int(11); // 5..15 transfers
      this.burstPair = this.fraudPairs[this.int(this.fraudPairs.length)]!;
    }
    if (this.burstLeft > 0) {
      this.burstLeft--;
      [from, to] = this.burstPair;
      cents = 100_000 + this.int(400_001); // 1000.00 .. 5000.00
    } else {
      from = this.account();
      to = this.account();
      while (to === from) to = this.account();
      cents = 1 + this.int(50_000); // 0.01 .. 500.00
    }
    const prev = this.maxTsByStream.get(stream);
    if (prev === undefined || ts > prev) this.maxTsByStream.set(stream, ts);
    return { from, to, amount: centsToAmount(cents), ts, stream };
  }

  /** Largest event time generated so far over all streams (−∞ before the first). */
  get maxTs(): number {
    let m = -Infinity;
    for (const v of this.maxTsByStream.values()) m = Math.max(m, v);
    return m;
  }
}

/** `count` transactions, deterministic from `seed` (same options → same output). */
export function generateTransactions(opts: GenerateOptions): Txn[] {
  if (!Number.isInteger(opts.count) || opts.count < 0) throw new Error('count must be a non-negative integer');
  const gen = new TransactionGenerator(opts);
  const out: Txn[] = [];
  for (let i = 0; i < opts.count; i++) out.push(gen.next());
  return out;
}

/**
 * One tiny transaction per stream ("0.01", marker → marker) at event time `ts`,
 * written after the data to push every stream's watermark past the last window
 * (use ts ≥ last data ts + window + max out-of-orderness).
 */
export function endMarkers(streams: string[], ts: number): Txn[] {
  return streams.map((stream) => ({ from: 'marker', to: 'marker', amount: '0.01', ts, stream }));
}

/** Writes transactions in order with XADD (fields from, to, amount, ts), pipelined `batch` (default 1000) at a time. */
export async function writeTransactions(redis: Redis, txns: Txn[], opts: { batch?: number } = {}): Promise<void> {
  const batch = Math.max(1, opts.batch ?? 1000);
  for (let i = 0; i < txns.length; i += batch) {
    const pipeline = redis.pipeline();
    for (const t of txns.slice(i, i + batch)) {
      pipeline.xadd(t.stream, '*', 'from', t.from, 'to', t.to, 'amount', t.amount, 'ts', String(t.ts));
    }
    const results = await pipeline.exec();
    for (const [err] of results ?? []) {
      if (err) throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------- CLI

function intOption(min: number) {
  return (value: string): number => {
    const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };
}

function numberOption(min: number, max = Infinity) {
  return (value: string): number => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number in [${min}, ${max}]`);
    return n;
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('fraud-generator')
    .description('Writes synthetic transfers to Redis streams for the fraud-detection example.')
    .option('--redis <url>', 'Redis URL', 'redis://127.0.0.1:6379')
    .requiredOption('--streams <keys>', 'comma-separated input stream keys (one per partition)')
    .option('--count <n>', 'transactions to write, then end markers; 0 = endless (event time = wall clock)', intOption(0), 10000)
    .option('--rate <n>', 'records per second; 0 = as fast as possible (bounded mode only)', numberOption(0), 1000)
    .option('--seed <n>', 'PRNG seed', intOption(-(2 ** 31)), 42)
    .option('--accounts <n>', 'number of ordinary accounts', intOption(2), 50)
    .option('--start-ts <ms>', 'event time origin for bounded mode, epoch ms', intOption(0), DEFAULT_START_TS)
    .option('--step-ms <ms>', 'mean event-time step between transactions (bounded mode)', numberOption(0), 10)
    .option('--max-disorder-ms <ms>', 'maximum event-time disorder; keep it below the job\'s max out-of-orderness', intOption(0), 2000)
    .option('--fraud-rate <p>', 'probability that a transaction starts a burst of large transfers', numberOption(0, 1), 0.002)
    .option('--window-ms <ms>', 'the job\'s window size (places the end markers)', intOption(1), 10000)
    .option('--max-out-of-orderness-ms <ms>', 'the job\'s max out-of-orderness (places the end markers)', intOption(0), 5000)
    .option('--no-end-markers', 'bounded mode: do not write end markers')
    .parse(argv);
  const o = program.opts<{
    redis: string; streams: string; count: number; rate: number; seed: number; accounts: number; startTs: number;
    stepMs: number; maxDisorderMs: number; fraudRate: number; windowMs: number; maxOutOfOrdernessMs: number; endMarkers: boolean;
  }>();
  const streams = o.streams.split(',').map((s) => s.trim()).filter(Boolean);
  if (streams.length === 0) program.error('--streams needs at least one stream key');
  if (o.maxDisorderMs >= o.maxOutOfOrdernessMs) {
    process.stderr.write(`generator: warning: --max-disorder-ms ${o.maxDisorderMs} ≥ --max-out-of-orderness-ms ${o.maxOutOfOrdernessMs}; late data possible\n`);
  }

  const { Redis: RedisClient } = await import('ioredis');
  const redis = new RedisClient(o.redis, { maxRetriesPerRequest: 3 });
  redis.on('error', (err: Error) => process.stderr.write(`generator: redis error: ${err.message}\n`));

  const gen = new TransactionGenerator({
    seed: o.seed, streams, accounts: o.accounts, startTs: o.startTs, stepMs: o.stepMs,
    maxDisorderMs: o.maxDisorderMs, fraudRate: o.fraudRate,
  });
  let written = 0;
  let stopping = false;
  const onSignal = () => { stopping = true; };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = setInterval(() => process.stderr.write(`generator: wrote ${written} transactions\n`), 1000);

  const started = Date.now();
  const endless = o.count === 0;
  const chunk = 1000;
  try {
    while (!stopping && (endless || written < o.count)) {
      // How many records the rate allows by now.
      let allowed: number;
      if (o.rate > 0) {
        allowed = Math.floor(((Date.now() - started) / 1000) * o.rate) + 1 - written;
        if (allowed <= 0) {
          await sleep(Math.min(100, Math.max(1, Math.ceil((1 - allowed) * 1000 / o.rate))));
          continue;
        }
      } else {
        allowed = chunk;
      }
      const n = Math.min(chunk, allowed, endless ? Infinity : o.count - written);
      const txns: Txn[] = [];
      for (let i = 0; i < n; i++) txns.push(endless ? gen.nextAt(Date.now()) : gen.next());
      await writeTransactions(redis, txns);
      written += n;
    }
    if (!endless && !stopping && o.endMarkers && written > 0) {
      const ts = gen.maxTs + o.windowMs + o.maxOutOfOrdernessMs;
      await writeTransactions(redis, endMarkers(streams, ts));
      process.stderr.write(`generator: wrote end markers at ts ${ts}\n`);
    }
  } finally {
    clearInterval(progress);
    process.stderr.write(`generator: wrote ${written} transactions${stopping ? ' (stopped)' : ''}\n`);
    await redis.quit().catch(() => redis.disconnect());
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`generator: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
