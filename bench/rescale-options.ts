/** Options of the rescaling benchmark: flags win over environment variables, which win over defaults. */
import { parseArgs } from 'node:util';

export type Method = 'in-place' | 'stop-resubmit';

export interface RescaleOptions {
  quick: boolean;
  redisUrl: string;
  /** Transactions per second written while the benchmark runs (event time = wall clock). */
  rate: number;
  /** Ordinary accounts of the generator: with many, nearly every (from, to) pair of a window is new. */
  accounts: number;
  streams: number;
  windowMs: number;
  /** Max out-of-orderness of the job's watermarks: how long (event time) a window stays open after its end. */
  maxOutOfOrdernessMs: number;
  /** Whether maxOutOfOrdernessMs was derived from the state target (not given). */
  oooDerived: boolean;
  /** Keyed window state to reach before the first step, MB (10^6 bytes). */
  stateMb: number;
  /** Threshold in dollars, as the job takes it. */
  threshold: string;
  /** Parallelism changes, in order; each starts where the previous ended. */
  steps: Array<[number, number]>;
  methods: Method[];
  /** Normal operation measured right before each step, s. */
  steadySeconds: number;
  /** Measured after a step is done (rescale COMPLETED / resubmitted job RUNNING), s. */
  afterSeconds: number;
  /** execution.checkpointing.interval for the jobs; undefined = the product's default. */
  checkpointIntervalMs: number | undefined;
  /** rescale.migration.max-batch-bytes for the jobs (0: every key group at one barrier); undefined = the product's default. */
  maxBatchBytes: number | undefined;
  /** rescale.migration.pace for the jobs; undefined = the product's default. */
  migrationPace: string | undefined;
  /** heartbeat.timeout for the jobs (a machine shared with other benchmarks can stall a TaskManager past the default 5 s); undefined = the product's default. */
  heartbeatTimeoutMs: number | undefined;
  /** The dispatcher's taskManagerMemoryMb (heap cap per TaskManager): 512 (the product's default), or 8 × the state in MB when that is more, so that 4→1 fits the whole state in one TaskManager. */
  taskManagerMemoryMb: number;
  warmupTimeoutMs: number;
  /** Time-out of one step (rescale or stop + resubmit). */
  stepTimeoutMs: number;
  seed: number;
  /** Keep the data dir (job logs, checkpoints) instead of deleting it. */
  keepData: boolean;
  jsonOut: string;
}

export const USAGE = `usage: node dist/bench/rescale.js [--quick] [--rate R] [--accounts N] [--streams N] [--window-ms MS]
       [--ooo-ms MS] [--state-mb MB] [--threshold DOLLARS] [--steps 2:3,3:2,2:4,4:1] [--methods in-place,stop-resubmit]
       [--steady-seconds S] [--after-seconds S] [--checkpoint-interval-ms MS] [--max-batch-bytes B] [--migration-pace immediate|checkpoint-interval]
       [--heartbeat-timeout-ms MS] [--taskmanager-memory-mb MB] [--keep-data] [--json PATH] [--redis URL]
env: BENCH_RESCALE_RATE, BENCH_RESCALE_ACCOUNTS, BENCH_RESCALE_STATE_MB, BENCH_RESCALE_STEPS, BENCH_RESCALE_MAX_BATCH_BYTES, BENCH_QUICK=1, EBBFLOW_REDIS_URL`;

/** Bytes one open (from, to) pane takes in a checkpoint (columnar window snapshot: key once + accumulator), measured: ~78. */
export const BYTES_PER_PANE = 78;

function int(name: string, v: string, min: number): number {
  const n = /^\d[\d_]*$/.test(v) ? Number(v.replace(/_/g, '')) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${v}"\n${USAGE}`);
  return n;
}

export function parseSteps(text: string): Array<[number, number]> {
  const steps = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^(\d+):(\d+)$/.exec(s);
    if (!m) throw new Error(`--steps takes from:to pairs like 2:3,3:2, got "${s}"\n${USAGE}`);
    const [a, b] = [Number(m[1]), Number(m[2])];
    if (a < 1 || b < 1 || a === b) throw new Error(`--steps: "${s}" is not a change of parallelism`);
    return [a, b] as [number, number];
  });
  if (steps.length === 0) throw new Error(`--steps needs at least one step\n${USAGE}`);
  for (let i = 1; i < steps.length; i++) {
    if (steps[i]![0] !== steps[i - 1]![1]) throw new Error(`--steps: step ${i + 1} starts at ${steps[i]![0]}, but the one before ends at ${steps[i - 1]![1]}`);
  }
  return steps;
}

export function parseRescaleOptions(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): RescaleOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean' }, redis: { type: 'string' }, rate: { type: 'string' }, accounts: { type: 'string' },
      streams: { type: 'string' }, 'window-ms': { type: 'string' }, 'ooo-ms': { type: 'string' }, 'state-mb': { type: 'string' },
      threshold: { type: 'string' }, steps: { type: 'string' }, methods: { type: 'string' }, 'steady-seconds': { type: 'string' },
      'after-seconds': { type: 'string' }, 'checkpoint-interval-ms': { type: 'string' }, 'max-batch-bytes': { type: 'string' }, 'migration-pace': { type: 'string' }, 'heartbeat-timeout-ms': { type: 'string' }, 'taskmanager-memory-mb': { type: 'string' }, 'keep-data': { type: 'boolean' },
      json: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const quick = values.quick ?? (env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true');
  const pick = (flag: string | undefined, envName: string): string | undefined => flag ?? (env[envName] || undefined);

  const rate = int('--rate', pick(values.rate, 'BENCH_RESCALE_RATE') ?? (quick ? '3000' : '6000'), 1);
  const accounts = int('--accounts', pick(values.accounts, 'BENCH_RESCALE_ACCOUNTS') ?? '100000', 2);
  const streams = int('--streams', values.streams ?? '4', 1);
  const windowMs = int('--window-ms', values['window-ms'] ?? '1000', 1);
  const stateRaw = pick(values['state-mb'], 'BENCH_RESCALE_STATE_MB') ?? (quick ? '8' : '50');
  const stateMb = Number(stateRaw);
  if (!(stateMb > 0)) throw new Error(`--state-mb must be a positive number, got "${stateRaw}"\n${USAGE}`);
  // Open panes ≈ rate × (out-of-orderness + window/2) (nearly every pair is new): a plateau 10% above the target, whole seconds.
  const derived = Math.max(5_000, Math.ceil((1.1 * stateMb * 1e6) / (rate * BYTES_PER_PANE) - windowMs / 2000) * 1000);
  const maxOutOfOrdernessMs = values['ooo-ms'] !== undefined ? int('--ooo-ms', values['ooo-ms'], 2001) : derived;
  const steps = parseSteps(pick(values.steps, 'BENCH_RESCALE_STEPS') ?? '2:3,3:2,2:4,4:1');
  for (const [a, b] of steps) {
    if (Math.max(a, b) > streams) throw new Error(`--steps: parallelism ${Math.max(a, b)} needs at least as many input streams (--streams ${streams}): a Redis Streams source runs at most one subtask per stream`);
  }
  const methods = (values.methods ?? 'in-place,stop-resubmit').split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of methods) if (m !== 'in-place' && m !== 'stop-resubmit') throw new Error(`--methods takes in-place and/or stop-resubmit, got "${m}"`);
  const cpRaw = values['checkpoint-interval-ms'];
  return {
    quick,
    redisUrl: values.redis ?? env.EBBFLOW_REDIS_URL ?? 'redis://127.0.0.1:6379',
    rate, accounts, streams, windowMs, maxOutOfOrdernessMs, oooDerived: values['ooo-ms'] === undefined, stateMb,
    threshold: values.threshold ?? '490',
    steps,
    methods: methods as Method[],
    steadySeconds: int('--steady-seconds', values['steady-seconds'] ?? (quick ? '8' : '20'), 1),
    afterSeconds: int('--after-seconds', values['after-seconds'] ?? (quick ? '6' : '10'), 1),
    checkpointIntervalMs: cpRaw !== undefined ? int('--checkpoint-interval-ms', cpRaw, 1) : undefined,
    heartbeatTimeoutMs: values['heartbeat-timeout-ms'] !== undefined ? int('--heartbeat-timeout-ms', values['heartbeat-timeout-ms'], 1000) : undefined,
    taskManagerMemoryMb: values['taskmanager-memory-mb'] !== undefined ? int('--taskmanager-memory-mb', values['taskmanager-memory-mb'], 32) : Math.max(512, Math.ceil(8 * stateMb)),
    migrationPace: pick(values['migration-pace'], 'BENCH_RESCALE_MIGRATION_PACE'),
    maxBatchBytes: pick(values['max-batch-bytes'], 'BENCH_RESCALE_MAX_BATCH_BYTES') !== undefined ? int('--max-batch-bytes', pick(values['max-batch-bytes'], 'BENCH_RESCALE_MAX_BATCH_BYTES')!, 0) : undefined,
    warmupTimeoutMs: 2 * maxOutOfOrdernessMs + 120_000,
    stepTimeoutMs: 180_000,
    seed: 7,
    keepData: values['keep-data'] ?? false,
    jsonOut: values.json ?? 'dist/bench-rescale-results.json',
  };
}
