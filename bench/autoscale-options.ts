/** Options of the autoscaling benchmark: flags win over environment variables, which win over defaults. */
import { parseArgs } from 'node:util';

export type Policy = 'builtin' | 'flink';

export interface AutoscaleOptions {
  quick: boolean;
  redisUrl: string;
  /** Input streams (Redis Streams partitions): the source vertex, where the enrichment runs, never has more subtasks. */
  streams: number;
  /** The enrichment step: one lookup of `enrichLatencyMs` per `enrichBatch` records (examples/fraud-detection/job.ts). */
  enrichLatencyMs: number;
  enrichBatch: number;
  /** Entries per XREAD per stream: bounds how long one poll blocks in the enrichment. */
  sourceBatch: number;
  /** Night load as a share of one subtask's measured capacity (the plateau is `stepFactor` times it). */
  nightUtilization: number;
  stepFactor: number;
  /** Phase lengths, s: night, plateau (the step at its start), ramp down, night again. */
  phases: { night: number; plateau: number; ramp: number; nightAfter: number };
  /** Plateau noise: ± this share, a new level every `noisePeriodS`. */
  noise: number;
  noisePeriodS: number;
  /** The utilisation the oracle and both policies aim at. */
  targetUtilization: number;
  /** Seconds each calibration run measures (after its warm-up). */
  calibrateSeconds: number;
  /** The rows to run, in order. */
  policies: Policy[];
  /** Extra job.autoscaler.* keys for the built-in row (key=value). */
  builtinConf: Record<string, string>;
  /** Flink's durations are multiplied by this (default: profile length ÷ 24 h). */
  flinkTimeScale: number | undefined;
  windowMs: number;
  maxOutOfOrdernessMs: number;
  accounts: number;
  threshold: string;
  seed: number;
  keepData: boolean;
  jsonOut: string;
}

export const USAGE = `usage: node dist/bench/autoscale.js [--quick] [--policies builtin,flink] [--streams N]
       [--enrich-latency-ms MS] [--enrich-batch K] [--source-batch N] [--night-utilization U] [--step-factor F]
       [--phases NIGHT,PLATEAU,RAMP,NIGHT] [--noise SHARE] [--noise-period-s S] [--calibrate-seconds S]
       [--builtin-conf key=value,...] [--flink-time-scale X] [--keep-data] [--json PATH] [--redis URL]
env: BENCH_QUICK=1, BENCH_AUTOSCALE_POLICIES, BENCH_AUTOSCALE_PHASES, EBBFLOW_REDIS_URL`;

function num(name: string, v: string, min: number, max = Infinity, integer = false): number {
  const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isSafeInteger(n))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got "${v}"\n${USAGE}`);
  }
  return n;
}

export function parsePhases(text: string): AutoscaleOptions['phases'] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 4) throw new Error(`--phases takes four lengths in seconds (night,plateau,ramp,night), got "${text}"\n${USAGE}`);
  const [night, plateau, ramp, nightAfter] = parts.map((p, i) => num(`--phases (${['night', 'plateau', 'ramp', 'night after'][i]})`, p, 1, 3600, true)) as [number, number, number, number];
  return { night, plateau, ramp, nightAfter };
}

export function parseConf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--builtin-conf takes key=value pairs, got "${kv}"\n${USAGE}`);
    const key = kv.slice(0, eq).trim();
    if (!key.startsWith('job.autoscaler.')) throw new Error(`--builtin-conf only sets job.autoscaler.* keys, got "${key}"`);
    out[key] = kv.slice(eq + 1).trim();
  }
  return out;
}

export function parseAutoscaleOptions(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): AutoscaleOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean' }, redis: { type: 'string' }, policies: { type: 'string' }, streams: { type: 'string' },
      'enrich-latency-ms': { type: 'string' }, 'enrich-batch': { type: 'string' }, 'source-batch': { type: 'string' },
      'night-utilization': { type: 'string' }, 'step-factor': { type: 'string' }, phases: { type: 'string' },
      noise: { type: 'string' }, 'noise-period-s': { type: 'string' }, 'calibrate-seconds': { type: 'string' },
      'builtin-conf': { type: 'string' }, 'flink-time-scale': { type: 'string' }, 'keep-data': { type: 'boolean' },
      json: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const quick = values.quick ?? (env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true');
  const policies = (values.policies ?? env.BENCH_AUTOSCALE_POLICIES ?? 'builtin,flink').split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of policies) if (p !== 'builtin' && p !== 'flink') throw new Error(`--policies takes builtin and/or flink, got "${p}"\n${USAGE}`);
  if (policies.length === 0) throw new Error(`--policies needs at least one of builtin, flink\n${USAGE}`);
  const streams = num('--streams', values.streams ?? '8', 1, 64, true);
  const scaleRaw = values['flink-time-scale'];
  return {
    quick,
    redisUrl: values.redis ?? env.EBBFLOW_REDIS_URL ?? 'redis://127.0.0.1:6379',
    streams,
    enrichLatencyMs: num('--enrich-latency-ms', values['enrich-latency-ms'] ?? '10', 1, 10_000, true),
    enrichBatch: num('--enrich-batch', values['enrich-batch'] ?? '5', 1, 100_000, true),
    sourceBatch: num('--source-batch', values['source-batch'] ?? '10', 1, 100_000, true),
    nightUtilization: num('--night-utilization', values['night-utilization'] ?? '0.3', 0.01, 1),
    stepFactor: num('--step-factor', values['step-factor'] ?? '8', 1, 100),
    phases: parsePhases(values.phases ?? env.BENCH_AUTOSCALE_PHASES ?? (quick ? '45,60,20,55' : '150,180,60,210')),
    noise: num('--noise', values.noise ?? '0.15', 0, 0.9),
    noisePeriodS: num('--noise-period-s', values['noise-period-s'] ?? '5', 1, 600, true),
    targetUtilization: 0.7,
    calibrateSeconds: num('--calibrate-seconds', values['calibrate-seconds'] ?? (quick ? '10' : '20'), 3, 600, true),
    policies: policies as Policy[],
    // The compressed night is 3–4 minutes: the product's 3-minute scale-down interval would be most of
    // it. 60 s (20 s quick) is still hours at the profile's scale, longer than the Flink row's 25 s.
    builtinConf: { 'job.autoscaler.scale-down.interval': quick ? '20s' : '60s', ...parseConf(values['builtin-conf'] ?? '') },
    flinkTimeScale: scaleRaw === undefined ? undefined : num('--flink-time-scale', scaleRaw, 0.0001, 1),
    windowMs: 2000,
    maxOutOfOrdernessMs: 3000,
    accounts: 100_000,
    threshold: '490',
    seed: 11,
    keepData: values['keep-data'] ?? false,
    jsonOut: values.json ?? 'dist/autoscale-results.json',
  };
}
