/**
 * Reference computation for the fraud-detection job: what the job's output
 * must be for a given input, computed directly with plain loops and BigInt
 * arithmetic (deliberately sharing no code with job.ts).
 *
 * Semantics modelled (the job's contract, over the records generator.ts writes):
 * - window of a record: [s, s+W) with s = floor(ts / W) * W;
 * - global watermark = min over ALL listed streams of (max ts seen on that
 *   stream − maxOutOfOrderness); a stream with no entries holds it at −∞;
 * - a window fires when the global watermark ≥ its end;
 * - a record whose window end ≤ the global watermark current when it is
 *   processed is late and dropped;
 * - alert when the window's sum is strictly greater than the threshold.
 *
 * Late data depends on how the engine interleaves streams. We avoid modelling
 * it: the generator's disorder (maxDisorderMs) is kept strictly below the
 * job's maxOutOfOrdernessMs, which guarantees there is no late record under
 * ANY interleaving (a record's ts ≥ its stream's max ts so far − disorder >
 * that stream's watermark ≥ the global watermark, and its window end > ts).
 * `expectedAlerts` checks the sufficient condition per record and throws if it
 * does not hold, so a test never silently compares against a wrong model.
 * With no late data the result only depends on the final watermark.
 */

export interface Txn {
  from: string;
  to: string;
  /** Decimal dollar string, e.g. "12.30". */
  amount: string;
  /** Event time, epoch ms. */
  ts: number;
  /** The stream (partition) key the transaction is written to. */
  stream: string;
}

export interface Alert {
  from: string;
  to: string;
  windowStart: number;
  windowEnd: number;
  /** Two decimal places, e.g. "10000.01". */
  total: string;
  count: number;
}

export interface ReferenceOptions {
  windowMs: number;
  thresholdCents: number;
  maxOutOfOrdernessMs: number;
  /** All input streams of the job (a listed stream without entries holds the watermark at −∞). */
  streams: string[];
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Amount → cents via BigInt of the digit string; `null` for anything that is not
 * `digits` or `digits.d` / `digits.dd` (the job drops such records).
 */
export function referenceCents(amount: string): bigint | null {
  if (typeof amount !== 'string' || amount.length === 0) return null;
  const parts = amount.split('.');
  if (parts.length > 2) return null;
  const whole = parts[0]!;
  const frac = parts.length === 2 ? parts[1]! : '';
  if (whole.length === 0) return null;
  if (parts.length === 2 && (frac.length < 1 || frac.length > 2)) return null;
  for (const ch of whole + frac) {
    if (ch < '0' || ch > '9') return null;
  }
  const cents = BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
  return cents > MAX_SAFE ? null : cents;
}

/** Cents → "d.dd" via the digit string of a BigInt. */
export function referenceFormat(cents: bigint): string {
  const neg = cents < 0n;
  const digits = (neg ? -cents : cents).toString().padStart(3, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

function isValidTs(ts: number): boolean {
  return Number.isSafeInteger(ts) && ts >= 0;
}

/** The window start of an event time: floor(ts / W) * W. */
export function windowStartOf(ts: number, windowMs: number): number {
  return Math.floor(ts / windowMs) * windowMs;
}

/** Final global watermark: min over the listed streams of (max ts − ooo); −∞ if a listed stream has no entries. */
export function finalWatermark(txns: Txn[], streams: string[], maxOutOfOrdernessMs: number): number {
  const maxTs = new Map<string, number>();
  for (const t of txns) {
    if (!Number.isFinite(t.ts)) continue;
    const prev = maxTs.get(t.stream);
    if (prev === undefined || t.ts > prev) maxTs.set(t.stream, t.ts);
  }
  let wm = Infinity;
  for (const s of streams) {
    const m = maxTs.get(s);
    wm = Math.min(wm, m === undefined ? -Infinity : m - maxOutOfOrdernessMs);
  }
  return streams.length === 0 ? -Infinity : wm;
}

/**
 * Records that could be late under some interleaving of the streams: processed
 * in stream order, a record is safe if its window end is above its own stream's
 * watermark (the global watermark can only be lower).
 */
export function possiblyLateRecords(txns: Txn[], opts: Pick<ReferenceOptions, 'windowMs' | 'maxOutOfOrdernessMs'>): Txn[] {
  const maxTs = new Map<string, number>();
  const late: Txn[] = [];
  for (const t of txns) {
    if (!Number.isFinite(t.ts)) continue;
    const prev = maxTs.get(t.stream) ?? -Infinity;
    const max = Math.max(prev, t.ts);
    maxTs.set(t.stream, max);
    const end = windowStartOf(t.ts, opts.windowMs) + opts.windowMs;
    if (end <= max - opts.maxOutOfOrdernessMs) late.push(t);
  }
  return late;
}

/**
 * The alerts the job must produce for `txns` (in per-stream order, as written),
 * sorted by (windowStart, from, to).
 */
export function expectedAlerts(txns: Txn[], opts: ReferenceOptions): Alert[] {
  const late = possiblyLateRecords(txns, opts);
  if (late.length > 0) {
    throw new Error(
      `reference model assumes no late data, but ${late.length} record(s) may be late ` +
        `(first: ${JSON.stringify(late[0])}); keep the generator's disorder below max out-of-orderness`,
    );
  }
  const listed = new Set(opts.streams);
  const wm = finalWatermark(txns, opts.streams, opts.maxOutOfOrdernessMs);

  interface Acc { from: string; to: string; windowStart: number; cents: bigint; count: number }
  const windows = new Map<string, Acc>();
  for (const t of txns) {
    if (!listed.has(t.stream)) continue;
    if (typeof t.from !== 'string' || typeof t.to !== 'string' || t.from === '' || t.to === '') continue;
    if (!isValidTs(t.ts)) continue;
    const cents = referenceCents(t.amount);
    if (cents === null) continue;
    const windowStart = windowStartOf(t.ts, opts.windowMs);
    const id = JSON.stringify([t.from, t.to, windowStart]);
    let acc = windows.get(id);
    if (!acc) {
      acc = { from: t.from, to: t.to, windowStart, cents: 0n, count: 0 };
      windows.set(id, acc);
    }
    acc.cents += cents;
    acc.count += 1;
  }

  const threshold = BigInt(opts.thresholdCents);
  const alerts: Alert[] = [];
  for (const acc of windows.values()) {
    const windowEnd = acc.windowStart + opts.windowMs;
    if (windowEnd > wm) continue; // not fired yet
    if (acc.cents <= threshold) continue; // strictly greater only
    alerts.push({ from: acc.from, to: acc.to, windowStart: acc.windowStart, windowEnd, total: referenceFormat(acc.cents), count: acc.count });
  }
  return sortAlerts(alerts);
}

function cmp(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts alerts by (windowStart, from, to), comparing strings by code unit. */
export function sortAlerts<T extends { windowStart: number; from: string; to: string }>(alerts: T[]): T[] {
  return [...alerts].sort((a, b) => cmp(a.windowStart, b.windowStart) || cmp(a.from, b.from) || cmp(a.to, b.to));
}
