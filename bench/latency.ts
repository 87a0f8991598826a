/**
 * End-to-end latency: the job runs on fresh streams while this process writes transactions live at a
 * fixed rate with event time = wall clock (minus the generator's bounded disorder). An alert for
 * window [s, e) can be known at the earliest when the watermark reaches e, i.e. when the wall clock
 * reaches e + max out-of-orderness; its latency is (time this process reads it from the output stream
 * with XREAD BLOCK) − (e + max out-of-orderness). Writing starts on a window boundary b, so windows
 * [b, b+W), [b+W, b+2W), ... are full; the k-th fires at b + kW + ooo (all its alerts at once) if
 * the writing lasts past that.
 *
 * A window's alerts fire together but are published by whichever checkpoint completes next, so the
 * percentiles are given twice: over alerts, and over windows (a window's latency: its last alert's).
 * With 1 s windows a 30 s phase has ~25 windows firing; the checkpoints taken meanwhile (cadence and
 * duration, from GET /jobs/:id/checkpoints polled every 500 ms) and, per alert, the time from the
 * completion of the checkpoint that published it to its reading are reported beside them.
 */
import { logIgnored } from './log.js';
import { Redis } from 'ioredis';
import { TransactionGenerator } from '../examples/fraud-detection/generator.js';
import { expectedAlerts, type Alert, type Txn } from '../examples/fraud-detection/reference.js';
import { parseCents } from '../examples/fraud-detection/job.js';
import { alertOf, compareAlerts, isSubsetOf } from './data.js';
import { jobArgs } from './job-run.js';
import { cancelJob, CheckpointCollector, runJar, waitForState } from './rest.js';

export interface LatencyInput {
  api: string;
  jarId: string;
  redisUrl: string;
  prefix: string;
  streams: number;
  parallelism: number;
  seconds: number;
  rate: number;
  windowMs: number;
  maxOutOfOrdernessMs: number;
  threshold: string;
  /** How long to wait, after writing stopped, for the alerts the written data determines. */
  drainTimeoutMs: number;
  flinkConfiguration?: Record<string, string>;
  /** Aborted on SIGINT/SIGTERM: the writer stops at once. */
  signal?: AbortSignal;
}

export interface LatencyResult {
  jobId: string;
  written: number;
  /** Achieved write rate, records/s. */
  writeRate: number;
  alerts: number;
  /** Distinct windows (window ends) the alerts came from: each fires as one burst. */
  windowsFired: number;
  expectedAlerts: number;
  /** Over alerts. */
  p50: number; p90: number; p99: number; max: number; min: number;
  /** Over windows, a window's latency being its last alert's. */
  windows: { p50: number; p90: number; p99: number; max: number };
  checkpoints: LatencyCheckpoints;
  alertsOk: boolean;
  alertsCheck: string;
}

/** The checkpoints taken while the phase wrote: how often, how long, and how soon their output was read. */
export interface LatencyCheckpoints {
  /** Completed checkpoints seen, and failed ones counted by the job. */
  completed: number; failed: number;
  /** Time between consecutive triggers of completed checkpoints, ms: p50 / max. */
  cadenceP50Ms: number; cadenceMaxMs: number;
  /** end_to_end_duration (trigger → _metadata written), ms: p50 / p99 / max. */
  durationP50Ms: number; durationP99Ms: number; durationMaxMs: number;
  /** Per alert: read time − completion of the newest checkpoint completed before it, ms (p50 / p99): completion → sink publish → reader. */
  completionToReadP50Ms: number; completionToReadP99Ms: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runLatency(x: LatencyInput, log: (s: string) => void): Promise<LatencyResult> {
  const tag = `${x.prefix}lat-p${x.parallelism}${x.flinkConfiguration ? '-cfg' : ''}:`;
  const inputs = Array.from({ length: x.streams }, (_, i) => `${tag}tx:${i}`);
  const output = `${tag}alerts`;
  const writer = new Redis(x.redisUrl, { maxRetriesPerRequest: null });
  const reader = new Redis(x.redisUrl, { maxRetriesPerRequest: null });
  let jobId: string | undefined;
  let cpPoll: NodeJS.Timeout | undefined;
  try {
    jobId = await runJar(x.api, x.jarId, x.parallelism, jobArgs(x.redisUrl, inputs, output, x.windowMs, x.threshold, x.maxOutOfOrdernessMs), x.flinkConfiguration);
    await waitForState(x.api, jobId, 'RUNNING', 60_000);
    // Start on a window boundary so the first window is a full one (every pair's sum, not a fraction of it).
    const toBoundary = x.windowMs - (Date.now() % x.windowMs);
    log(`latency p=${x.parallelism}: job ${jobId} running; writing ${x.rate}/s for ${x.seconds} s from the next window boundary (in ${(toBoundary / 1000).toFixed(1)} s)`);
    await sleep(toBoundary);

    const latencies: number[] = [];
    const readAt: number[] = [];
    const received: Alert[] = [];
    const checkpoints = new CheckpointCollector();
    cpPoll = setInterval(() => void checkpoints.poll(x.api, jobId!), 500);
    let readerStop = false;
    let readerError: unknown;
    const readerDone = (async () => {
      let lastId = '0-0';
      while (!readerStop) {
        const res = (await reader.xread('COUNT', 1000, 'BLOCK', 200, 'STREAMS', output, lastId)) as Array<[string, Array<[string, string[]]>]> | null;
        const now = Date.now();
        for (const [, entries] of res ?? []) {
          for (const [id, flat] of entries) {
            lastId = id;
            const a = alertOf(flat);
            received.push(a);
            readAt.push(now);
            latencies.push(now - (a.windowEnd + x.maxOutOfOrdernessMs));
          }
        }
      }
    })().catch((err: unknown) => { readerError = err; });

    // Writer: every 50 ms, one pipeline with what the schedule says is due.
    const gen = new TransactionGenerator({ seed: 7, streams: inputs });
    const written: Txn[] = [];
    const start = Date.now();
    const end = start + x.seconds * 1000;
    for (let tick = 1; ; tick++) {
      x.signal?.throwIfAborted();
      const now = Date.now();
      const due = Math.floor((x.rate * (Math.min(now, end) - start)) / 1000) - written.length;
      if (due > 0) {
        const pipe = writer.pipeline();
        for (let i = 0; i < due; i++) {
          const t = gen.nextAt(Date.now());
          written.push(t);
          pipe.xadd(t.stream, '*', 'from', t.from, 'to', t.to, 'amount', t.amount, 'ts', String(t.ts));
        }
        const results = await pipe.exec();
        for (const [err] of results ?? []) if (err) throw err;
      }
      if (now >= end) break;
      await sleep(Math.max(0, start + tick * 50 - Date.now()));
    }
    const writeSeconds = (Date.now() - start) / 1000;

    // What the written data determines: windows whose end ≤ the final watermark.
    let expected: Alert[] | undefined;
    try {
      expected = expectedAlerts(written, { windowMs: x.windowMs, thresholdCents: parseCents(x.threshold)!, maxOutOfOrdernessMs: x.maxOutOfOrdernessMs, streams: inputs });
    } catch (err) {
      log(`latency p=${x.parallelism}: reference not applicable (${(err as Error).message}); checking only for duplicates`);
    }
    const deadline = Date.now() + (expected ? x.drainTimeoutMs : 5000);
    while (Date.now() < deadline && readerError === undefined && (expected === undefined || received.length < expected.length)) await sleep(50);
    readerStop = true;
    await readerDone;
    clearInterval(cpPoll);
    await checkpoints.poll(x.api, jobId);
    if (readerError) throw readerError;
    if (expected && received.length < expected.length) {
      throw new Error(`latency p=${x.parallelism}: only ${received.length} of ${expected.length} alerts within ${x.drainTimeoutMs / 1000} s after writing stopped`);
    }
    await cancelJob(x.api, jobId);
    const check = expected ? compareAlerts(received, expected) : isSubsetOf(received, received);
    const sorted = [...latencies].sort((a, b) => a - b);
    const perWindow = new Map<number, number>();
    received.forEach((a, i) => perWindow.set(a.windowEnd, Math.max(perWindow.get(a.windowEnd) ?? -Infinity, latencies[i]!)));
    const win = [...perWindow.values()].sort((a, b) => a - b);
    const r: LatencyResult = {
      jobId, written: written.length, writeRate: written.length / writeSeconds, alerts: received.length, windowsFired: perWindow.size, expectedAlerts: expected?.length ?? NaN,
      p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN, min: sorted[0] ?? NaN,
      windows: { p50: percentile(win, 0.5), p90: percentile(win, 0.9), p99: percentile(win, 0.99), max: win[win.length - 1] ?? NaN },
      checkpoints: checkpointFigures(checkpoints, readAt),
      alertsOk: expected !== undefined && check.ok, alertsCheck: check.reason,
    };
    const c = r.checkpoints;
    log(`latency p=${x.parallelism}: ${r.alerts} alerts from ${r.windowsFired} window(s); over windows p50 ${r.windows.p50} / p99 ${r.windows.p99} / max ${r.windows.max} ms; over alerts p50 ${r.p50} / p99 ${r.p99} ms (wrote ${Math.round(r.writeRate)}/s), alerts ${r.alertsOk ? 'ok' : `WRONG (${r.alertsCheck})`}`);
    log(`latency p=${x.parallelism}: ${c.completed} checkpoints completed (${c.failed} failed), every ${c.cadenceP50Ms} ms (p50; max ${c.cadenceMaxMs}), duration p50 ${c.durationP50Ms} / p99 ${c.durationP99Ms} / max ${c.durationMaxMs} ms; completion → alert read p50 ${c.completionToReadP50Ms} / p99 ${c.completionToReadP99Ms} ms`);
    return r;
  } catch (err) {
    if (jobId) await cancelJob(x.api, jobId).catch(logIgnored(`cancelling latency job ${jobId}`));
    throw err;
  } finally {
    clearInterval(cpPoll);
    writer.disconnect();
    reader.disconnect();
  }
}

function checkpointFigures(c: CheckpointCollector, readAt: number[]): LatencyCheckpoints {
  const list = c.list(); // [id, trigger time, end-to-end ms, state bytes], by id
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  const cadence = sorted(list.slice(1).map(([, t], i) => t - list[i]![1]));
  const durations = sorted(list.map(([, , d]) => d));
  const completions = sorted(list.map(([, t, d]) => t + d));
  const toRead: number[] = [];
  for (const t of readAt) {
    // The newest completion at or before the read (binary search over the sorted completions).
    let lo = 0, hi = completions.length - 1, best = -1;
    while (lo <= hi) { const m = (lo + hi) >> 1; if (completions[m]! <= t) { best = m; lo = m + 1; } else hi = m - 1; }
    if (best >= 0) toRead.push(t - completions[best]!);
  }
  sorted(toRead);
  return {
    completed: list.length, failed: c.failed,
    cadenceP50Ms: percentile(cadence, 0.5), cadenceMaxMs: cadence[cadence.length - 1] ?? NaN,
    durationP50Ms: percentile(durations, 0.5), durationP99Ms: percentile(durations, 0.99), durationMaxMs: durations[durations.length - 1] ?? NaN,
    completionToReadP50Ms: percentile(toRead, 0.5), completionToReadP99Ms: percentile(toRead, 0.99),
  };
}
