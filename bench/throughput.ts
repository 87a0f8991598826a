/**
 * Throughput benchmark of the fraud-detection job against a plain-Node baseline measured in the same run.
 *
 *   npm run build && node dist/bench/throughput.js [--quick] [--records N] [--parallelism 1,2] ...
 *
 * Loads seeded transactions into Redis streams (timed separately), runs the baseline (a child process),
 * then the job at each parallelism through an in-process dispatcher, then a live latency phase per
 * parallelism; prints a markdown table and writes dist/bench-results.json. Every Redis key it writes
 * starts with `ebbflow-bench-<random>:` and is deleted at the end, also on failure and on SIGINT.
 * Exit code 0 whether or not the target holds; 1 on wrong alerts, time-outs and other errors.
 */
import { cleanUpOnSignals, deleteBenchKeys, runMain } from './cleanup.js';
import { log } from './log.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startDispatcher, type RunningDispatcher } from '../api/index.js';
import { parseCents } from '../examples/fraud-detection/job.js';
import { killBaseline, runBaseline } from './baseline.js';
import { compareAlerts, loadDataset, newKeyPrefix, readAlerts } from './data.js';
import { runJobThroughput } from './job-run.js';
import { overheadLines, runCheckpointOverhead } from './checkpoint-overhead.js';
import { runLatency } from './latency.js';
import { parseBenchOptions } from './options.js';
import { localRedisPid } from './procs.js';
import { uploadJar } from './rest.js';
import { throughputMedians, throughputTargetLines } from './throughput-target.js';
import { footnotes, latencyTargetLine, metricsCostLines, renderTable, targetLine, writeJson, type Row } from './report.js';


async function main(): Promise<number> {
  const o = parseBenchOptions();
  const prefix = newKeyPrefix();
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => { /* surfaced by the failing command */ });
  let dispatcher: RunningDispatcher | undefined;
  let dataDir: string | undefined;

  const abort = new AbortController();
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= (async () => {
    abort.abort(new Error('benchmark interrupted'));
    killBaseline();
    if (dispatcher) await dispatcher.close().catch((err: Error) => log(`closing the dispatcher: ${err.message}`));
    await deleteBenchKeys(redis, prefix);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    redis.disconnect();
  })());
  cleanUpOnSignals(cleanup);

  try {
    await redis.ping();
    log(`redis ${o.redisUrl}, key prefix ${prefix}, ${o.records} records over ${o.streams} streams, parallelism ${o.parallelisms.join(',')}, ${availableParallelism()} cores${o.jobArgs.length ? `, job args ${o.jobArgs.join(' ')}` : ''}${Object.keys(o.jobConf).length ? `, job configuration ${JSON.stringify(o.jobConf)}` : ''}`);
    const ds = await loadDataset(redis, prefix, o, log);
    const records = ds.txns.length;
    const rows: Row[] = [];

    // The baseline, in a child process: run `baselineRuns` times, spread over the job's runs (before
    // the first, then evenly), so that a machine that gets busier or quieter affects both alike.
    const redisPid = await localRedisPid(o.redisUrl);
    let baselineRun = 0;
    const runBaselineOnce = async () => {
      const k = ++baselineRun;
      const baseOut = `${prefix}baseline-${k}:alerts`;
      log(`baseline run ${k} of ${o.baselineRuns}: plain Node loop in a child process`);
      const b = await runBaseline({
        redisUrl: o.redisUrl, streams: ds.streams, output: baseOut, windowMs: o.windowMs,
        maxOutOfOrdernessMs: o.maxOutOfOrdernessMs, thresholdCents: parseCents(o.threshold)!,
      }, o.timeoutMs);
      const baseCheck = compareAlerts(await readAlerts(redis, baseOut), ds.expected);
      if (b.records !== records) throw new Error(`baseline read ${b.records} entries, ${records} were written`);
      const baseRate = records / b.seconds;
      log(`baseline run ${k}: ${b.seconds.toFixed(2)} s, ${Math.round(baseRate)} records/s, alerts ${baseCheck.ok ? 'ok' : `WRONG (${baseCheck.reason})`}`);
      rows.push({
        run: o.baselineRuns > 1 ? `baseline (plain Node loop), run ${k}` : 'baseline (plain Node loop)', parallelism: null, records, seconds: b.seconds, recordsPerSecond: baseRate, vsBaseline: null,
        cpuSeconds: b.cpuSeconds, recordsPerCpuSecond: records / b.cpuSeconds, latencyMs: null, peakRssMb: { process: b.peakRssMb },
        rssLastToSecondQuarter: b.rssLastToSecondQuarter, checkpoints: null, alertsOk: baseCheck.ok, alertsCheck: baseCheck.reason,
        details: { alerts: b.alerts },
      });
    };

    // The job, through an in-process dispatcher.
    dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-bench-'));
    dispatcher = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl: o.redisUrl, dataDir, keyPrefix: `${prefix}ebbflow:`, logLevel: 'silent' });
    const bundle = fileURLToPath(new URL('../examples/fraud-detection.mjs', import.meta.url));
    const jarId = await uploadJar(dispatcher.url, bundle);
    log(`dispatcher ${dispatcher.url}, data dir ${dataDir}, jar ${jarId}`);

    // A pair: the same job with metrics on and off, back to back (a parallelism may be listed twice for more pairs).
    let pair = 0;
    const latencyMeasured = new Set<number>();
    const steps = o.parallelisms.flatMap((p) => o.checkpointing.map((cp) => ({ p, cp })));
    const baselineBefore = new Set(Array.from({ length: o.baselineRuns }, (_, i) => Math.floor((i * steps.length) / o.baselineRuns)));
    for (const [i, { p, cp }] of steps.entries()) {
      if (baselineBefore.has(i)) await runBaselineOnce();
      for (const m of ++pair % 2 === 1 ? o.metrics : [...o.metrics].reverse()) {
      const settings: Record<string, string> = {
        ...o.jobConf,
        'execution.checkpointing.interval': cp === 'off' ? '0' : String(o.checkpointIntervalMs),
        ...(m === 'off' ? { 'ebbflow.metrics.enabled': 'false' } : {}),
      };
      const flinkConfiguration = Object.keys(settings).length ? settings : undefined;
      const j = await runJobThroughput({
        api: dispatcher.url, jarId, redis, redisUrl: o.redisUrl, redisPid, inputs: ds.streams, output: `${prefix}job-${pair}-p${p}-cp-${cp}-m-${m}:alerts`,
        parallelism: p, expected: ds.expected, windowMs: o.windowMs, maxOutOfOrdernessMs: o.maxOutOfOrdernessMs, threshold: o.threshold, timeoutMs: o.timeoutMs,
        flinkConfiguration, extraArgs: o.jobArgs,
      }, log);
      // The latency phase once per parallelism (its first run with metrics on), not once per pair,
      // with its own checkpoint interval and window (issue 18 target 3: 200 ms, ≥ 20 windows).
      const measureLatency = o.latencySeconds > 0 && m === 'on' && !latencyMeasured.has(p);
      if (measureLatency) latencyMeasured.add(p);
      const lat = measureLatency
        ? await runLatency({
          api: dispatcher.url, jarId, redisUrl: o.redisUrl, prefix, streams: o.streams, parallelism: p, seconds: o.latencySeconds, rate: o.latencyRate,
          windowMs: o.latencyWindowMs, maxOutOfOrdernessMs: o.maxOutOfOrdernessMs, threshold: o.threshold, drainTimeoutMs: Math.min(o.timeoutMs, 120_000), signal: abort.signal,
          flinkConfiguration: { ...o.jobConf, 'execution.checkpointing.interval': String(o.latencyCheckpointIntervalMs) },
        }, log)
        : undefined;
      const rate = records / j.seconds;
      rows.push({
        run: `job, parallelism ${p}${cp === 'off' ? ', checkpointing off' : ''}${m === 'off' ? ', metrics off' : ''}`, parallelism: p, checkpointing: cp === 'on', metrics: m === 'on', pair, records, seconds: j.seconds, recordsPerSecond: rate, vsBaseline: null,
        cpuSeconds: j.cpuSeconds, recordsPerCpuSecond: records / j.cpuSeconds,
        latencyMs: lat ? { p50: lat.p50, p90: lat.p90, p99: lat.p99, max: lat.max, alerts: lat.alerts, windows: lat.windowsFired, windowP50: lat.windows.p50, windowP99: lat.windows.p99, ok: lat.alertsOk } : null,
        peakRssMb: { jobMaster: j.memory.jobMasterPeakMb, maxTaskManager: j.memory.taskManagerPeakMb },
        rssLastToSecondQuarter: j.memory.lastToSecondQuarter, startupSeconds: j.startupSeconds, checkpoints: j.checkpoints, alertsOk: j.alertsOk, alertsCheck: j.alertsCheck,
        details: { throughput: { ...j, memory: { ...j.memory } }, latency: lat },
      });
      }
    }
    while (baselineRun < o.baselineRuns) await runBaselineOnce(); // no job steps (nothing else to spread over)
    // Each job run against the median of the baseline's runs.
    const baseMedian = throughputMedians(rows).baseline.recordsPerSecond;
    for (const r of rows) if (r.parallelism !== null) r.vsBaseline = r.recordsPerSecond / baseMedian;

    // Checkpoint overhead: the same data with checkpoints at the latency phase's interval and off, interleaved.
    const overhead = o.overheadRuns > 0
      ? await runCheckpointOverhead({
        api: dispatcher.url, jarId, redis, redisUrl: o.redisUrl, redisPid, inputs: ds.streams, prefix, expected: ds.expected, windowMs: o.windowMs,
        maxOutOfOrdernessMs: o.maxOutOfOrdernessMs, threshold: o.threshold, timeoutMs: o.timeoutMs, parallelisms: o.parallelisms, runs: o.overheadRuns,
        intervalMs: o.latencyCheckpointIntervalMs, extraArgs: o.jobArgs, jobConf: o.jobConf,
      }, records, log)
      : { runs: [], groups: [] };
    const overheadText = overheadLines(o.latencyCheckpointIntervalMs, overhead.groups, overhead.runs);
    const latencyTarget = latencyTargetLine(rows, o.latencyCheckpointIntervalMs);

    const target = targetLine(rows);
    const target1 = throughputTargetLines(rows);
    const cost = metricsCostLines(rows);
    const table = renderTable(rows);
    const notes = footnotes({
      windowMs: o.windowMs, ooo: o.maxOutOfOrdernessMs, latencySeconds: o.latencySeconds, latencyRate: o.latencyRate, cores: availableParallelism(),
      checkpointIntervalMs: o.checkpointIntervalMs, latencyCheckpointIntervalMs: o.latencyCheckpointIntervalMs, latencyWindowMs: o.latencyWindowMs,
    });
    process.stdout.write(`\n${table}\n\n${target1.text}\n\n${target.text}\n\n${latencyTarget.text}\n\n${overheadText}\n\n${cost.text}\n\n${notes}\n`);
    writeJson(o.jsonOut, {
      date: new Date().toISOString(), node: process.version, cores: availableParallelism(), options: o,
      dataset: { records, expectedAlerts: ds.expected.length, generateSeconds: ds.generateSeconds, loadSeconds: ds.loadSeconds },
      target: { text: target.text, holds: target.holds }, throughputTarget: { text: target1.text, holds: target1.holds, medians: target1.medians }, latencyTarget, checkpointOverhead: overhead, metricsCost: cost, rows,
    });
    log(`results written to ${o.jsonOut}`);
    const wrong = [
      ...rows.filter((r) => !r.alertsOk || (r.latencyMs && !r.latencyMs.ok)).map((r) => r.run),
      ...overhead.runs.filter((r) => !r.alertsOk).map((r) => `overhead run p=${r.parallelism} checkpointing ${r.checkpointing ? 'on' : 'off'}`),
    ];
    if (wrong.length > 0) {
      log(`wrong alerts in: ${wrong.join(', ')}`);
      return 1;
    }
    return 0;
  } finally {
    await cleanup();
  }
}

runMain(main);
