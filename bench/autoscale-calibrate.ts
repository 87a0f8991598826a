/**
 * Calibration: what one subtask of the enrichment job processes per second when it never waits for
 * input. The job runs at parallelism 1, then 2, over streams preloaded with more than it can read in
 * the measured time; the records its source subtasks read (numRecordsIn, summed) are fitted against
 * time after a warm-up. The keyed window vertex's rate per busy second is taken from its metrics in
 * the same runs (it is far from saturated; its oracle parallelism is 1 unless that says otherwise).
 */
import type { Redis } from 'ioredis';
import { generateTransactions, writeTransactions } from '../examples/fraud-detection/generator.js';
import type { AutoscaleOptions } from './autoscale-options.js';
import type { VertexCapacity } from './autoscale-profile.js';
import { jobArgs } from './job-run.js';
import { cancelJob, getJob, runJar, waitForState } from './rest.js';

export interface CalibrationRun {
  parallelism: number;
  /** Records per second the source vertex read (slope over the measured seconds). */
  recordsPerSecond: number;
  perSubtask: number;
  /** The busiest source subtask's busy time, ms per second (mean over the measured seconds). */
  sourceBusyMs: number;
  /** The window vertex: records per busy second of one subtask (mean over the samples). */
  windowPerBusySecond: number | null;
  measuredSeconds: number;
  /** Backlog left at the end: > 0 means the source never ran dry. */
  backlogLeft: number | null;
}

export interface Calibration { runs: CalibrationRun[]; vertices: VertexCapacity[]; perSubtask: number; scaling: number | null }

interface CalibrationInput { api: string; jarId: string; redis: Redis; prefix: string; o: AutoscaleOptions; log: (s: string) => void; jobs: string[]; signal: AbortSignal }

type Aggregated = Array<{ id: string; sum?: number; max?: number; avg?: number }>;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function enrichmentArgs(o: AutoscaleOptions): string[] {
  return ['--enrich-latency-ms', String(o.enrichLatencyMs), '--enrich-batch', String(o.enrichBatch), '--batch-size', String(o.sourceBatch)];
}

/** Records per second one enrichment subtask can do at most (its lookups alone). */
export const nominalCapacity = (o: AutoscaleOptions): number => (o.enrichBatch * 1000) / o.enrichLatencyMs;

async function metric(api: string, jobId: string, vid: string, get: string): Promise<Aggregated> {
  const res = await fetch(`${api}/jobs/${jobId}/vertices/${vid}/subtasks/metrics?get=${get}&agg=sum,max,avg`, { signal: AbortSignal.timeout(5000) });
  return res.ok ? ((await res.json()) as Aggregated) : [];
}

/** Least-squares slope of y over x. */
export function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n, my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0, sxx = 0;
  for (const [x, y] of points) { sxy += (x - mx) * (y - my); sxx += (x - mx) ** 2; }
  return sxx > 0 ? sxy / sxx : NaN;
}

async function calibrateAt(x: CalibrationInput, p: number): Promise<{ run: CalibrationRun; vertices: Array<{ id: string; name: string; maxParallelism: number }> }> {
  const { o, log } = x;
  const tag = `${x.prefix}cal${p}:`;
  const streams = Array.from({ length: o.streams }, (_, i) => `${tag}tx:${i}`);
  const warmS = 4;
  // Enough input that the source never runs dry: 1.5 × the nominal capacity over warm-up, measurement and start-up.
  const count = Math.ceil(1.5 * nominalCapacity(o) * p * (warmS + o.calibrateSeconds + 15));
  await writeTransactions(x.redis, generateTransactions({ seed: o.seed + p, count, streams }), { batch: 5000 });
  const args = [...jobArgs(o.redisUrl, streams, `${tag}alerts`, o.windowMs, o.threshold, o.maxOutOfOrdernessMs), ...enrichmentArgs(o)];
  const jobId = await runJar(x.api, x.jarId, p, args, { 'metrics.fetcher.update-interval': '1000' });
  x.jobs.push(jobId);
  try {
    await waitForState(x.api, jobId, 'RUNNING', 60_000);
    const job = await getJob(x.api, jobId);
    const [src, win] = [job.vertices[0]!, job.vertices[job.vertices.length - 1]!];
    const read = async (): Promise<number> => (await metric(x.api, jobId, src.id, 'numRecordsIn')).find((m) => m.id === 'numRecordsIn')?.sum ?? 0;
    const deadline = Date.now() + 60_000;
    while ((await read()) === 0) {
      x.signal.throwIfAborted();
      if (Date.now() > deadline) throw new Error(`calibration at parallelism ${p}: no record read within 60 s`);
      await sleep(500);
    }
    await sleep(warmS * 1000);
    const points: Array<[number, number]> = [];
    const busy: number[] = [];
    const window: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < o.calibrateSeconds * 1000) {
      x.signal.throwIfAborted();
      const [recs, sb, wm] = await Promise.all([read(), metric(x.api, jobId, src.id, 'busyTimeMsPerSecond'), metric(x.api, jobId, win.id, 'numRecordsInPerSecond,busyTimeMsPerSecond')]);
      points.push([(Date.now() - t0) / 1000, recs]);
      const b = sb.find((m) => m.id === 'busyTimeMsPerSecond')?.max;
      if (b !== undefined) busy.push(b);
      const wIn = wm.find((m) => m.id === 'numRecordsInPerSecond')?.sum, wBusy = wm.find((m) => m.id === 'busyTimeMsPerSecond')?.avg;
      if (wIn && wBusy && wBusy > 0) window.push(wIn / win.parallelism / (wBusy / 1000));
      await sleep(1000);
    }
    const pending = (await metric(x.api, jobId, src.id, 'pendingRecords')).find((m) => m.id === 'pendingRecords')?.sum ?? null;
    const rate = slope(points);
    const mean = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);
    const run: CalibrationRun = {
      parallelism: p, recordsPerSecond: rate, perSubtask: rate / p, sourceBusyMs: mean(busy), windowPerBusySecond: window.length ? mean(window) : null,
      measuredSeconds: o.calibrateSeconds, backlogLeft: pending,
    };
    log(`calibration at parallelism ${p}: ${Math.round(rate)} records/s (${Math.round(run.perSubtask)} per subtask, nominal ${Math.round(nominalCapacity(o))}), ` +
      `busiest source subtask busy ${Math.round(run.sourceBusyMs)} ms/s, backlog left ${pending ?? 'unknown'}`);
    return { run, vertices: job.vertices.map((v) => ({ id: v.id, name: v.name, maxParallelism: v.maxParallelism })) };
  } finally {
    await cancelJob(x.api, jobId, 30_000).catch((err: Error) => log(`calibration: cancelling ${jobId}: ${err.message}`));
    await x.redis.del(...streams, `${tag}alerts`).catch(() => 0);
  }
}

/** Runs the calibration at parallelism 1 and 2; the per-subtask capacity is their mean. */
export async function calibrate(x: CalibrationInput): Promise<Calibration> {
  const runs: CalibrationRun[] = [];
  let vertices: Array<{ id: string; name: string; maxParallelism: number }> = [];
  for (const p of [1, 2]) {
    const r = await calibrateAt(x, p);
    runs.push(r.run);
    vertices = r.vertices;
  }
  if (runs.some((r) => !(r.perSubtask > 0))) throw new Error(`calibration measured no processing rate: ${JSON.stringify(runs)}`);
  const perSubtask = runs.reduce((a, r) => a + r.perSubtask, 0) / runs.length;
  const windowRates = runs.map((r) => r.windowPerBusySecond).filter((v): v is number => v !== null && v > 0);
  const windowRate = windowRates.length ? Math.min(...windowRates) : Infinity;
  const caps: VertexCapacity[] = vertices.map((v, i) => i === 0
    ? { vertexId: v.id, name: v.name, perSubtask, streams: x.o.streams, maxParallelism: v.maxParallelism }
    : { vertexId: v.id, name: v.name, perSubtask: windowRate, maxParallelism: v.maxParallelism });
  return { runs, vertices: caps, perSubtask, scaling: runs[1]!.recordsPerSecond / runs[0]!.recordsPerSecond };
}
