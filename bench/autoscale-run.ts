/**
 * One row of the autoscaling benchmark: a fresh job at parallelism 1 on fresh streams, the profile
 * written live, the job sampled once a second, and either the job's own autoscaler on
 * (`job.autoscaler.enabled`) or the Flink-style controller (flink-controller.ts) driving it over
 * REST. After the profile every window is flushed (end markers) and the alerts are compared with
 * the reference; then the job's rescale history is read and the job cancelled.
 */
import { parseCents } from '../examples/fraud-detection/job.js';
import type { Alert } from '../examples/fraud-detection/reference.js';
import { enrichmentArgs } from './autoscale-calibrate.js';
import { ProfileWriter, type ProfileWriterStats } from './autoscale-load.js';
import type { AutoscaleOptions, Policy } from './autoscale-options.js';
import type { LoadProfile, VertexCapacity } from './autoscale-profile.js';
import { JobSampler, sampledVertices, type Sample } from './autoscale-sampler.js';
import { compareAlerts } from './data.js';
import { FlinkController, type FlinkRescaleRecord } from './flink-controller.js';
import { FlinkStylePolicy, type FlinkOptions } from './flink-policy.js';
import { jobArgs } from './job-run.js';
import { logIgnored } from './log.js';
import { duplicates } from './rescale-analysis.js';
import { AlertReader, type Arrival } from './rescale-load.js';
import { cancelJob, getJob, runJar, waitForState } from './rest.js';

export interface RowInput {
  policy: Policy;
  api: string;
  jarId: string;
  prefix: string;
  o: AutoscaleOptions;
  profile: LoadProfile;
  capacity: VertexCapacity[];
  flink: FlinkOptions;
  signal: AbortSignal;
  log: (s: string) => void;
  /** Every job started, for cleaning up. */
  jobs: string[];
}

/** A rescale as the job's history records it (GET /jobs/:id/rescales/history). */
export interface RescaleEvent { start: number; end: number | null; status: string; trigger: string; from: Record<string, number>; to: Record<string, number> }

export interface RowResult {
  policy: Policy;
  available: boolean;
  unavailable?: string;
  jobId?: string;
  /** Date.now() when the profile began / ended. */
  t0: number;
  tEnd: number;
  samples: Sample[];
  rescales: RescaleEvent[];
  /** Built-in: its decisions as GET /jobs/:id/autoscaler showed them; Flink-style: the controller's rescales. */
  decisions: unknown[];
  flinkRescales?: FlinkRescaleRecord[];
  flinkWaits?: Record<string, number>;
  arrivals: Arrival[];
  writer?: ProfileWriterStats;
  expectedAlerts: number;
  alerts: number;
  duplicates: number;
  alertsOk: boolean;
  alertsCheck: string;
  exceptions: string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The job configuration of a row: metrics every second for both; the built-in autoscaler on for its row. */
export function rowConfiguration(policy: Policy, o: AutoscaleOptions): Record<string, string> {
  // Metrics every second (the benchmark samples once a second); the rescale history long enough for any row.
  const conf: Record<string, string> = { 'metrics.fetcher.update-interval': '1000', 'web.adaptive-scheduler.rescale-history.size': '500' };
  if (policy === 'builtin') Object.assign(conf, { 'job.autoscaler.enabled': 'true' }, o.builtinConf);
  return conf;
}

export async function runRow(x: RowInput): Promise<RowResult> {
  const { o, log, policy, profile } = x;
  const tag = `${x.prefix}${policy}:`;
  const streams = Array.from({ length: o.streams }, (_, i) => `${tag}tx:${i}`);
  const output = `${tag}alerts`;
  const args = [...jobArgs(o.redisUrl, streams, output, o.windowMs, o.threshold, o.maxOutOfOrdernessMs), ...enrichmentArgs(o)];
  const empty = (why: string): RowResult => ({
    policy, available: false, unavailable: why, t0: 0, tEnd: 0, samples: [], rescales: [], decisions: [], arrivals: [], expectedAlerts: 0, alerts: 0, duplicates: 0,
    alertsOk: false, alertsCheck: 'not run', exceptions: [],
  });

  const jobId = await runJar(x.api, x.jarId, 1, args, rowConfiguration(policy, o));
  x.jobs.push(jobId);
  const reader = new AlertReader(o.redisUrl, output);
  const writer = new ProfileWriter(o.redisUrl, streams, (t) => profile.rateAt(t), profile.durationS, {
    seed: o.seed, accounts: o.accounts, windowMs: o.windowMs, maxOutOfOrdernessMs: o.maxOutOfOrdernessMs, thresholdCents: parseCents(o.threshold)!,
  });
  let controller: FlinkController | undefined;
  try {
    await waitForState(x.api, jobId, 'RUNNING', 60_000);
    if (policy === 'builtin') {
      const res = await fetch(`${x.api}/jobs/${jobId}/autoscaler`, { signal: AbortSignal.timeout(5000) });
      if (res.status === 404) {
        const why = `GET /jobs/:id/autoscaler answers 404 (${(await res.text()).slice(0, 160)})`;
        log(`builtin: built-in autoscaler not available in this build: ${why}`);
        await cancelJob(x.api, jobId, 30_000).catch(logIgnored(`cancelling ${jobId}`));
        return empty(why);
      }
    }
    const job = await getJob(x.api, jobId);
    const vertices = sampledVertices(job);
    const sampler = new JobSampler(x.api, jobId, vertices, policy === 'builtin');
    if (policy === 'flink') {
      const cv = vertices.map((v, i) => ({
        ...v, maxParallelism: job.vertices[i]!.maxParallelism, ...(v.isSource ? { partitions: o.streams } : { keyed: true }),
      }));
      controller = new FlinkController(x.api, jobId, cv, new FlinkStylePolicy(x.flink, Date.now()), log);
    }
    reader.begin();
    writer.begin(x.signal);
    const t0 = writer.startedAt;
    log(`${policy}: job ${jobId} running at parallelism 1; profile of ${profile.durationS} s started (night ${Math.round(profile.spec.nightRate)}/s, plateau ${Math.round(profile.peakRate)}/s)`);
    let lastPhase = '';
    for (let tick = 1; !writer.finished; tick++) {
      x.signal.throwIfAborted();
      writer.check();
      reader.check();
      const s = await sampler.sample();
      if (s.state !== 'RUNNING') throw new Error(`${policy}: job ${jobId} is ${s.state}`);
      controller?.onSample(s);
      const phase = profile.phaseAt((s.t - t0) / 1000);
      if (phase !== lastPhase) { log(`${policy}: ${phase} (${Math.round(profile.rateAt((s.t - t0) / 1000))}/s)`); lastPhase = phase; }
      if (tick % 15 === 0) {
        log(`${policy}: t=${Math.round((s.t - t0) / 1000)} s, rate ${Math.round(profile.rateAt((s.t - t0) / 1000))}/s, parallelism ${Object.values(s.parallelism).join('/')}, ` +
          `${s.taskManagers} TaskManagers, backlog ${s.backlog ?? '?'}`);
      }
      await sleep(Math.max(0, t0 + tick * 1000 - Date.now()));
    }
    const tEnd = Date.now();
    await controller?.settle();
    const w = await writer.finish();
    const expected: Alert[] = writer.reference.expected();
    log(`${policy}: wrote ${w.written} transactions; waiting for ${expected.length} alerts (windows flushed by end markers)`);
    // Whatever backlog is left drains at the parallelism the job has now; bounded.
    const deadline = Date.now() + 240_000;
    while (reader.arrivals.length < expected.length && Date.now() < deadline) {
      x.signal.throwIfAborted();
      reader.check();
      await sampler.sample();
      await sleep(1000);
    }
    await sleep(3000);
    reader.check();
    const got = reader.arrivals.map((a) => a.alert);
    const check = compareAlerts(got, expected);
    const dup = duplicates(reader.arrivals);
    log(`${policy}: ${got.length} alerts, ${dup} duplicate(s), ${check.ok ? 'identical to the reference' : `WRONG (${check.reason})`}`);
    const rescales = await rescaleHistory(x.api, jobId);
    const exceptions = await jobExceptions(x.api, jobId);
    await cancelJob(x.api, jobId).catch((err: Error) => log(`${policy}: cancelling ${jobId}: ${err.message}`));
    return {
      policy, available: true, jobId, t0, tEnd, samples: sampler.samples, rescales,
      decisions: policy === 'builtin' ? [...sampler.decisions.values()] : [], flinkRescales: controller?.rescales, flinkWaits: controller?.waits,
      arrivals: reader.arrivals, writer: w, expectedAlerts: expected.length, alerts: got.length, duplicates: dup, alertsOk: check.ok && dup === 0,
      alertsCheck: dup ? `${check.reason}; ${dup} duplicate(s)` : check.reason, exceptions,
    };
  } catch (err) {
    await cancelJob(x.api, jobId, 20_000).catch(logIgnored(`cancelling job ${jobId}`));
    throw err;
  } finally {
    await controller?.settle().catch(logIgnored(`${policy}: settling the Flink-style controller`));
    await writer.close();
    await reader.close();
  }
}

interface HistoryEntry {
  startTimestampInMillis: number; endTimestampInMillis: number | null; status: string; trigger: string; triggerCause: string;
  vertices: Record<string, { preRescaleParallelism: number; postRescaleParallelism: number | null; desiredParallelism: number }>;
}

/** The job's rescales, oldest first: those that changed some vertex's parallelism (or failed trying). */
export async function rescaleHistory(api: string, jobId: string): Promise<RescaleEvent[]> {
  const res = await fetch(`${api}/jobs/${jobId}/rescales/history`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) return [];
  const list = (await res.json()) as HistoryEntry[];
  return list
    .map((h) => ({
      start: h.startTimestampInMillis, end: h.endTimestampInMillis, status: h.status, trigger: h.trigger,
      from: Object.fromEntries(Object.entries(h.vertices).map(([id, v]) => [id, v.preRescaleParallelism])),
      to: Object.fromEntries(Object.entries(h.vertices).map(([id, v]) => [id, v.postRescaleParallelism ?? v.desiredParallelism])),
    }))
    .filter((r, i) => list[i]!.triggerCause !== 'INITIAL_SCHEDULE' && r.status !== 'IGNORED' && Object.keys(r.to).some((id) => r.to[id] !== r.from[id]))
    .sort((a, b) => a.start - b.start);
}

async function jobExceptions(api: string, jobId: string): Promise<string[]> {
  const res = await fetch(`${api}/jobs/${jobId}/exceptions`, { signal: AbortSignal.timeout(10_000) })
    .catch((err: unknown) => { logIgnored(`reading the exceptions of job ${jobId}`)(err); return undefined; });
  if (!res?.ok) return [];
  const body = (await res.json()) as { exceptionHistory?: { entries?: Array<{ exceptionName?: string; stacktrace?: string }> } };
  return (body.exceptionHistory?.entries ?? []).map((e) => (e.stacktrace ?? e.exceptionName ?? '').split('\n')[0]!);
}
