/**
 * Autoscaling benchmark: the fraud-detection job with its I/O-bound enrichment step follows a day's
 * load compressed into minutes (night → step up ×8 → noisy plateau → ramp down → night), once with
 * ebbflow's built-in autoscaler and once with a Flink-operator-style policy (FLIP-271's formula and
 * defaults scaled to the profile) driving the job from outside over REST, in the same run, both
 * against an oracle computed from the capacity a calibration measured.
 *
 *   npm run bench:autoscale                          # build, then the full run (~10 minutes per row)
 *   npm run build && node dist/bench/autoscale.js --quick   # ~3 minutes per row
 *
 * Prints per row the phases, the two load changes and the targets with HOLDS/MISSED, and writes the
 * JSON. Every Redis key it writes starts with `ebbflow-bench-<random>:` and is deleted at the end,
 * and every process the run started is gone, also on failure and on SIGINT/SIGTERM. Exit code 0
 * whether or not the targets hold; 1 on wrong alerts and other errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startDispatcher, type RunningDispatcher } from '../api/index.js';
import { analyzeRow, type RowReport } from './autoscale-analysis.js';
import { calibrate } from './autoscale-calibrate.js';
import { parseAutoscaleOptions } from './autoscale-options.js';
import { LoadProfile } from './autoscale-profile.js';
import { calibrationLines, flinkLine, rescaleLine, rowText } from './autoscale-report.js';
import { runRow, type RowResult } from './autoscale-run.js';
import { newKeyPrefix } from './data.js';
import { scaledFlinkOptions } from './flink-policy.js';
import { cleanUpOnSignals, deleteBenchKeys, runMain, stopDispatcherAndJobs } from './cleanup.js';
import { log } from './log.js';
import { watchJobPids } from './procs.js';
import { writeJson } from './report.js';
import { uploadJar } from './rest.js';

const DAY_S = 86_400;

async function main(): Promise<number> {
  const o = parseAutoscaleOptions();
  const prefix = newKeyPrefix();
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => { /* surfaced by the failing command */ });
  let dispatcher: RunningDispatcher | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-bench-autoscale-'));
  const jobs: string[] = [];
  const pids = new Set<number>();
  const watch = watchJobPids(jobs, pids, 1000);

  // The whole run is bounded: calibration, each row's profile, and the drain after it.
  const durationS = o.phases.night + o.phases.plateau + o.phases.ramp + o.phases.nightAfter;
  const budgetMs = (2 * (o.calibrateSeconds + 120) + o.policies.length * (durationS + 420)) * 1000;
  const abort = new AbortController();
  const deadline = setTimeout(() => abort.abort(new Error(`benchmark exceeded its time budget of ${Math.round(budgetMs / 1000)} s`)), budgetMs);
  let cleaning: Promise<void> | undefined;
  let failed = false;
  const cleanup = () => (cleaning ??= (async () => {
    if (!abort.signal.aborted) abort.abort(new Error('benchmark finished or interrupted'));
    clearTimeout(deadline);
    clearInterval(watch);
    await stopDispatcherAndJobs(dispatcher, jobs, pids);
    await deleteBenchKeys(redis, prefix);
    if (o.keepData || failed) log(`data dir kept (job logs, checkpoints): ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
    redis.disconnect();
  })());
  cleanUpOnSignals(cleanup);

  try {
    await redis.ping();
    log(`redis ${o.redisUrl}, key prefix ${prefix}, ${availableParallelism()} cores; rows ${o.policies.join(', ')}; profile ${durationS} s`);
    dispatcher = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl: o.redisUrl, dataDir, keyPrefix: `${prefix}ebbflow:`, logLevel: 'silent' });
    const bundle = fileURLToPath(new URL('../examples/fraud-detection.mjs', import.meta.url));
    const jarId = await uploadJar(dispatcher.url, bundle);
    log(`dispatcher ${dispatcher.url}, data dir ${dataDir}, jar ${jarId}`);

    const cal = await calibrate({ api: dispatcher.url, jarId, redis, prefix, o, log, jobs, signal: abort.signal });
    const profile = new LoadProfile({
      nightRate: o.nightUtilization * cal.perSubtask, stepFactor: o.stepFactor, phases: o.phases, noise: o.noise, noisePeriodS: o.noisePeriodS, seed: o.seed,
    });
    const scale = o.flinkTimeScale ?? profile.durationS / DAY_S;
    const maxTms = dispatcher.dispatcher.options.maxTaskManagersPerJob;
    const flink = scaledFlinkOptions(scale, 3000, maxTms);

    const results: Array<{ row: RowResult; report: RowReport | undefined }> = [];
    for (const policy of o.policies) {
      const row = await runRow({ policy, api: dispatcher.url, jarId, prefix, o, profile, capacity: cal.vertices, flink, signal: abort.signal, log, jobs });
      const report = row.available ? analyzeRow({
        profile, t0: row.t0, capacity: cal.vertices, target: o.targetUtilization, maxOutOfOrdernessMs: o.maxOutOfOrdernessMs,
        samples: row.samples, rescales: row.rescales, arrivals: row.arrivals, alertsOk: row.alertsOk, alertsCheck: row.alertsCheck,
      }) : undefined;
      results.push({ row, report });
    }

    const order = cal.vertices.map((v) => v.vertexId);
    const text = [
      '## Autoscaling benchmark', '', calibrationLines(cal, o, profile), o.policies.includes('flink') ? flinkLine(flink, scale) : '',
      o.policies.includes('builtin') ? `Built-in row: job.autoscaler.enabled=true${Object.keys(o.builtinConf).length ? `, ${Object.entries(o.builtinConf).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''} (its other keys at their defaults).` : '',
      `Both rows: metrics.fetcher.update-interval 1 s, start at parallelism 1, sampled once a second; oracle at utilization ${o.targetUtilization}.`, '',
      ...results.map(({ row, report }) => rowText(row.policy, report, row.unavailable, order, row.available ? rescaleLine(row.rescales, row.t0, order) : '')),
    ].join('\n');
    process.stdout.write(`\n${text}\n`);
    writeJson(o.jsonOut, {
      date: new Date().toISOString(), node: process.version, cores: availableParallelism(), options: o, calibration: cal,
      profile: { spec: profile.spec, durationS: profile.durationS, windows: profile.windows, ratePerSecond: Array.from({ length: profile.durationS }, (_, t) => Math.round(profile.rateAt(t + 0.5))) },
      flink: { scale, options: flink },
      rows: results.map(({ row, report }) => ({
        policy: row.policy, available: row.available, unavailable: row.unavailable, jobId: row.jobId, report,
        rescales: row.rescales.map((r) => ({ ...r, startS: (r.start - row.t0) / 1000, endS: r.end === null ? null : (r.end - row.t0) / 1000 })),
        decisions: row.decisions, flinkRescales: row.flinkRescales, flinkWaits: row.flinkWaits, writer: row.writer,
        expectedAlerts: row.expectedAlerts, alerts: row.alerts, duplicates: row.duplicates, alertsOk: row.alertsOk, alertsCheck: row.alertsCheck, exceptions: row.exceptions,
        samples: row.samples.map((s) => ({ ...s, tS: (s.t - row.t0) / 1000 })),
      })),
    });
    log(`results written to ${o.jsonOut}`);
    const wrong = results.filter(({ row }) => row.available && !row.alertsOk);
    if (wrong.length > 0) {
      log(`wrong alerts in: ${wrong.map(({ row }) => row.policy).join(', ')}`);
      return 1;
    }
    return 0;
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await cleanup();
  }
}

runMain(main);
