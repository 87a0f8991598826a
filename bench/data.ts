/** Bench data: the key prefix, loading the transactions, reading an alert stream back, cleaning up. */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { endMarkers, generateTransactions, writeTransactions } from '../examples/fraud-detection/generator.js';
import { expectedAlerts, possiblyLateRecords, sortAlerts, type Alert, type Txn } from '../examples/fraud-detection/reference.js';
import { parseCents } from '../examples/fraud-detection/job.js';
import type { BenchOptions } from './options.js';

/** `ebbflow-bench-<random>:` — every key the benchmark (and its dispatcher and jobs) writes starts with it. */
export function newKeyPrefix(): string {
  return `ebbflow-bench-${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK; never FLUSHALL). Returns how many. */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  if (!/^ebbflow-(bench|chaos|demo)-[0-9a-f]+:$/.test(prefix)) throw new Error(`refusing to delete keys by an unexpected prefix "${prefix}"`);
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) n += await redis.unlink(...keys);
  } while (cursor !== '0');
  return n;
}

export interface Dataset {
  streams: string[];
  txns: Txn[];
  expected: Alert[];
  /** Seconds spent writing to Redis (generation excluded). */
  loadSeconds: number;
  generateSeconds: number;
}

/** Generates `records` transactions (seed 42) plus end markers, writes them to fresh streams, computes the expected alerts. */
export async function loadDataset(redis: Redis, prefix: string, o: BenchOptions, log: (s: string) => void): Promise<Dataset> {
  const streams = Array.from({ length: o.streams }, (_, i) => `${prefix}tx:${i}`);
  let t = performance.now();
  const data = generateTransactions({ seed: o.seed, streams, count: o.records });
  const lastTs = data.reduce((m, x) => Math.max(m, x.ts), -Infinity);
  const txns = [...data, ...endMarkers(streams, lastTs + o.windowMs + o.maxOutOfOrdernessMs + 1)];
  const refOpts = { windowMs: o.windowMs, thresholdCents: parseCents(o.threshold)!, maxOutOfOrdernessMs: o.maxOutOfOrdernessMs, streams };
  const late = possiblyLateRecords(txns, refOpts);
  if (late.length > 0) throw new Error(`generator produced ${late.length} possibly late record(s); the reference cannot model them`);
  const expected = expectedAlerts(txns, refOpts);
  const generateSeconds = (performance.now() - t) / 1000;
  log(`generated ${txns.length} entries (${o.records} + ${streams.length} end markers), ${expected.length} expected alerts, in ${generateSeconds.toFixed(1)} s`);
  t = performance.now();
  await writeTransactions(redis, txns, { batch: 5000 });
  const loadSeconds = (performance.now() - t) / 1000;
  log(`loaded into ${streams.length} streams in ${loadSeconds.toFixed(1)} s (${Math.round(txns.length / loadSeconds)} XADD/s; not part of any measurement)`);
  return { streams, txns, expected, loadSeconds, generateSeconds };
}

function toFields(flat: string[]): Record<string, string> {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  return f;
}

/** An output-stream entry as a reference `Alert`. */
export function alertOf(flat: string[]): Alert {
  const f = toFields(flat);
  return { from: f.from ?? '', to: f.to ?? '', windowStart: Number(f.windowStart), windowEnd: Number(f.windowEnd), total: f.total ?? '', count: Number(f.count) };
}

/** Every entry of an alert stream, as alerts (XRANGE in pages). */
export async function readAlerts(redis: Redis, stream: string): Promise<Alert[]> {
  const out: Alert[] = [];
  let start = '-';
  for (;;) {
    const page = (await redis.xrange(stream, start, '+', 'COUNT', 10_000)) as Array<[string, string[]]>;
    for (const [, flat] of page) out.push(alertOf(flat));
    if (page.length < 10_000) return out;
    start = '(' + page[page.length - 1]![0];
  }
}

const alertKey = (a: Alert) => JSON.stringify([a.windowStart, a.windowEnd, a.from, a.to, a.total, a.count]);

/** Exact comparison of two alert lists as sorted sequences; a short reason when they differ. */
export function compareAlerts(actual: Alert[], expected: Alert[]): { ok: boolean; reason: string } {
  const a = sortAlerts(actual).map(alertKey);
  const e = sortAlerts(expected).map(alertKey);
  if (a.length !== e.length) return { ok: false, reason: `${a.length} alerts, expected ${e.length}` };
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) return { ok: false, reason: `alert #${i} is ${a[i]}, expected ${e[i]}` };
  }
  return { ok: true, reason: 'identical' };
}

/** Every alert of `actual` is in `expected` (exactly, total and count included) and none appears twice. */
export function isSubsetOf(actual: Alert[], expected: Alert[]): { ok: boolean; reason: string } {
  const want = new Set(expected.map(alertKey));
  const seen = new Set<string>();
  for (const a of actual) {
    const k = alertKey(a);
    if (!want.has(k)) return { ok: false, reason: `unexpected alert ${k}` };
    if (seen.has(k)) return { ok: false, reason: `duplicate alert ${k}` };
    seen.add(k);
  }
  return { ok: true, reason: `${actual.length} alerts, all in the reference` };
}
