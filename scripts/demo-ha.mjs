#!/usr/bin/env node
// The HA demo (npm run demo:ha, through scripts/demo-ha.sh which builds first): the S3 test server
// (s3rver) as its own process and three dispatchers on 127.0.0.1 with HA on Redis (a key prefix of
// this run's, deleted at the end) and checkpoints on S3; the fraud-detection job with its generator
// feeding it; once alerts flow the leader is SIGKILLed, the failover time printed (kill → a write
// through a surviving dispatcher is accepted), and the alerts shown to keep flowing. Everything it
// started is ended by pid at the end, on Ctrl-C and on failure; the whole run is bounded in time.
//
// Environment: EBBFLOW_REDIS_URL (redis://127.0.0.1:6379), DEMO_RATE (transactions/s, 2000),
// DEMO_PARALLELISM (2), DEMO_HA_LEASE_MS (3000), DEMO_HA_RENEW_DEADLINE_MS (2000),
// DEMO_HA_RETRY_PERIOD_MS (250), DEMO_DEADLINE_S (300: the demo gives up after this long).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { HaStack, until, writeAccepted } = await import(join(root, 'dist/bench/ha-stack.js'));
const { runJar, uploadJar, getJob } = await import(join(root, 'dist/bench/rest.js'));

const redisUrl = process.env.EBBFLOW_REDIS_URL ?? 'redis://127.0.0.1:6379';
const rate = Number(process.env.DEMO_RATE ?? 2000);
const parallelism = Number(process.env.DEMO_PARALLELISM ?? 2);
const timings = {
  leaseMs: Number(process.env.DEMO_HA_LEASE_MS ?? 3000),
  renewDeadlineMs: Number(process.env.DEMO_HA_RENEW_DEADLINE_MS ?? 2000),
  retryPeriodMs: Number(process.env.DEMO_HA_RETRY_PERIOD_MS ?? 250),
};
const deadlineS = Number(process.env.DEMO_DEADLINE_S ?? 300);
const say = (s) => process.stderr.write(`demo:ha: ${s}\n`);

const prefix = `ebbflow-demo-${randomBytes(6).toString('hex')}:`;
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
redis.on('error', () => { /* surfaced by the failing command */ });
const stack = new HaStack(redis, redisUrl, prefix, timings);

let cleaning;
const cleanup = () => (cleaning ??= (async () => {
  for (const p of await stack.close()) say(p);
  redis.disconnect();
  say(`stopped: every process it started ended by pid, keys ${prefix}* deleted`);
})());
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { say(`${sig}: stopping`); void cleanup().finally(() => process.exit(130)); });
const overall = setTimeout(() => { say(`gave up after ${deadlineS} s`); void cleanup().finally(() => process.exit(1)); }, deadlineS * 1000);

async function main() {
  say('starting the S3 test server (s3rver) and three dispatchers (HA on Redis, checkpoints on S3)');
  await stack.start(3);
  say(`S3 test server at ${stack.s3Endpoint} (pid ${stack.s3Pid}); checkpoints under ${stack.checkpointsDir}`);
  const leader = await stack.waitForLeader();
  for (const d of stack.dispatchers) say(`dispatcher ${d.index} at ${d.url} (pid ${d.pid})${d === leader ? ': leads' : ''}`);
  say(`lease ${timings.leaseMs} ms, renew deadline ${timings.renewDeadlineMs} ms, retry period ${timings.retryPeriodMs} ms; who leads: curl ${leader.url}/cluster/leader`);

  const streams = [0, 1, 2, 3].map((i) => `${prefix}tx:${i}`);
  const output = `${prefix}alerts`;
  const jar = await uploadJar(leader.url, join(root, 'dist/examples/fraud-detection.mjs'));
  const jobId = await runJar(leader.url, jar, parallelism, ['--redis', redisUrl, '--input', streams.join(','), '--output', output, '--window-ms', '10000', '--threshold', '10000', '--max-out-of-orderness-ms', '5000'],
    { 'execution.checkpointing.interval': '1000' });
  stack.jobs.push(jobId);
  say(`submitted fraud detection as job ${jobId} at parallelism ${parallelism} (${leader.url}/jobs/${jobId})`);
  const gen = spawn(process.execPath, [join(root, 'dist/examples/fraud-detection/generator.js'), '--redis', redisUrl, '--streams', streams.join(','), '--count', '0', '--rate', String(rate), '--seed', '42'], { stdio: 'ignore' });
  stack.extraPids.add(gen.pid);
  say(`generating ${rate} transactions/s; alerts appear once a 10 s window has closed (about 15-20 s)`);
  const first = await until('the first alerts', async () => { const n = await redis.xlen(output); return n > 0 ? n : undefined; }, 120_000, 200);
  say(`alerts flow: ${first} so far`);

  const survivors = stack.alive.filter((d) => d !== leader);
  const before = await redis.xlen(output);
  say(`SIGKILL the leader, dispatcher ${leader.index} (pid ${leader.pid})`);
  const killedAt = performance.now();
  stack.kill(leader);
  await until('a write accepted through a surviving dispatcher', async () => ((await Promise.all(survivors.map((d) => writeAccepted(d.url, jobId)))).some(Boolean) ? true : undefined), timings.leaseMs + 30_000, 20);
  const failoverMs = performance.now() - killedAt;
  const next = await stack.waitForLeader(timings.leaseMs + 15_000, leader);
  const epoch = (await stack.view(next)).leader?.epoch;
  console.log(`failover: ${(failoverMs / 1000).toFixed(2)} s from SIGKILL of the leader until a write through a surviving dispatcher was accepted; dispatcher ${next.index} (${next.url}) leads, epoch ${epoch}`);
  const grown = await until('alerts after the kill', async () => { const n = await redis.xlen(output); return n > before ? n : undefined; }, 60_000, 200);
  const job = await getJob(next.url, jobId);
  console.log(`alerts keep flowing: ${before} when the leader was killed, ${grown} now; job ${jobId} is ${job.state} under the new leader`);
}

let code = 0;
try {
  await main();
} catch (err) {
  code = 1;
  say(`failed: ${err?.stack ?? err}`);
  for (const d of stack.dispatchers) say(`dispatcher ${d.index} log tail:\n${stack.log(d).slice(-1500)}`);
} finally {
  clearTimeout(overall);
  await cleanup();
}
process.exit(code);
