/** Options of the throughput benchmark: flags win over environment variables, which win over defaults. */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Transactions loaded for the throughput runs (end markers come on top). */
  records: number;
  /** Number of input streams (partitions). */
  streams: number;
  redisUrl: string;
  /** Parallelisms of the job runs, in order. */
  parallelisms: number[];
  /** Checkpointing of the job runs: 'on' (every `checkpointIntervalMs`, exactly-once output), 'off' (interval 0, output at every flush), or both. */
  checkpointing: Array<'on' | 'off'>;
  /** Checkpoint interval of the throughput runs with checkpointing on, ms. */
  checkpointIntervalMs: number;
  /** Metrics collection of the job runs (`ebbflow.metrics.enabled`): 'both' (the default) runs each job with it on and off, to show its cost. */
  metrics: Array<'on' | 'off'>;
  /** Length of the live-writing phase of each latency run, seconds; 0 skips the phase. */
  latencySeconds: number;
  /** Transactions per second written during the latency phase. */
  latencyRate: number;
  /** Checkpoint interval of the latency phase, ms (issue 18 target 3: 200). */
  latencyCheckpointIntervalMs: number;
  /** Window of the latency phase's job (and its reference), ms: short, so the phase has enough windows for percentiles. */
  latencyWindowMs: number;
  /** Runs per variant of the checkpoint-overhead comparison (checkpoints every `latencyCheckpointIntervalMs` vs off, interleaved, per parallelism); 0 skips it. */
  overheadRuns: number;
  /** Runs of the baseline, spread over the job's runs; the job's rows are compared with their median. */
  baselineRuns: number;
  /** More program arguments for the job's throughput and overhead runs (e.g. watermark alignment). */
  jobArgs: string[];
  /** More configuration for every job run (throughput, latency, overhead): `key=value` pairs. */
  jobConf: Record<string, string>;
  /** Window of the throughput runs, ms. */
  windowMs: number;
  maxOutOfOrdernessMs: number;
  /** Threshold in dollars, as the job takes it. */
  threshold: string;
  seed: number;
  /** Time-out for one job run to deliver all its alerts, ms. */
  timeoutMs: number;
  /** Where the JSON results go. */
  jsonOut: string;
}

export const USAGE = `usage: node dist/bench/throughput.js [--quick] [--records N] [--streams N] [--redis URL]
       [--parallelism 1,2,1,2,1,2] [--baseline-runs N] [--job-args="ARGS"] [--job-conf k=v,...] [--checkpointing on|off|both] [--checkpoint-interval-ms MS] [--metrics on|off|both]
       [--latency-seconds S] [--latency-rate R] [--latency-checkpoint-interval-ms MS] [--latency-window-ms MS]
       [--overhead-runs N] [--timeout-ms MS] [--json PATH]
env: BENCH_RECORDS, BENCH_STREAMS, BENCH_PARALLELISM, BENCH_CHECKPOINTING, BENCH_CHECKPOINT_INTERVAL_MS, BENCH_METRICS, BENCH_LATENCY_SECONDS,
     BENCH_LATENCY_RATE, BENCH_LATENCY_CHECKPOINT_INTERVAL_MS, BENCH_LATENCY_WINDOW_MS, BENCH_OVERHEAD_RUNS, BENCH_QUICK=1, BENCH_TIMEOUT_MS, EBBFLOW_REDIS_URL`;

function int(name: string, v: string, min: number): number {
  const n = /^\d[\d_]*$/.test(v) ? Number(v.replace(/_/g, '')) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${v}"\n${USAGE}`);
  return n;
}

export function parseBenchOptions(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      records: { type: 'string' },
      streams: { type: 'string' },
      redis: { type: 'string' },
      parallelism: { type: 'string' },
      checkpointing: { type: 'string' },
      metrics: { type: 'string' },
      'latency-seconds': { type: 'string' },
      'latency-rate': { type: 'string' },
      'checkpoint-interval-ms': { type: 'string' },
      'latency-checkpoint-interval-ms': { type: 'string' },
      'latency-window-ms': { type: 'string' },
      'overhead-runs': { type: 'string' },
      'baseline-runs': { type: 'string' },
      'job-args': { type: 'string' },
      'job-conf': { type: 'string' },
      'timeout-ms': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const quick = values.quick ?? (env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true');
  const pick = (flag: string | undefined, envName: string): string | undefined => flag ?? (env[envName] || undefined);

  const recordsRaw = pick(values.records, 'BENCH_RECORDS');
  const records = recordsRaw !== undefined ? int('--records', recordsRaw, 1) : quick ? 100_000 : 1_000_000;
  const streams = int('--streams', pick(values.streams, 'BENCH_STREAMS') ?? '4', 1);
  const parallelisms = (pick(values.parallelism, 'BENCH_PARALLELISM') ?? (quick ? '1,2' : '1,2,1,2,1,2'))
    .split(',').map((s) => s.trim()).filter(Boolean).map((s) => int('--parallelism', s, 1));
  if (parallelisms.length === 0) throw new Error(`--parallelism needs at least one value\n${USAGE}`);
  const cpMode = pick(values.checkpointing, 'BENCH_CHECKPOINTING') ?? 'on';
  if (!['on', 'off', 'both'].includes(cpMode)) throw new Error(`--checkpointing must be on, off or both, got "${cpMode}"\n${USAGE}`);
  const checkpointing: Array<'on' | 'off'> = cpMode === 'both' ? ['on', 'off'] : [cpMode as 'on' | 'off'];
  const metricsMode = pick(values.metrics, 'BENCH_METRICS') ?? 'both';
  if (!['on', 'off', 'both'].includes(metricsMode)) throw new Error(`--metrics must be on, off or both, got "${metricsMode}"\n${USAGE}`);
  const metrics: Array<'on' | 'off'> = metricsMode === 'both' ? ['on', 'off'] : [metricsMode as 'on' | 'off'];
  const latencySeconds = int('--latency-seconds', pick(values['latency-seconds'], 'BENCH_LATENCY_SECONDS') ?? (quick ? '20' : '30'), 0);
  const latencyRate = int('--latency-rate', pick(values['latency-rate'], 'BENCH_LATENCY_RATE') ?? '20000', 1);
  const checkpointIntervalMs = int('--checkpoint-interval-ms', pick(values['checkpoint-interval-ms'], 'BENCH_CHECKPOINT_INTERVAL_MS') ?? '1000', 1);
  const latencyCheckpointIntervalMs = int('--latency-checkpoint-interval-ms', pick(values['latency-checkpoint-interval-ms'], 'BENCH_LATENCY_CHECKPOINT_INTERVAL_MS') ?? '200', 1);
  const latencyWindowMs = int('--latency-window-ms', pick(values['latency-window-ms'], 'BENCH_LATENCY_WINDOW_MS') ?? '1000', 1);
  const baselineRuns = int('--baseline-runs', pick(values['baseline-runs'], 'BENCH_BASELINE_RUNS') ?? (quick ? '1' : '3'), 1);
  const overheadRuns = int('--overhead-runs', pick(values['overhead-runs'], 'BENCH_OVERHEAD_RUNS') ?? (quick ? '1' : '3'), 0);
  const timeoutMs = int('--timeout-ms', pick(values['timeout-ms'], 'BENCH_TIMEOUT_MS') ?? '600000', 1000);
  return {
    records,
    streams,
    redisUrl: values.redis ?? env.EBBFLOW_REDIS_URL ?? 'redis://127.0.0.1:6379',
    parallelisms,
    checkpointing,
    metrics,
    latencySeconds,
    latencyRate,
    checkpointIntervalMs,
    latencyCheckpointIntervalMs,
    latencyWindowMs,
    overheadRuns,
    baselineRuns,
    jobArgs: (pick(values['job-args'], 'BENCH_JOB_ARGS') ?? DEFAULT_JOB_ARGS).split(/\s+/).filter(Boolean),
    jobConf: parseJobConf(pick(values['job-conf'], 'BENCH_JOB_CONF') ?? ''),
    windowMs: 10_000,
    maxOutOfOrdernessMs: 5_000,
    threshold: '10000',
    seed: 42,
    timeoutMs,
    jsonOut: values.json ?? 'dist/bench-results.json',
  };
}

/**
 * The job's extra arguments unless `--job-args` says otherwise (`--job-args=` for none): watermark
 * alignment of the sources with a 120 s maximum drift, updated every 20 ms. The preloaded input spans
 * ~2.8 hours of event time per stream and is read in ~4 s, ~2,400 s of event time per second, so two
 * source subtasks left alone drift minutes apart and every window subtask keeps the windows between
 * them open: 10–15× the window state of parallelism 1 (1–4 MB per checkpoint against 0.15 MB), all of
 * it serialized at every checkpoint. Aligned, parallelism 2 keeps 0.26 MB (bench/README.md).
 */
export const DEFAULT_JOB_ARGS = '--watermark-alignment-ms 120000 --watermark-alignment-update-ms 20';

/** `a=1,b=2 s` → { a: '1', b: '2 s' }; a pair without `=` is an error. */
export function parseJobConf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--job-conf: expected key=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}
