/**
 * A bounded chaos run against the fraud-detection example (`npm run chaos`):
 *
 *   node dist/chaos/main.js [--seconds 45] [--seed 7] [--transactions 30000] [--parallelism 2] [--kills 2]
 *
 * Starts a dispatcher in this process (127.0.0.1, its own data directory and Redis key prefix), runs
 * the fraud example while feeding it transactions over `--seconds`, and meanwhile: sends garbage,
 * oversized frames, forged channel headers and forged TaskManager registrations to the job's ports,
 * asks for a savepoint into a directory whose storage hangs, and kills TaskManagers (SIGKILL).
 * It then checks that every hostile connection was closed, the hung savepoint ended FAILED with a
 * cause while a later one completed, the alerts equal the reference computation exactly, and that
 * once the job is cancelled no process of it is left. Prints a table; exit code 0 only if all held.
 * Every key it writes starts with `ebbflow-chaos-<random>:` and is deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { startDispatcher, type RunningDispatcher } from '../api/index.js';
import { jobProcesses } from '../bench/procs.js';
import { cancelJob, getJob, requestSavepoint, runJar, uploadJar, waitForState } from '../bench/rest.js';
import { endMarkers, generateTransactions, mulberry32, writeTransactions } from '../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts } from '../examples/fraud-detection/reference.js';
import { deleteByPrefix, readAlerts } from '../bench/data.js';
import { HungDirectory } from './hung-directory.js';
import { forgedChannel, forgedRegistration, garbage, oversizedDataFrame, oversizedRpcFrame, probe, type ProbeResult } from './probes.js';
import { jobRpcPort, killIfAlive, killTaskManager, savepointResult, taskManagersWithDataPorts, waitUntil } from './job-ports.js';

const W = 10_000;
const OOO = 5_000;
const log = (s: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

const o = new Command('chaos')
  .option('--redis <url>', 'Redis to use (only keys under its own prefix are touched)', process.env.EBBFLOW_REDIS_URL ?? 'redis://127.0.0.1:6379')
  .option('--seconds <n>', 'how long transactions are fed while probes and kills run', '45')
  .option('--seed <n>', 'seed of the transactions and of the choice of probes', '7')
  .option('--transactions <n>', 'transactions in all', '30000')
  .option('--parallelism <n>', 'parallelism of the job', '2')
  .option('--kills <n>', 'TaskManagers killed during the run', '2')
  .option('--storage-timeout-ms <ms>', 'the job\'s storage deadline (the hung savepoint must fail within it)', '5000')
  .parse(process.argv)
  .opts<{ redis: string; seconds: string; seed: string; transactions: string; parallelism: string; kills: string; storageTimeoutMs: string }>();

interface Check { what: string; ok: boolean; detail: string }

async function main(): Promise<number> {
  const seconds = Number(o.seconds);
  const seed = Number(o.seed);
  const kills = Number(o.kills);
  const parallelism = Number(o.parallelism);
  const rng = mulberry32(seed);
  const prefix = `ebbflow-chaos-${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(o.redis, { maxRetriesPerRequest: 3 });
  redis.on('error', () => { /* surfaced by the failing command */ });
  const dataDir = mkdtempSync(join(tmpdir(), 'ebbflow-chaos-'));
  const hung = new HungDirectory(join(dataDir, 'hung'), join(dataDir, 'hung-keep'));
  let dispatcher: RunningDispatcher | undefined;
  let jobId: string | undefined;
  const checks: Check[] = [];
  const probes: ProbeResult[] = [];

  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= (async () => {
    if (dispatcher && jobId) await cancelJob(dispatcher.url, jobId, 60_000).catch((err: Error) => log(`cancel: ${err.message}`));
    // The job's processes exit shortly after CANCELED; anything still alive after that is ended by its pid, and counts against the run.
    const id = jobId;
    const left = id ? await waitUntil('the job\'s processes to exit', async () => ((await jobProcesses(id)).length === 0 ? [] : undefined), 20_000).catch(() => jobProcesses(id)) : [];
    for (const p of left) killIfAlive(p.pid);
    if (jobId) checks.push({ what: 'no process of the job left after cancel', ok: left.length === 0, detail: left.length ? `killed ${left.map((p) => `${p.role} ${p.pid}`).join(', ')}` : 'none' });
    await hung.release().catch((err: Error) => log(`releasing the hung writes: ${err.message}`));
    if (jobId) {
      // Every log of the job (job process, TaskManagers), after the hung write was released: no unhandled rejection anywhere.
      const dir = join(dataDir, 'logs', jobId);
      const lines = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.log')).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n')) : [];
      const bad = lines.filter((l) => l.includes('EBBFLOW_UNHANDLED_REJECTION'));
      checks.push({ what: 'no unhandled rejection in the job\'s logs', ok: lines.length > 0 && bad.length === 0, detail: `${lines.length} lines${bad.length ? `; ${bad[0]!.slice(0, 120)}` : ''}` });
    }
    if (dispatcher) await dispatcher.close().catch((err: Error) => log(`closing the dispatcher: ${err.message}`));
    const n = await deleteByPrefix(redis, prefix).catch((err: Error) => { log(`could not delete keys ${prefix}*: ${err.message}`); return 0; });
    log(`deleted ${n} keys ${prefix}*`);
    rmSync(dataDir, { recursive: true, force: true });
    redis.disconnect();
  })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { log(`${sig}: cleaning up`); void cleanup().finally(() => process.exit(130)); });

  try {
    await redis.ping();
    dispatcher = await startDispatcher({ host: '127.0.0.1', port: 0, redisUrl: o.redis, dataDir, keyPrefix: `${prefix}ebbflow:`, logLevel: 'silent' });
    const api = dispatcher.url;
    const jar = await uploadJar(api, fileURLToPath(new URL('../examples/fraud-detection.mjs', import.meta.url)));
    const streams = [0, 1, 2, 3].map((i) => `${prefix}tx:${i}`);
    const output = `${prefix}alerts`;
    const txns = generateTransactions({ seed, count: Number(o.transactions), streams });
    const all = [...txns, ...endMarkers(streams, Math.max(...txns.map((t) => t.ts)) + W + OOO + 1)];
    const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
    jobId = await runJar(api, jar, parallelism, ['--redis', o.redis, '--input', streams.join(','), '--output', output, '--window-ms', String(W), '--threshold', '10000', '--max-out-of-orderness-ms', String(OOO)], {
      'execution.checkpointing.interval': '500',
      'restart-strategy.fixed-delay.attempts': String(kills + 3),
      'ebbflow.storage.timeout': `${o.storageTimeoutMs} ms`,
    });
    const id = jobId;
    await waitForState(api, id, 'RUNNING', 60_000);
    log(`job ${id} RUNNING at parallelism ${parallelism}; ${txns.length} transactions over ${seconds} s, ${expected.length} alerts expected`);

    const chunk = Math.ceil(txns.length / seconds);
    const killAt = new Set(Array.from({ length: kills }, (_, k) => Math.floor(((k + 1) * seconds) / (kills + 1))));
    let hungTrigger: string | undefined;
    for (let tick = 0; tick < seconds; tick++) {
      const t0 = Date.now();
      await writeTransactions(redis, txns.slice(tick * chunk, (tick + 1) * chunk));
      if (tick === 1) hungTrigger = await requestSavepoint(api, id, hung.path);
      if (killAt.has(tick)) {
        const pid = await killTaskManager(id, rng);
        log(`killed TaskManager pid ${pid}`);
      }
      const tms = await taskManagersWithDataPorts(api, id);
      const rpcPort = await jobRpcPort(id);
      for (let i = 0; i < 2; i++) {
        const pick = Math.floor(rng() * 6);
        const tm = tms.length ? tms[Math.floor(rng() * tms.length)]! : undefined;
        if (pick === 0 && tm) probes.push(await probe('garbage-data', '127.0.0.1', tm.dataPort, garbage(rng)));
        else if (pick === 1 && tm) probes.push(await probe('oversized-data', '127.0.0.1', tm.dataPort, oversizedDataFrame()));
        else if (pick === 2 && tm) probes.push(await probe('forged-channel', '127.0.0.1', tm.dataPort, forgedChannel(`${id}-edge-0`)));
        else if (pick === 3 && rpcPort) probes.push(await probe('garbage-rpc', '127.0.0.1', rpcPort, garbage(rng)));
        else if (pick === 4 && rpcPort) probes.push(await probe('oversized-rpc', '127.0.0.1', rpcPort, oversizedRpcFrame()));
        else if (rpcPort) probes.push(await probe('forged-registration', '127.0.0.1', rpcPort, forgedRegistration(id, tm?.id ?? `${id.slice(0, 8)}-taskmanager-00001`)));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t0))));
    }
    await writeTransactions(redis, all.slice(txns.length));
    log(`all transactions written; ${probes.length} probes sent`);

    await waitUntil(`${expected.length} alerts`, async () => ((await redis.xlen(output)) >= expected.length ? true : undefined), 180_000);
    const got = sortAlerts(await readAlerts(redis, output));
    const same = JSON.stringify(got) === JSON.stringify(expected);
    checks.push({ what: 'alerts equal the reference', ok: same, detail: `${got.length} of ${expected.length}` });

    for (const kind of new Set(probes.map((p) => p.kind))) {
      const of = probes.filter((p) => p.kind === kind);
      const open = of.filter((p) => !p.closed);
      checks.push({ what: `${kind}: every connection closed`, ok: open.length === 0, detail: `${of.length} sent, ${open.length} left open, slowest close ${Math.max(...of.map((p) => p.ms))} ms` });
    }
    if (hungTrigger) {
      const r = await savepointResult(api, id, hungTrigger, Number(o.storageTimeoutMs) + 60_000);
      const timedOut = /time|deadline/i.test(r.cause ?? '');
      checks.push({ what: 'savepoint into hung storage ends FAILED at the storage deadline', ok: r.status === 'FAILED' && timedOut && hung.traps > 0, detail: `${hung.traps} hung write(s)${hung.misses.length ? ` (missed: ${hung.misses.join('; ')})` : ''}; ${r.cause ?? r.status}` });
    }
    const good = await requestSavepoint(api, id, join(dataDir, 'savepoints'));
    const g = await savepointResult(api, id, good, 60_000);
    checks.push({ what: 'a later savepoint completes', ok: g.status === 'COMPLETED', detail: g.location ?? g.cause ?? g.status });
    const exceptions = (await (await fetch(`${api}/jobs/${id}/exceptions`)).json()) as { exceptionHistory: { entries: Array<{ exceptionName: string; stacktrace: string }> } };
    const restarts = exceptions.exceptionHistory.entries;
    checks.push({ what: 'restarts only from the TaskManager kills', ok: restarts.length <= kills, detail: `${restarts.length} failure(s) for ${kills} kill(s)${restarts.length ? `: ${restarts.map((e) => e.stacktrace.split('\n')[0]).join(' / ')}` : ''}` });
    const job = await getJob(api, id);
    checks.push({ what: 'job still RUNNING', ok: job.state === 'RUNNING', detail: job.state });
  } catch (err) {
    checks.push({ what: 'run completed', ok: false, detail: (err as Error).message });
  } finally {
    await cleanup();
  }

  const rows = checks.map((c) => `| ${c.ok ? 'ok  ' : 'FAIL'} | ${c.what} | ${c.detail.replace(/\|/g, '\\|').slice(0, 160)} |`);
  process.stdout.write(`\n| result | check | detail |\n|---|---|---|\n${rows.join('\n')}\n\n`);
  return checks.length > 0 && checks.every((c) => c.ok) ? 0 : 1;
}

process.exitCode = await main();
