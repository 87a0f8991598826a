/**
 * Fraud-detection job (the project's reference workload; its input is what generator.ts writes, its output what reference.ts computes).
 *
 * Reads transfers `{from, to, amount, ts}` from one or more Redis streams, sums
 * the amount per (from, to) pair over event-time tumbling windows, and writes an
 * alert for each (from, to, window) whose total is strictly greater than the
 * threshold, once the watermark passes the window end.
 *
 * With `--enrich-latency-ms N` (off by default) each valid transfer also passes an
 * enrichment step, a simulated synchronous lookup of N ms per `--enrich-batch`
 * records (see `enrichmentLookup`): the I/O-bound workload of the autoscaling
 * benchmark (bench/autoscale.ts). It does not change the alerts.
 *
 * This file is shipped as a self-contained single-file bundle
 * (`dist/examples/fraud-detection.mjs`), so it must not import anything at
 * runtime: only `import type` is allowed. The helpers below are also named
 * exports so that tests and the reference computation can use them.
 */
import type { JobFunction, StreamEntry } from '../../sdk/index.js';

export const USAGE =
  'usage: fraud-detection --input <key>[,<key>...] --output <key> [--redis <url>] ' +
  '[--window-ms <ms>] [--threshold <dollars>] [--max-out-of-orderness-ms <ms>] ' +
  '[--enrich-latency-ms <ms>] [--enrich-batch <records>] [--batch-size <entries>] ' +
  '[--watermark-alignment-ms <max drift ms>] [--watermark-alignment-update-ms <ms>]';

export interface FraudJobArgs {
  /** Redis URL. @default 'redis://127.0.0.1:6379' */
  redis: string;
  /** Input stream keys (one per partition). */
  inputs: string[];
  /** Output stream key. */
  output: string;
  /** Tumbling window size in ms. @default 10000 */
  windowMs: number;
  /** Threshold in integer cents (the `--threshold` is given in dollars). @default 1_000_000 ($10000) */
  thresholdCents: number;
  /** Bounded out-of-orderness in ms. @default 5000 */
  maxOutOfOrdernessMs: number;
  /** The enrichment step (`--enrich-latency-ms`, `--enrich-batch`); undefined: no such step (the default). */
  enrich?: { latencyMs: number; batch: number } | undefined;
  /** Entries per XREAD per stream (`--batch-size`); undefined: the source's default. */
  batchSize?: number | undefined;
  /**
   * Watermark alignment of the source subtasks (`--watermark-alignment-ms` max drift,
   * `--watermark-alignment-update-ms` update interval, default 1000); undefined: off (the default).
   */
  alignment?: { maxDriftMs: number; updateIntervalMs: number } | undefined;
}

/** A parsed transfer. */
export interface Transfer {
  from: string;
  to: string;
  /** Amount in integer cents. */
  cents: number;
  /** Event time, epoch ms. */
  ts: number;
}

export interface TransferAccumulator {
  from: string;
  to: string;
  cents: number;
  count: number;
}

export interface FraudAlert {
  from: string;
  to: string;
  windowStart: number;
  windowEnd: number;
  cents: number;
  count: number;
}

const AMOUNT_RE = /^(\d+)(?:\.(\d{1,2}))?$/;

/**
 * Parses a non-negative decimal dollar amount with at most two decimal places
 * into integer cents, exactly (no float multiplication):
 * `"12.30"` → 1230, `"12"` → 1200, `"12.3"` → 1230, `"0.05"` → 5.
 * Returns `null` for anything else (negative, empty, more than two decimals,
 * exponents, whitespace, or a value beyond Number.MAX_SAFE_INTEGER cents).
 */
export function parseCents(amount: string): number | null {
  if (typeof amount !== 'string') return null;
  const m = AMOUNT_RE.exec(amount);
  if (!m) return null;
  const dollars = Number(m[1]);
  const fraction = m[2] === undefined ? 0 : m[2].length === 1 ? Number(m[2]) * 10 : Number(m[2]);
  if (!Number.isSafeInteger(dollars)) return null;
  const cents = dollars * 100 + fraction;
  return Number.isSafeInteger(cents) ? cents : null;
}

/** Formats integer cents as a dollar amount with two decimal places: 1000001 → "10000.01", 5 → "0.05". */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`formatCents needs a safe integer number of cents, got ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const frac = abs % 100;
  return `${sign}${(abs - frac) / 100}.${frac < 10 ? '0' : ''}${frac}`;
}

/** Parses an event time: a non-negative integer string of epoch milliseconds; `null` if invalid. */
export function parseTimestamp(ts: string | undefined): number | null {
  if (typeof ts !== 'string' || !/^\d{1,16}$/.test(ts)) return null;
  const n = Number(ts);
  return Number.isSafeInteger(n) ? n : null;
}

function usageError(message: string): Error {
  return new Error(`fraud-detection: ${message}\n${USAGE}`);
}

function parseNonNegativeInt(flag: string, value: string, allowZero: boolean, unit = 'milliseconds'): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || (!allowZero && n === 0)) {
    throw usageError(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer number of ${unit}, got "${value}"`);
  }
  return n;
}

/**
 * Parses the job's program arguments (`--flag value` or `--flag=value`).
 * Throws an Error carrying the usage text on a missing required flag, a missing
 * value, an unknown flag, or an invalid number.
 */
export function parseArgs(args: readonly string[]): FraudJobArgs {
  const values = new Map<string, string>();
  const known = new Set([
    '--redis', '--input', '--output', '--window-ms', '--threshold', '--max-out-of-orderness-ms', '--enrich-latency-ms', '--enrich-batch', '--batch-size',
    '--watermark-alignment-ms', '--watermark-alignment-update-ms',
  ]);
  for (let i = 0; i < args.length; i++) {
    const arg = String(args[i]);
    let flag: string;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      flag = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    } else {
      flag = arg;
      value = args[i + 1];
      if (known.has(flag)) {
        if (value === undefined || value.startsWith('--')) throw usageError(`${flag} needs a value`);
        i++;
      }
    }
    if (!known.has(flag)) throw usageError(`unknown argument "${arg}"`);
    values.set(flag, value!);
  }

  const redis = values.get('--redis') ?? 'redis://127.0.0.1:6379';
  if (!redis) throw usageError('--redis must not be empty');

  const inputRaw = values.get('--input');
  if (inputRaw === undefined) throw usageError('--input is required');
  const inputs = inputRaw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (inputs.length === 0) throw usageError('--input needs at least one stream key');

  const output = values.get('--output');
  if (output === undefined) throw usageError('--output is required');
  if (!output.trim()) throw usageError('--output must not be empty');

  const windowRaw = values.get('--window-ms');
  const windowMs = windowRaw === undefined ? 10000 : parseNonNegativeInt('--window-ms', windowRaw, false);

  const oooRaw = values.get('--max-out-of-orderness-ms');
  const maxOutOfOrdernessMs = oooRaw === undefined ? 5000 : parseNonNegativeInt('--max-out-of-orderness-ms', oooRaw, true);

  const thresholdRaw = values.get('--threshold');
  let thresholdCents = 1_000_000;
  if (thresholdRaw !== undefined) {
    const c = parseCents(thresholdRaw);
    if (c === null) throw usageError(`--threshold must be a non-negative dollar amount with at most two decimals, got "${thresholdRaw}"`);
    thresholdCents = c;
  }

  const latencyRaw = values.get('--enrich-latency-ms');
  const latencyMs = latencyRaw === undefined ? 0 : parseNonNegativeInt('--enrich-latency-ms', latencyRaw, true);
  const enrichBatchRaw = values.get('--enrich-batch');
  const batch = enrichBatchRaw === undefined ? 10 : parseNonNegativeInt('--enrich-batch', enrichBatchRaw, false, 'records');
  const batchRaw = values.get('--batch-size');
  const batchSize = batchRaw === undefined ? undefined : parseNonNegativeInt('--batch-size', batchRaw, false, 'entries');
  const driftRaw = values.get('--watermark-alignment-ms');
  const updateRaw = values.get('--watermark-alignment-update-ms');
  if (driftRaw === undefined && updateRaw !== undefined) throw usageError('--watermark-alignment-update-ms needs --watermark-alignment-ms');
  const alignment = driftRaw === undefined ? undefined : {
    maxDriftMs: parseNonNegativeInt('--watermark-alignment-ms', driftRaw, true),
    updateIntervalMs: updateRaw === undefined ? 1000 : parseNonNegativeInt('--watermark-alignment-update-ms', updateRaw, false),
  };

  return {
    redis, inputs, output: output.trim(), windowMs, thresholdCents, maxOutOfOrdernessMs,
    enrich: latencyMs > 0 ? { latencyMs, batch } : undefined, batchSize, alignment,
  };
}

/**
 * The enrichment step (`--enrich-latency-ms N`, off by default): it stands for a lookup in an
 * external store made with a synchronous client, as many real jobs do, where one round trip answers
 * up to `batch` records and takes N ms. The returned function waits N ms once every `batch` records
 * that pass through it and passes each record on unchanged (the lookup's answer is not used, so the
 * alerts stay exactly the reference's).
 *
 * The wait blocks the thread without using CPU (Atomics.wait sleeps), so it is I/O-bound work: a
 * subtask processes at most batch × 1000 / N records per second whatever the cores, and capacity
 * grows with the number of subtasks (each TaskManager is its own process) until the CPU-bound rest
 * of the job fills the cores. Because it blocks, whatever else runs in the same TaskManager waits
 * too, as with any blocking client; in this job it is chained into the source's vertex, so what
 * waits is that subtask's own reading and, in the TaskManager of subtask 0, the keyed window
 * subtask, whose wait for input counts as idle time.
 */
export function enrichmentLookup<T>(latencyMs: number, batch: number, sleep: (ms: number) => void = blockingSleep()): (record: T) => T {
  if (!(latencyMs > 0) || !Number.isSafeInteger(batch) || batch < 1) throw new RangeError(`enrichment needs latencyMs > 0 and a positive integer batch, got ${latencyMs} ms per ${batch}`);
  let sinceLookup = 0;
  return (record) => {
    if (++sinceLookup >= batch) {
      sinceLookup = 0;
      sleep(latencyMs);
    }
    return record;
  };
}

/** Sleeps the calling thread for `ms` without spinning (the main thread of a Node process may wait on Atomics). */
function blockingSleep(): (ms: number) => void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return (ms) => { Atomics.wait(cell, 0, 0, ms); };
}

/** Turns a stream entry into a transfer; invalid amounts/timestamps give NaN and are dropped by `isValidTransfer`. */
export function toTransfer(e: StreamEntry): Transfer {
  const f = e.fields ?? {};
  return {
    from: typeof f.from === 'string' ? f.from : '',
    to: typeof f.to === 'string' ? f.to : '',
    cents: parseCents(f.amount as string) ?? NaN,
    ts: parseTimestamp(f.ts) ?? NaN,
  };
}

export function isValidTransfer(t: Transfer): boolean {
  return Number.isSafeInteger(t.cents) && Number.isSafeInteger(t.ts) && t.from.length > 0 && t.to.length > 0;
}

/** The key of a transfer: from and to joined by NUL (account ids contain no NUL). */
export function pairKey(t: Transfer): string {
  return t.from + '\u0000' + t.to;
}

/** The fields of one output stream entry. */
export function alertFields(a: FraudAlert): Record<string, string> {
  return {
    from: a.from,
    to: a.to,
    windowStart: String(a.windowStart),
    windowEnd: String(a.windowEnd),
    total: formatCents(a.cents),
    count: String(a.count),
  };
}

const job: JobFunction = (env, args) => {
  const opts = parseArgs(args);
  const thresholdCents = opts.thresholdCents;
  env.setJobName('Fraud Detection');
  let transfers = env
    .fromRedisStreams({
      url: opts.redis,
      streams: opts.inputs,
      startFrom: 'earliest',
      watermarks: {
        timestamp: (e) => Number(e.fields.ts), maxOutOfOrdernessMs: opts.maxOutOfOrdernessMs,
        ...(opts.alignment ? { alignment: { group: 'transfers', ...opts.alignment } } : {}),
      },
      ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
    })
    .map(toTransfer, 'Parse Transfer')
    .filter(isValidTransfer, 'Drop Invalid');
  // Only with --enrich-latency-ms: without it the graph (and so its vertex ids) is what it always was.
  if (opts.enrich) transfers = transfers.map(enrichmentLookup<Transfer>(opts.enrich.latencyMs, opts.enrich.batch), `Enrich (lookup ${opts.enrich.latencyMs} ms per ${opts.enrich.batch})`);
  transfers
    .keyBy(pairKey, 'By Account Pair')
    .window(env.windows.tumbling(opts.windowMs))
    .aggregate<TransferAccumulator, TransferAccumulator, FraudAlert>(
      {
        createAccumulator: () => ({ from: '', to: '', cents: 0, count: 0 }),
        add: (acc, t) => ({ from: t.from, to: t.to, cents: acc.cents + t.cents, count: acc.count + 1 }),
        getResult: (acc) => acc,
      },
      (_key, window, acc) => ({
        from: acc.from,
        to: acc.to,
        windowStart: window.start,
        windowEnd: window.end,
        cents: acc.cents,
        count: acc.count,
      }),
      `Window(Tumbling ${opts.windowMs}ms, Sum per Pair)`,
    )
    .filter((a) => a.cents > thresholdCents, 'Over Threshold')
    .sinkTo(env.redisStreamSink<FraudAlert>({ url: opts.redis, stream: opts.output, fields: alertFields, name: 'Alerts Sink' }));
};

export default job;
