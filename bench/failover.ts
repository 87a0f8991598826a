/**
 * Failover benchmark: three dispatcher processes (HA on Redis, checkpoints on the S3 test server)
 * running the fraud-detection job while its generator writes, and per repetition
 *   (a) the leader SIGKILLed → time until a write (POST /jobs/:id/checkpoints, 202) through a
 *       surviving dispatcher is accepted; a replacement dispatcher is started afterwards;
 *   (b) the job process SIGKILLed → time until GET /jobs/:id says RUNNING with every subtask
 *       RUNNING, run by a new job process; and how many TaskManager processes are new.
 *
 *   npm run bench:failover                         # build, then 10 repetitions of each
 *   npm run build && node dist/bench/failover.js --quick
 *   node dist/bench/failover.js --repetitions 5 --lease-ms 15000 --renew-deadline-ms 10000 --retry-period-ms 2000
 *
 * Prints a markdown table (p50 and max). Every Redis key is under `ebbflow-bench-<random>:` and is
 * deleted at the end, every process it started is ended by pid, also on failure and SIGINT/SIGTERM.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { cleanUpOnSignals, runMain } from './cleanup.js';
import { newKeyPrefix } from './data.js';
import { HaStack, sleep, until, writeAccepted, type HaTimings } from './ha-stack.js';
import { log, logIgnored } from './log.js';
import { jobProcesses } from './procs.js';
import { getJob, runJar, uploadJar } from './rest.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface FailoverOptions { repetitions: number; redisUrl: string; timings: HaTimings; parallelism: number; rate: number }

const USAGE = 'usage: node dist/bench/failover.js [--quick] [--repetitions N] [--redis URL] [--parallelism N] [--rate TX/S] [--lease-ms MS] [--renew-deadline-ms MS] [--retry-period-ms MS]';

export function parseFailoverOptions(argv = process.argv.slice(2), env = process.env): FailoverOptions {
  const o: FailoverOptions = {
    repetitions: Number(env.BENCH_FAILOVER_REPETITIONS ?? 10), redisUrl: env.EBBFLOW_REDIS_URL ?? 'redis://127.0.0.1:6379',
    timings: { leaseMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 }, parallelism: 2, rate: 500,
  };
  let reps: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`); return v; };
    const num = () => { const v = Number(next()); if (!Number.isFinite(v) || v <= 0) throw new Error(`${a}: a positive number\n${USAGE}`); return v; };
    if (a === '--quick') reps ??= 3;
    else if (a === '--repetitions') reps = Math.floor(num());
    else if (a === '--redis') o.redisUrl = next();
    else if (a === '--parallelism') o.parallelism = Math.floor(num());
    else if (a === '--rate') o.rate = num();
    else if (a === '--lease-ms') o.timings.leaseMs = num();
    else if (a === '--renew-deadline-ms') o.timings.renewDeadlineMs = num();
    else if (a === '--retry-period-ms') o.timings.retryPeriodMs = num();
    else if (a === '--help' || a === '-h') { console.log(USAGE); process.exit(0); }
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (reps !== undefined) o.repetitions = reps;
  return o;
}

const p50 = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN; };
const max = (xs: number[]): number => (xs.length ? Math.max(...xs) : NaN);
const secs = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '–');

/** Every vertex RUNNING with all its subtasks RUNNING. */
export async function allRunning(url: string, jobId: string): Promise<boolean> {
  const job = await getJob(url, jobId);
  return job.state === 'RUNNING' && job.vertices.length > 0 && job.vertices.every((v) => v.status === 'RUNNING' && (v.tasks.RUNNING ?? 0) === v.parallelism);
}

async function main(): Promise<number> {
  const o = parseFailoverOptions();
  const prefix = newKeyPrefix();
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => { /* surfaced by the failing command */ });
  const stack = new HaStack(redis, o.redisUrl, prefix, o.timings);
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= (async () => {
    for (const p of await stack.close()) log(p);
    log(`ended every process started, deleted keys ${prefix}*`);
    redis.disconnect();
  })());
  cleanUpOnSignals(cleanup);
  try {
    log(`starting the S3 test server and three dispatchers (lease ${o.timings.leaseMs} ms, renew deadline ${o.timings.renewDeadlineMs} ms, retry ${o.timings.retryPeriodMs} ms)`);
    await stack.start(3);
    let leader = await stack.waitForLeader();
    const jar = await uploadJar(leader.url, join(ROOT, 'dist/examples/fraud-detection.mjs'));
    const streams = [0, 1, 2, 3].map((i) => `${prefix}tx:${i}`);
    const output = `${prefix}alerts`;
    const gen = spawn(process.execPath, [join(ROOT, 'dist/examples/fraud-detection/generator.js'), '--redis', o.redisUrl, '--streams', streams.join(','), '--count', '0', '--rate', String(o.rate), '--seed', '42'], { stdio: 'ignore' });
    stack.extraPids.add(gen.pid!);
    const jobId = await runJar(leader.url, jar, o.parallelism, ['--redis', o.redisUrl, '--input', streams.join(','), '--output', output, '--window-ms', '10000', '--threshold', '10000', '--max-out-of-orderness-ms', '5000'],
      { 'execution.checkpointing.interval': '1000', 'restart-strategy.fixed-delay.delay': '100 ms' });
    stack.jobs.push(jobId);
    await until('the job running every subtask', async () => ((await allRunning(leader.url, jobId)) ? true : undefined), 60_000, 100);
    await until('a completed checkpoint', async () => (((await (await fetch(`${leader.url}/jobs/${jobId}/checkpoints`)).json()) as { counts: { completed: number } }).counts.completed > 0 ? true : undefined), 60_000, 200);
    log(`job ${jobId} running at parallelism ${o.parallelism}, checkpoints on ${stack.checkpointsDir}`);

    const leaderKill: number[] = [];
    const elected: number[] = [];
    const jobKill: number[] = [];
    const newTms: string[] = [];
    for (let rep = 1; rep <= o.repetitions; rep++) {
      // (a) the leader
      leader = await stack.waitForLeader();
      const survivors = stack.alive.filter((d) => d !== leader);
      const killedAt = performance.now();
      stack.kill(leader);
      let electedAt: number | undefined;
      const watchElection = stack.waitForLeader(o.timings.leaseMs + 15_000, leader, 10).then((d) => { electedAt = performance.now(); return d; });
      await until('a write accepted through a surviving dispatcher', async () => {
        const ok = await Promise.all(survivors.map((d) => writeAccepted(d.url, jobId)));
        return ok.some(Boolean) ? true : undefined;
      }, o.timings.leaseMs + 30_000, 20);
      const writesAt = performance.now();
      const next = await watchElection;
      leaderKill.push(writesAt - killedAt);
      elected.push((electedAt ?? writesAt) - killedAt);
      log(`rep ${rep}: leader ${leader.index} killed → writes accepted after ${secs(writesAt - killedAt)} s (dispatcher ${next.index} leads)`);
      await stack.waitExited(leader);
      await stack.startDispatcher();
      await until('the job running under the new leader', async () => ((await allRunning(next.url, jobId)) ? true : undefined), 60_000, 100);

      // (b) the job process
      const before = await jobProcesses(jobId);
      const jm = before.find((p) => p.role === 'jobmaster');
      if (!jm) throw new Error(`no job process of ${jobId}`);
      const tmsBefore = new Set(before.filter((p) => p.role === 'taskmanager').map((p) => p.pid));
      const jobKilledAt = performance.now();
      process.kill(jm.pid, 'SIGKILL');
      // Not stale: the leader records RESTARTING before it starts the new job process, and that
      // process writes RUNNING together with its vertices once every subtask of its own runs.
      await until('the job RUNNING again in a new job process, every subtask RUNNING', async () => {
        const now = await jobProcesses(jobId);
        if (!now.some((p) => p.role === 'jobmaster' && p.pid !== jm.pid)) return undefined;
        return (await allRunning(next.url, jobId)) ? true : undefined;
      }, 60_000, 20);
      const runningAt = performance.now();
      jobKill.push(runningAt - jobKilledAt);
      const tmsAfter = (await jobProcesses(jobId)).filter((p) => p.role === 'taskmanager');
      const fresh = tmsAfter.filter((p) => !tmsBefore.has(p.pid)).length;
      newTms.push(`${fresh}/${tmsAfter.length}`);
      log(`rep ${rep}: job process killed → RUNNING again after ${secs(runningAt - jobKilledAt)} s, ${fresh} new TaskManager(s) of ${tmsAfter.length}`);
      await sleep(1000);
      await until('a checkpoint of the restarted job', async () => {
        const c = (await (await fetch(`${next.url}/jobs/${jobId}/checkpoints`)).json()) as { latest?: { completed?: { latest_ack_timestamp?: number } | null } };
        return (c.latest?.completed?.latest_ack_timestamp ?? 0) > Date.now() - 5000 ? true : undefined;
      }, 60_000, 200).catch(logIgnored('waiting for a checkpoint of the restarted job'));
    }
    const alerts = await redis.xlen(output);
    console.log(`\nFailover, ${o.repetitions} repetitions (three dispatchers, HA on Redis: lease ${o.timings.leaseMs} ms, renew deadline ${o.timings.renewDeadlineMs} ms, retry period ${o.timings.retryPeriodMs} ms; fraud detection at parallelism ${o.parallelism}, ${o.rate} tx/s, checkpoints every 1 s on S3)\n`);
    console.log('| failure | measured until | p50 s | max s |');
    console.log('|---|---|---|---|');
    console.log(`| leader SIGKILL | a write through a surviving dispatcher is accepted (202) | ${secs(p50(leaderKill))} | ${secs(max(leaderKill))} |`);
    console.log(`| leader SIGKILL | every live dispatcher agrees on the new leader | ${secs(p50(elected))} | ${secs(max(elected))} |`);
    console.log(`| job process SIGKILL | GET /jobs/:id RUNNING, every subtask RUNNING, new job process | ${secs(p50(jobKill))} | ${secs(max(jobKill))} |`);
    console.log(`\nNew TaskManager processes per job-process kill (new/all the job has once RUNNING again): ${newTms.join(', ')}`);
    console.log(`Alerts written over the run: ${alerts}`);
    return 0;
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    for (const d of stack.dispatchers) log(`dispatcher ${d.index} log tail:\n${stack.log(d).slice(-1500)}`);
    return 1;
  } finally {
    await cleanup();
  }
}

runMain(main);
