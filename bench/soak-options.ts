/** Options of the soak benchmark (bench/soak.ts): flags win over environment variables, which win over defaults. */
import { parseArgs } from 'node:util';

export interface SoakOptions {
  redisUrl: string;
  /** Length of the live phase, minutes. */
  minutes: number;
  /** Transactions per second written (event time = wall clock). */
  rate: number;
  streams: number;
  /** Parallelisms the in-place rescales alternate between, starting with the first. */
  parallelisms: number[];
  /** Seconds between rescales (default: a fifth of the run, 2 minutes at 10). */
  rescaleEverySeconds: number;
  /** Seconds between samples. */
  sampleSeconds: number;
  /** Samples this long after a rescale was requested (and until it completed) are marked settling and left out of the verdicts. */
  settleSeconds: number;
  /** Input entries older than this are trimmed (XTRIM MINID), so Redis holds a bounded input; the job reads seconds behind. */
  retainSeconds: number;
  windowMs: number;
  maxOutOfOrdernessMs: number;
  threshold: string;
  /** execution.checkpointing.interval for the job; undefined = the product's default. */
  checkpointIntervalMs: number | undefined;
  seed: number;
  jsonOut: string;
}

export const USAGE = `usage: node dist/bench/soak.js [--minutes M] [--rate R] [--streams N] [--parallelism 1,2] [--rescale-every-s S]
       [--sample-s S] [--settle-s S] [--retain-s S] [--checkpoint-interval-ms MS] [--json PATH] [--redis URL]
env: BENCH_SOAK_MINUTES, BENCH_SOAK_RATE, EBBFLOW_REDIS_URL`;

function int(name: string, v: string, min: number): number {
  const n = /^\d[\d_]*$/.test(v) ? Number(v.replace(/_/g, '')) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${v}"\n${USAGE}`);
  return n;
}

export function parseSoakOptions(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      minutes: { type: 'string' }, rate: { type: 'string' }, streams: { type: 'string' }, parallelism: { type: 'string' },
      'rescale-every-s': { type: 'string' }, 'sample-s': { type: 'string' }, 'settle-s': { type: 'string' }, 'retain-s': { type: 'string' },
      'checkpoint-interval-ms': { type: 'string' }, json: { type: 'string' }, redis: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const pick = (flag: string | undefined, envName: string): string | undefined => flag ?? (env[envName] || undefined);
  const minutes = Number(pick(values.minutes, 'BENCH_SOAK_MINUTES') ?? '10');
  if (!(minutes > 0)) throw new Error(`--minutes must be a positive number\n${USAGE}`);
  const streams = int('--streams', values.streams ?? '4', 1);
  const parallelisms = (values.parallelism ?? '1,2').split(',').map((s) => int('--parallelism', s.trim(), 1));
  if (parallelisms.length < 1) throw new Error(`--parallelism needs at least one value\n${USAGE}`);
  for (const p of parallelisms) if (p > streams) throw new Error(`--parallelism ${p} needs at least as many streams (--streams ${streams})`);
  const cp = values['checkpoint-interval-ms'];
  return {
    redisUrl: values.redis ?? env.EBBFLOW_REDIS_URL ?? 'redis://127.0.0.1:6379',
    minutes,
    rate: int('--rate', pick(values.rate, 'BENCH_SOAK_RATE') ?? '20000', 1),
    streams,
    parallelisms,
    rescaleEverySeconds: int('--rescale-every-s', values['rescale-every-s'] ?? String(Math.max(10, Math.round((minutes * 60) / 5))), 5),
    sampleSeconds: int('--sample-s', values['sample-s'] ?? (minutes < 5 ? '2' : '5'), 1),
    settleSeconds: int('--settle-s', values['settle-s'] ?? '30', 0),
    retainSeconds: int('--retain-s', values['retain-s'] ?? '60', 10),
    windowMs: 10_000,
    maxOutOfOrdernessMs: 5_000,
    threshold: '10000',
    checkpointIntervalMs: cp !== undefined ? int('--checkpoint-interval-ms', cp, 1) : undefined,
    seed: 11,
    jsonOut: values.json ?? 'dist/bench-soak-results.json',
  };
}
