/**
 * Tails the fraud-detection job's output stream and prints each alert as one line:
 *
 *   ALERT acct-7 -> acct-12  window 2026-11-25T06:00:00.000Z..+10s  total $12345.67 in 9 transfers
 *
 *   node dist/examples/fraud-detection/alert-monitor.js --output fraud-alerts [--from-start] [--exit-after 3]
 */
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';

function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms % 3_600_000 === 0 && ms !== 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms !== 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** One alert entry's fields as one readable line. */
export function formatAlert(fields: Record<string, string>): string {
  const start = Number(fields.windowStart);
  const end = Number(fields.windowEnd);
  const startText = Number.isFinite(start) ? new Date(start).toISOString() : String(fields.windowStart);
  const count = Number(fields.count);
  const transfers = count === 1 ? 'transfer' : 'transfers';
  return `ALERT ${fields.from} -> ${fields.to}  window ${startText}..+${formatDuration(end - start)}  total $${fields.total} in ${fields.count} ${transfers}`;
}

function toFields(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('fraud-alert-monitor')
    .description('Prints the alerts of the fraud-detection job as they arrive.')
    .option('--redis <url>', 'Redis URL', 'redis://127.0.0.1:6379')
    .requiredOption('--output <key>', 'the job\'s output stream key')
    .option('--from-start', 'print the alerts already in the stream too (default: only new ones)', false)
    .option('--exit-after <n>', 'exit 0 after printing n alerts', (v: string) => {
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
      return n;
    })
    .parse(argv);
  const o = program.opts<{ redis: string; output: string; fromStart: boolean; exitAfter?: number }>();

  const { Redis } = await import('ioredis');
  const redis = new Redis(o.redis, { lazyConnect: true, maxRetriesPerRequest: null });
  let lastError = '';
  redis.on('error', (err: Error) => {
    if (err.message !== lastError) process.stderr.write(`alert-monitor: redis error: ${err.message}\n`);
    lastError = err.message;
  });

  let stopping = false;
  const stop = () => {
    stopping = true;
    redis.disconnect();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    return await follow(redis, o, () => stopping);
  } catch (err) {
    if (stopping) return 0;
    throw err;
  }
}

async function follow(
  redis: import('ioredis').Redis,
  o: { output: string; fromStart: boolean; exitAfter?: number },
  isStopping: () => boolean,
): Promise<number> {
  await redis.connect();
  // Pin the start position to a concrete id so nothing is missed between XREADs.
  let lastId = '0-0';
  if (!o.fromStart) {
    const last = (await redis.xrevrange(o.output, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    lastId = last[0]?.[0] ?? '0-0';
  }
  process.stderr.write(`alert-monitor: watching ${o.output} ${o.fromStart ? 'from the start' : 'for new alerts'}\n`);

  let printed = 0;
  while (!isStopping()) {
    let res: Array<[string, Array<[string, string[]]>]> | null;
    try {
      res = (await redis.xread('COUNT', 100, 'BLOCK', 1000, 'STREAMS', o.output, lastId)) as typeof res;
    } catch (err) {
      if (isStopping()) break;
      throw err;
    }
    for (const [, entries] of res ?? []) {
      for (const [id, flat] of entries) {
        lastId = id;
        process.stdout.write(formatAlert(toFields(flat)) + '\n');
        printed++;
        if (o.exitAfter !== undefined && printed >= o.exitAfter) {
          await redis.quit().catch(() => redis.disconnect());
          return 0;
        }
      }
    }
  }
  redis.disconnect();
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`alert-monitor: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
