/**
 * Soak benchmark (issue 18 target 4): the fraud-detection job for `--minutes` (10) while input is
 * written at `--rate` (20,000 transactions/s, event time = wall clock), rescaled in place
 * (PATCH /jobs/:id/rescaling) every `--rescale-every-s` (a fifth of the run: 2 minutes at 10),
 * alternating between the `--parallelism` values (1,2). Every `--sample-s` it samples, per process,
 * the RSS and open file descriptors (/proc/<pid>/fd) of the job process the dispatcher spawned and of
 * the TaskManagers, and the number of Redis keys under the bench's prefix (SCAN). At the end the
 * windows are flushed by end markers and the output is compared with the reference (streamed as
 * written, rescale-load.ts). Prints a table and HOLDS/MISSED for: memory flat, no growth in fds, no
 * growth in Redis keys, alerts exact (soak-report.ts says how each is judged).
 *
 *   npm run bench:soak                                  # build, then the full 10 minutes
 *   npm run build && node dist/bench/soak.js --minutes 2
 *
 * The input streams are trimmed to the last `--retain-s` (60) seconds as the run goes (XTRIM MINID;
 * the job reads a few seconds behind at most), so Redis' memory stays bounded and the key count
 * measures the product, not the bench's input. Every key it writes starts with
 * `ebbflow-bench-<random>:` and is deleted at the end, and every process it started is gone, also on
 * failure and on SIGINT/SIGTERM. Exit 0 whether or not the targets hold; 1 on errors and wrong alerts.
 */
import { readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startDispatcher, type RunningDispatcher } from '../api/index.js';
import { parseCents } from '../examples/fraud-detection/job.js';
import { cleanUpOnSignals, deleteBenchKeys, runMain, stopDispatcherAndJobs } from './cleanup.js';
import { compareAlerts, newKeyPrefix } from './data.js';
import { jobArgs } from './job-run.js';
import { log } from './log.js';
import { jobProcesses, statusKb, watchJobPids } from './procs.js';
import { writeJson } from './report.js';
import { duplicates } from './rescale-analysis.js';
import { AlertReader, LiveWriter } from './rescale-load.js';
import { rescaleInPlace, type PhaseContext, type StepRecord } from './rescale-steps.js';
import { cancelJob, getJob, runJar, uploadJar, waitForState } from './rest.js';
import { OPERATION_RESULT_TTL_MS } from '../metadata/job-registry.js';
import { parseSoakOptions } from './soak-options.js';
import { renderTable, verdicts, type ProcSample, type SoakSample } from './soak-report.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function fdCount(pid: number): number {
  try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return NaN; }
}

async function keysUnder(redis: Redis, prefix: string): Promise<Set<string>> {
  let cursor = '0';
  const out = new Set<string>();
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) out.add(k.slice(prefix.length));
  } while (cursor !== '0');
  return out;
}

async function usedMemoryMb(redis: Redis): Promise<number | null> {
  const m = /^used_memory:(\d+)/m.exec(await redis.info('memory'));
  return m ? Number(m[1]) / 1048576 : null;
}

async function main(): Promise<number> {
  const o = parseSoakOptions();
  const prefix = newKeyPrefix();
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => { /* surfaced by the failing command */ });
  const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-bench-soak-'));
  let dispatcher: RunningDispatcher | undefined;
  const jobs: string[] = [];
  const pids = new Set<number>();
  const watch = watchJobPids(jobs, pids, 2000);
  const abort = new AbortController();
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= (async () => {
    abort.abort(new Error('benchmark interrupted'));
    clearInterval(watch);
    await stopDispatcherAndJobs(dispatcher, jobs, pids);
    await deleteBenchKeys(redis, prefix);
    rmSync(dataDir, { recursive: true, force: true });
    redis.disconnect();
  })());
  cleanUpOnSignals(cleanup);

  const tag = `${prefix}soak:`;
  const streams = Array.from({ length: o.streams }, (_, i) => `${tag}tx:${i}`);
  const output = `${tag}alerts`;
  const reader = new AlertReader(o.redisUrl, output);
  const writer = new LiveWriter(o.redisUrl, streams, o.rate, {
    seed: o.seed, accounts: 50, windowMs: o.windowMs, maxOutOfOrdernessMs: o.maxOutOfOrdernessMs, thresholdCents: parseCents(o.threshold)!,
  });
  try {
    await redis.ping();
    const steps = Math.floor((o.minutes * 60 - 1) / o.rescaleEverySeconds);
    log(`redis ${o.redisUrl}, key prefix ${prefix}, ${availableParallelism()} cores; ${o.minutes} min at ${o.rate}/s over ${o.streams} streams, ` +
      `rescale every ${o.rescaleEverySeconds} s (${steps} steps) between parallelism ${o.parallelisms.join(' and ')}, a sample every ${o.sampleSeconds} s`);
    dispatcher = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl: o.redisUrl, dataDir, keyPrefix: `${prefix}ebbflow:`, logLevel: 'silent' });
    const jarId = await uploadJar(dispatcher.url, fileURLToPath(new URL('../examples/fraud-detection.mjs', import.meta.url)));
    const flinkConfiguration = o.checkpointIntervalMs !== undefined ? { 'execution.checkpointing.interval': String(o.checkpointIntervalMs) } : undefined;
    const args = jobArgs(o.redisUrl, streams, output, o.windowMs, o.threshold, o.maxOutOfOrdernessMs);
    let parallelism = o.parallelisms[0]!;
    const jobId = await runJar(dispatcher.url, jarId, parallelism, args, flinkConfiguration);
    jobs.push(jobId);
    await waitForState(dispatcher.url, jobId, 'RUNNING', 60_000);
    reader.begin();
    writer.begin(abort.signal);
    const t0 = Date.now();
    const end = t0 + o.minutes * 60_000;
    log(`job ${jobId} running at parallelism ${parallelism}; writing`);

    // Sampling (and trimming the input) on its own loop; rescales on this one.
    const samples: SoakSample[] = [];
    /** Which keys came and went (names without the prefix), to tell a leak from a transient key. */
    const keyChanges: Array<{ t: number; added: string[]; removed: string[] }> = [];
    let keysBefore = new Set<string>();
    let settleUntil = 0;
    let stepInFlight = false;
    let sampling = true;
    let samplerError: unknown;
    const sampler = (async () => {
      let next = Date.now();
      while (sampling) {
        abort.signal.throwIfAborted();
        const procs: ProcSample[] = [];
        for (const p of await jobProcesses(jobId)) {
          const kb = statusKb(p.pid, 'VmRSS');
          const fds = fdCount(p.pid);
          if (kb !== undefined && Number.isFinite(fds)) procs.push({ pid: p.pid, role: p.role, rssMb: kb / 1024, fds });
        }
        const now = Date.now();
        const keys = await keysUnder(redis, prefix);
        const added = [...keys].filter((k) => !keysBefore.has(k));
        const removed = [...keysBefore].filter((k) => !keys.has(k));
        if (added.length || removed.length) keyChanges.push({ t: (now - t0) / 1000, added, removed });
        keysBefore = keys;
        samples.push({
          t: (now - t0) / 1000, parallelism, settling: stepInFlight || now < settleUntil, procs,
          redisKeys: keys.size, redisOperationKeys: [...keys].filter((k) => /:op:[0-9a-f]+$/.test(k)).length, redisUsedMb: await usedMemoryMb(redis), benchRssMb: process.memoryUsage().rss / 1048576,
        });
        // Bounded input: entries older than the retention go (ids are Redis' ms clock).
        const minId = `${now - o.retainSeconds * 1000}-0`;
        for (const s of streams) await redis.xtrim(s, 'MINID', '~', minId);
        next += o.sampleSeconds * 1000;
        await sleep(Math.max(0, next - Date.now()));
      }
    })().catch((err: unknown) => { samplerError = err; });

    const c: PhaseContext = { api: dispatcher.url, jarId, dataDir, args, flinkConfiguration, jobId, jobs, stepTimeoutMs: 180_000, log, signal: abort.signal };
    const stepRecords: StepRecord[] = [];
    try {
      for (let k = 1; k <= steps; k++) {
        const at = t0 + k * o.rescaleEverySeconds * 1000;
        if (at >= end) break; // a slow step before used up the time
        while (Date.now() < at) {
          abort.signal.throwIfAborted();
          writer.check();
          reader.check();
          if (samplerError) throw samplerError;
          const job = await getJob(dispatcher.url, jobId);
          if (job.state !== 'RUNNING') throw new Error(`job ${jobId} is ${job.state}${job['failure-cause'] ? `: ${job['failure-cause']}` : ''}`);
          await sleep(Math.min(1000, Math.max(0, at - Date.now())));
        }
        const to = o.parallelisms[k % o.parallelisms.length]!;
        if (to === parallelism || Date.now() >= end) continue;
        stepInFlight = true;
        const s = await rescaleInPlace(c, parallelism, to);
        stepInFlight = false;
        settleUntil = s.tRequest + o.settleSeconds * 1000;
        parallelism = to;
        stepRecords.push(s);
        log(`rescale ${s.from}→${s.to} at ${((s.tRequest - t0) / 1000).toFixed(0)} s: done in ${((s.tDone - s.tRequest) / 1000).toFixed(2)} s, TaskManagers ${s.taskManagersBefore.length}→${s.taskManagersAfter.length}`);
      }
      while (Date.now() < end) {
        abort.signal.throwIfAborted();
        writer.check();
        if (samplerError) throw samplerError;
        await sleep(Math.min(1000, Math.max(0, end - Date.now())));
      }
    } finally {
      sampling = false;
      await sampler;
    }
    if (samplerError) throw samplerError;

    const w = await writer.finish();
    const expected = writer.reference.expected();
    log(`wrote ${w.written} transactions (${Math.round(w.rate)}/s, at most ${w.maxBehind} behind schedule); waiting for ${expected.length} alerts`);
    if (w.rate < 0.95 * o.rate) log(`the writer kept only ${Math.round(w.rate)} of ${o.rate}/s: this process was starved (a busy machine); the run is not at the rate asked for`);
    await reader.waitFor(expected.length, 180_000);
    await sleep(3000); // a duplicate would come with the next checkpoints
    reader.check();
    const got = reader.arrivals.map((a) => a.alert);
    const check = compareAlerts(got, expected);
    const dup = duplicates(reader.arrivals);
    await cancelJob(dispatcher.url, jobId).catch((err: Error) => log(`cancelling ${jobId}: ${err.message}`));

    const alerts = { ok: check.ok && dup === 0, text: `${got.length} alerts of ${expected.length} expected, ${dup} duplicate(s), ${check.ok ? 'identical to the reference' : `WRONG (${check.reason})`}` };
    // Operation records alive at once: the rescales within their retention, plus one in flight.
    const opsBound = Math.ceil(OPERATION_RESULT_TTL_MS / (o.rescaleEverySeconds * 1000)) + 1;
    const vs = verdicts(samples, alerts, opsBound);
    const text = [
      renderTable(samples), '',
      `Written: ${w.written} transactions, ${Math.round(w.rate)}/s (asked: ${o.rate}/s; at most ${w.maxBehind} behind schedule).`,
      ...vs.map((v) => `- ${v.name}: ${v.text}`), '',
      `Rescales: ${stepRecords.map((s) => `${s.from}→${s.to} at ${((s.tRequest - t0) / 1000).toFixed(0)} s (${((s.tDone - s.tRequest) / 1000).toFixed(2)} s)`).join(', ') || 'none'}.`,
      `* ${samples.length} samples every ${o.sampleSeconds} s; "settling": within ${o.settleSeconds} s of a rescale request (or until it completed), shown but not judged. Quarters by time over the live phase; compared at equal parallelism. ` +
        `Input streams trimmed to the last ${o.retainSeconds} s. Redis used MB is the whole server's (other users' keys included).`,
    ].join('\n');
    process.stdout.write(`\n${text}\n`);
    writeJson(o.jsonOut, {
      date: new Date().toISOString(), node: process.version, cores: availableParallelism(), options: o, jobId, writer: w, verdicts: vs,
      rescales: stepRecords.map((s) => ({ from: s.from, to: s.to, tRequest: s.tRequest - t0, seconds: (s.tDone - s.tRequest) / 1000, taskManagersBefore: s.taskManagersBefore, taskManagersAfter: s.taskManagersAfter })),
      keyChanges, samples,
    });
    log(`results written to ${o.jsonOut}`);
    return alerts.ok ? 0 : 1;
  } catch (err) {
    // fetch() hides the network error in `cause`.
    const cause = (err as Error).cause;
    if (cause) log(`cause: ${cause instanceof Error ? cause.stack ?? cause.message : String(cause)}`);
    throw err;
  } finally {
    await writer.close();
    await reader.close();
    await cleanup();
  }
}

runMain(main);
