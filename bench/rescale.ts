/**
 * Rescaling benchmark: the fraud-detection job with ~50 MB of keyed window state, input written at a
 * fixed rate while it runs, rescaled step by step in place (PATCH /jobs/:id/rescaling) and then, in
 * the same run on a fresh job warmed up to the same state, the old way (stop with a savepoint,
 * resubmit from it at the new parallelism).
 *
 *   npm run bench:rescale                         # build, then the full run (about 10 minutes)
 *   npm run build && node dist/bench/rescale.js --quick
 *
 * Prints a markdown table (one row per step and method), the targets with MET/MISSED, and writes the
 * JSON. Every Redis key it writes starts with `ebbflow-bench-<random>:` and is deleted at the end,
 * and every process the run started is gone, also on failure and on SIGINT/SIGTERM.
 * Exit code 0 whether or not the targets hold; 1 on wrong alerts, failed steps and other errors.
 */
import { cleanUpOnSignals, deleteBenchKeys, runMain, stopDispatcherAndJobs } from './cleanup.js';
import { log } from './log.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startDispatcher, type RunningDispatcher } from '../api/index.js';
import { newKeyPrefix } from './data.js';
import { MachineSampler } from './machine.js';
import { localRedisPid, watchJobPids } from './procs.js';
import { writeJson } from './report.js';
import { parseRescaleOptions } from './rescale-options.js';
import { runPhase, type PhaseResult } from './rescale-phase.js';
import { cpuLine, notes, phaseLines, renderTable, rowsOf, targetLines, targets, type RescaleRow } from './rescale-report.js';
import { uploadJar } from './rest.js';


async function main(): Promise<number> {
  const o = parseRescaleOptions();
  const prefix = newKeyPrefix();
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => { /* surfaced by the failing command */ });
  let dispatcher: RunningDispatcher | undefined;
  let machine: MachineSampler | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-bench-rescale-'));
  const jobs: string[] = [];
  /** pids of every job process and TaskManager seen, to make sure none outlives the run. */
  const pids = new Set<number>();
  const watch = watchJobPids(jobs, pids, 1000);

  const abort = new AbortController();
  let cleaning: Promise<void> | undefined;
  let failed = false;
  const cleanup = () => (cleaning ??= (async () => {
    abort.abort(new Error('benchmark interrupted'));
    clearInterval(watch);
    machine?.stop();
    await stopDispatcherAndJobs(dispatcher, jobs, pids);
    await deleteBenchKeys(redis, prefix);
    if (o.keepData || failed) log(`data dir kept (job logs, checkpoints): ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
    redis.disconnect();
  })());
  cleanUpOnSignals(cleanup);

  try {
    await redis.ping();
    log(`redis ${o.redisUrl}, key prefix ${prefix}, ${availableParallelism()} cores; ${o.rate}/s over ${o.streams} streams, ${o.accounts} accounts, ` +
      `window ${o.windowMs} ms, out-of-orderness ${o.maxOutOfOrdernessMs / 1000} s${o.oooDerived ? ` (for ${o.stateMb} MB of state)` : ''}, steps ${o.steps.map((s) => s.join('→')).join(', ')}, methods ${o.methods.join(', ')}, TaskManager heap cap ${o.taskManagerMemoryMb} MB`);
    dispatcher = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl: o.redisUrl, dataDir, keyPrefix: `${prefix}ebbflow:`, logLevel: 'silent', taskManagerMemoryMb: o.taskManagerMemoryMb });
    const bundle = fileURLToPath(new URL('../examples/fraud-detection.mjs', import.meta.url));
    const jarId = await uploadJar(dispatcher.url, bundle);
    log(`dispatcher ${dispatcher.url}, data dir ${dataDir}, jar ${jarId}`);

    machine = new MachineSampler(() => pids, await localRedisPid(o.redisUrl));
    machine.start();
    const phases: PhaseResult[] = [];
    for (const method of o.methods) {
      phases.push(await runPhase({ method, api: dispatcher.url, jarId, dataDir, prefix, o, signal: abort.signal, log, jobs }));
    }
    machine.stop();
    const rows: RescaleRow[] = [];
    for (const [from, to] of o.steps) {
      for (const p of phases) {
        const r = rowsOf(p, o, machine).find((x) => x.step === `${from}→${to}`);
        if (r) rows.push(r);
      }
    }
    const ts = targets(rows);
    const text = [renderTable(rows), '', targetLines(ts), '', phaseLines(phases, machine), cpuLine(rows), '', notes(o, availableParallelism())].join('\n');
    process.stdout.write(`\n${text}\n`);
    writeJson(o.jsonOut, {
      date: new Date().toISOString(), node: process.version, cores: availableParallelism(), options: o, targets: ts, rows,
      phases: phases.map(({ arrivals, steps, ...p }) => ({ ...p, steps: steps.length, arrivalsRead: arrivals.length })),
    });
    log(`results written to ${o.jsonOut}`);
    const wrong = phases.filter((p) => !p.alertsOk || p.duplicates > 0);
    if (wrong.length > 0) {
      log(`wrong alerts in: ${wrong.map((p) => p.method).join(', ')}`);
      return 1;
    }
    return 0;
  } catch (err) {
    failed = !abort.signal.aborted;
    throw err;
  } finally {
    await cleanup();
  }
}

runMain(main);
