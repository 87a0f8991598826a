/** One throughput run of the fraud-detection job over the preloaded streams. */
import { logIgnored } from './log.js';
import type { Redis } from 'ioredis';
import type { Alert } from '../examples/fraud-detection/reference.js';
import { compareAlerts, readAlerts } from './data.js';
import { cpuSeconds, JobProcessSampler, type MemoryReport } from './procs.js';
import { cancelJob, CheckpointCollector, getJob, runJar, type CheckpointSummary } from './rest.js';

export interface JobRunInput {
  api: string;
  jarId: string;
  redis: Redis;
  redisUrl: string;
  redisPid: number | undefined;
  inputs: string[];
  output: string;
  parallelism: number;
  expected: Alert[];
  windowMs: number;
  maxOutOfOrdernessMs: number;
  threshold: string;
  timeoutMs: number;
  /** Per-job settings (Flink keys), e.g. execution.checkpointing.interval = 0. */
  flinkConfiguration?: Record<string, string>;
  /** More program arguments of the job (`--job-args`), after the standard ones. */
  extraArgs?: string[];
}

export interface JobRunResult {
  jobId: string;
  /** From the run response to the output stream holding every expected alert. */
  seconds: number;
  /** From the run response until the job was RUNNING (TaskManagers spawned and deployed), part of `seconds`. */
  startupSeconds: number | null;
  cpuSeconds: number;
  cpuSecondsByProcess: Array<{ pid: number; role: string; cpuSeconds: number }>;
  redisCpuSeconds: number | null;
  memory: MemoryReport;
  checkpoints: CheckpointSummary | null;
  alerts: number;
  alertsOk: boolean;
  alertsCheck: string;
}

export function jobArgs(redisUrl: string, inputs: string[], output: string, windowMs: number, threshold: string, ooo: number): string[] {
  return ['--redis', redisUrl, '--input', inputs.join(','), '--output', output, '--window-ms', String(windowMs),
    '--threshold', threshold, '--max-out-of-orderness-ms', String(ooo)];
}

export async function runJobThroughput(x: JobRunInput, log: (s: string) => void): Promise<JobRunResult> {
  const redisCpu0 = x.redisPid ? cpuSeconds(x.redisPid) : undefined;
  const args = [...jobArgs(x.redisUrl, x.inputs, x.output, x.windowMs, x.threshold, x.maxOutOfOrdernessMs), ...(x.extraArgs ?? [])];
  const jobId = await runJar(x.api, x.jarId, x.parallelism, args, x.flinkConfiguration);
  const t0 = performance.now();
  const runAt = Date.now();
  log(`job ${jobId} (parallelism ${x.parallelism}) submitted; waiting for ${x.expected.length} alerts in ${x.output}`);

  // One job process plus one TaskManager per slot (one slot per TaskManager by default).
  const sampler = new JobProcessSampler(jobId, 1 + x.parallelism);
  sampler.start();
  const checkpoints = new CheckpointCollector();
  let lastCheckpointPoll = 0;
  let lastStatePoll = 0;
  let runningAt: number | undefined;
  let seconds: number;
  try {
    for (;;) {
      const len = await x.redis.xlen(x.output);
      const now = performance.now();
      if (len >= x.expected.length) { seconds = (now - t0) / 1000; break; }
      if (now - t0 > x.timeoutMs) {
        throw new Error(`timed out after ${x.timeoutMs / 1000} s: job ${jobId} (parallelism ${x.parallelism}) wrote ${len} of ${x.expected.length} alerts`);
      }
      if (now - lastStatePoll > 500) {
        lastStatePoll = now;
        const job = await getJob(x.api, jobId);
        if (runningAt === undefined && job.timestamps.RUNNING) runningAt = job.timestamps.RUNNING;
        if (['FAILED', 'CANCELED', 'FINISHED'].includes(job.state)) {
          throw new Error(`job ${jobId} ended ${job.state} after ${len} of ${x.expected.length} alerts${job['failure-cause'] ? `: ${job['failure-cause']}` : ''}`);
        }
      }
      if (now - lastCheckpointPoll > 1000) {
        lastCheckpointPoll = now;
        void checkpoints.poll(x.api, jobId);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    // Measurements at the end, before cancelling: CPU per process, peak RSS, the last checkpoints.
    const procs = await sampler.processes();
    const byProcess = procs.map((p) => ({ pid: p.pid, role: p.role, cpuSeconds: cpuSeconds(p.pid) ?? 0 }));
    const redisCpu1 = x.redisPid ? cpuSeconds(x.redisPid) : undefined;
    const memory = sampler.stop();
    // The job process writes its checkpoint statistics debounced (200 ms): let the one that published the last alerts land.
    await new Promise((r) => setTimeout(r, 500));
    await checkpoints.poll(x.api, jobId);
    if (runningAt === undefined) runningAt = (await getJob(x.api, jobId)).timestamps.RUNNING;

    await cancelJob(x.api, jobId);
    const actual = await readAlerts(x.redis, x.output);
    const check = compareAlerts(actual, x.expected);
    const cs = checkpoints.summary();
    const align = cs?.alignment ? `; checkpoints ${cs.count}, ${Math.round(cs.avgMs)} ms avg, alignment p50 ${cs.alignment.p50} / p99 ${cs.alignment.p99} / max ${cs.alignment.max} ms` : '';
    log(`job p=${x.parallelism}: ${seconds.toFixed(2)} s, alerts ${check.ok ? 'ok' : `WRONG (${check.reason})`}${align}`);
    return {
      jobId, seconds,
      startupSeconds: runningAt ? (runningAt - runAt) / 1000 : null,
      cpuSeconds: byProcess.reduce((s, p) => s + p.cpuSeconds, 0),
      cpuSecondsByProcess: byProcess,
      redisCpuSeconds: redisCpu0 !== undefined && redisCpu1 !== undefined ? redisCpu1 - redisCpu0 : null,
      memory,
      checkpoints: checkpoints.summary(),
      alerts: actual.length,
      alertsOk: check.ok,
      alertsCheck: check.reason,
    };
  } catch (err) {
    sampler.stop();
    await cancelJob(x.api, jobId).catch(logIgnored(`cancelling job ${jobId} after a failed run`));
    throw err;
  }
}
