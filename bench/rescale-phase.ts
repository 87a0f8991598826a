/**
 * One method's run: a fresh job on fresh streams while the writer keeps the input rate, warmed up to
 * the state target, then every step (normal operation measured before each), then all windows
 * flushed and the output compared with the reference.
 */
import { logIgnored } from './log.js';
import type { Alert } from '../examples/fraud-detection/reference.js';
import { parseCents } from '../examples/fraud-detection/job.js';
import { compareAlerts } from './data.js';
import { jobArgs } from './job-run.js';
import { duplicates } from './rescale-analysis.js';
import { AlertReader, LiveWriter, type Arrival, type WriterStats } from './rescale-load.js';
import type { Method, RescaleOptions } from './rescale-options.js';
import { rescaleInPlace, stopAndResubmit, warmUp, type PhaseContext, type StepRecord } from './rescale-steps.js';
import { cancelJob, CheckpointCollector, getJob, runJar, waitForState, type CheckpointSummary } from './rest.js';

export interface PhaseInput {
  method: Method;
  api: string;
  jarId: string;
  dataDir: string;
  prefix: string;
  o: RescaleOptions;
  signal: AbortSignal;
  log: (s: string) => void;
  /** Every job started, for cleaning up. */
  jobs: string[];
}

export interface PhaseResult {
  method: Method;
  /** Date.now() when the phase's job was submitted / when its output was checked. */
  tStart: number;
  tEnd: number;
  jobs: string[];
  warmup: { stateBytes: number; reached: boolean; seconds: number };
  steps: StepRecord[];
  arrivals: Arrival[];
  writer: WriterStats;
  expectedAlerts: number;
  alerts: number;
  duplicates: number;
  alertsOk: boolean;
  alertsCheck: string;
  checkpoints: CheckpointSummary | null;
  /** Every completed checkpoint seen: [id, trigger time, end-to-end ms, state bytes]. */
  checkpointLog: Array<[number, number, number, number]>;
  /** Restarts and exceptions the jobs recorded (an in-place rescale should cause none). */
  exceptions: string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runPhase(x: PhaseInput): Promise<PhaseResult> {
  const { o, log, method } = x;
  const tag = `${x.prefix}${method}:`;
  const streams = Array.from({ length: o.streams }, (_, i) => `${tag}tx:${i}`);
  const output = `${tag}alerts`;
  const thresholdCents = parseCents(o.threshold)!;
  const flinkConfiguration: Record<string, string> | undefined = o.checkpointIntervalMs !== undefined || o.maxBatchBytes !== undefined || o.heartbeatTimeoutMs !== undefined || o.migrationPace !== undefined ? {
    ...(o.heartbeatTimeoutMs !== undefined ? { 'heartbeat.timeout': String(o.heartbeatTimeoutMs) } : {}),
    ...(o.checkpointIntervalMs !== undefined ? { 'execution.checkpointing.interval': String(o.checkpointIntervalMs) } : {}),
    ...(o.maxBatchBytes !== undefined ? { 'rescale.migration.max-batch-bytes': String(o.maxBatchBytes) } : {}),
    ...(o.migrationPace !== undefined ? { 'rescale.migration.pace': o.migrationPace } : {}),
  } : undefined;
  const args = jobArgs(o.redisUrl, streams, output, o.windowMs, o.threshold, o.maxOutOfOrdernessMs);
  const reader = new AlertReader(o.redisUrl, output);
  const writer = new LiveWriter(o.redisUrl, streams, o.rate, { seed: o.seed, accounts: o.accounts, windowMs: o.windowMs, maxOutOfOrdernessMs: o.maxOutOfOrdernessMs, thresholdCents });
  const checkpoints = new CheckpointCollector();
  const firstJob = x.jobs.length;
  const tStart = Date.now();
  let poller: NodeJS.Timeout | undefined;
  const c: PhaseContext = {
    api: x.api, jarId: x.jarId, dataDir: x.dataDir, args, flinkConfiguration, jobId: '', jobs: x.jobs, stepTimeoutMs: o.stepTimeoutMs, log, signal: x.signal,
  };
  try {
    const first = o.steps[0]![0];
    const current = await runJar(x.api, x.jarId, first, args, flinkConfiguration);
    c.jobId = current;
    x.jobs.push(current);
    await waitForState(x.api, current, 'RUNNING', 60_000);
    reader.begin();
    writer.begin(x.signal);
    poller = setInterval(() => void checkpoints.poll(x.api, c.jobId), 500);
    log(`${method}: job ${current} running at parallelism ${first}; writing ${o.rate}/s into ${streams.length} streams`);
    const warm = await warmUp(c, o.stateMb * 1e6, o.warmupTimeoutMs, method);
    // Normal operation means alerts flowing: the first windows fire once the watermark passed them.
    const firstAlert = await reader.waitFor(1, o.maxOutOfOrdernessMs + 60_000);
    if (firstAlert === 0) throw new Error(`${method}: no alert within ${(o.maxOutOfOrdernessMs + 60_000) / 1000} s of warming up`);
    log(`${method}: checkpoint state ${(warm.stateBytes / 1e6).toFixed(1)} MB after ${warm.seconds.toFixed(0)} s`);

    const steps: StepRecord[] = [];
    for (const [from, to] of o.steps) {
      await steady(c, o.steadySeconds * 1000, writer, reader);
      const s = method === 'in-place' ? await rescaleInPlace(c, from, to) : await stopAndResubmit(c, from, to);
      steps.push(s);
      // The step's interval lasts until alerts flow again, and then `afterSeconds`.
      s.tFirstAlertAfter = await reader.firstAfter(s.tDone, 120_000);
      if (s.tFirstAlertAfter === undefined) throw new Error(`${method} ${from}→${to}: no alert within 120 s after the step was done`);
      await steady(c, o.afterSeconds * 1000, writer, reader);
      const op = s.operation;
      log(`${method} ${from}→${to}: done in ${((s.tDone - s.tRequest) / 1000).toFixed(2)} s` +
        (op ? `, moved ${op.keyGroups.moved}/${op.keyGroups.total} key groups (min ${op.keyGroups.minimum}), ${(op.stateBytes.moved / 1e6).toFixed(1)} of ${(op.stateBytes.total / 1e6).toFixed(1)} MB, max hold ${op.maxHoldMs} ms` : `, savepoint after ${((s.savepointMs ?? 0) / 1000).toFixed(2)} s`) +
        `, TaskManagers ${s.taskManagersBefore.length}→${s.taskManagersAfter.length}` +
        (s.releasedExitedMs !== null ? `, released ones exited ${(s.releasedExitedMs / 1000).toFixed(2)} s after the request` : ''));
    }
    clearInterval(poller);
    await checkpoints.poll(x.api, c.jobId);

    const w = await writer.finish();
    const expected: Alert[] = writer.reference.expected();
    log(`${method}: wrote ${w.written} transactions (${Math.round(w.rate)}/s); waiting for ${expected.length} alerts (windows flushed by end markers)`);
    await reader.waitFor(expected.length, 180_000);
    // Anything beyond the expected count (a duplicate) would come with the next checkpoints.
    await sleep(3000);
    reader.check();
    const got = reader.arrivals.map((a) => a.alert);
    const check = compareAlerts(got, expected);
    const dup = duplicates(reader.arrivals);
    log(`${method}: ${got.length} alerts, ${dup} duplicate(s), ${check.ok ? 'identical to the reference' : `WRONG (${check.reason})`}`);
    const phaseJobs = x.jobs.slice(firstJob);
    const exceptions = await jobExceptions(x.api, phaseJobs);
    await cancelJob(x.api, c.jobId).catch((err: Error) => log(`${method}: cancelling ${c.jobId}: ${err.message}`));
    return {
      method, tStart, tEnd: Date.now(), jobs: phaseJobs, warmup: warm, steps, arrivals: reader.arrivals, writer: w, expectedAlerts: expected.length, alerts: got.length, duplicates: dup,
      alertsOk: check.ok, alertsCheck: check.reason, checkpoints: checkpoints.summary(), checkpointLog: checkpoints.list(), exceptions,
    };
  } catch (err) {
    if (c.jobId) await cancelJob(x.api, c.jobId, 20_000).catch(logIgnored(`cancelling job ${c.jobId}`));
    throw err;
  } finally {
    clearInterval(poller);
    await writer.close();
    await reader.close();
  }
}

/** Normal operation for `ms`: the writer and reader keep going, the job must keep running. */
async function steady(c: PhaseContext, ms: number, writer: LiveWriter, reader: AlertReader): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    c.signal.throwIfAborted();
    writer.check();
    reader.check();
    const job = await getJob(c.api, c.jobId);
    if (job.state !== 'RUNNING') throw new Error(`job ${c.jobId} is ${job.state}${job['failure-cause'] ? `: ${job['failure-cause']}` : ''}`);
    await sleep(Math.min(500, Math.max(0, end - Date.now())));
  }
}

/** Restarts and exception history of the jobs, as short lines. */
async function jobExceptions(api: string, jobs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of jobs) {
    const job = await getJob(api, id);
    if (job.timestamps.RESTARTING) out.push(`${id}: restarted (RESTARTING at ${new Date(job.timestamps.RESTARTING).toISOString()})`);
    const res = await fetch(`${api}/jobs/${id}/exceptions`);
    if (!res.ok) continue;
    const body = (await res.json()) as { exceptionHistory?: { entries?: Array<{ exceptionName?: string; stacktrace?: string }> } };
    for (const e of body.exceptionHistory?.entries ?? []) out.push(`${id}: ${(e.stacktrace ?? e.exceptionName ?? '').split('\n')[0]}`);
  }
  return out;
}
