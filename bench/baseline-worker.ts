/**
 * The baseline: a plain Node loop, in its own process (forked by baseline.ts so its memory and CPU
 * are its own), computing the fraud-detection alerts straight from Redis with no framework.
 *
 * Round-robin over the streams: XREAD COUNT 1000 on one stream at a time (no BLOCK) until every
 * stream answers empty. Same semantics as the job: amounts parsed to integer cents, per (from, to)
 * tumbling windows, per-stream watermark = max ts − max out-of-orderness, global watermark = min
 * over streams, windows with end ≤ watermark fire, late records dropped, alert when sum > threshold,
 * alerts XADDed (one pipeline per firing) to the output stream.
 *
 * Config in env BENCH_BASELINE (JSON); result sent to the parent over IPC.
 */
import { Redis } from 'ioredis';
import { formatCents, parseCents, parseTimestamp } from '../examples/fraud-detection/job.js';
import { quarterRatio, statusKb } from './procs.js';

export interface BaselineConfig {
  redisUrl: string;
  streams: string[];
  output: string;
  windowMs: number;
  maxOutOfOrdernessMs: number;
  thresholdCents: number;
}

export interface BaselineResult {
  records: number;
  alerts: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  rssLastToSecondQuarter: number | null;
}

interface Acc { from: string; to: string; cents: number; count: number }

async function run(cfg: BaselineConfig): Promise<BaselineResult> {
  const redis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
  await redis.ping();
  const n = cfg.streams.length;
  const positions: string[] = cfg.streams.map(() => '0-0');
  const drained: boolean[] = cfg.streams.map(() => false);
  const maxTs: number[] = cfg.streams.map(() => -Infinity);
  const W = cfg.windowMs;
  /** window end → (from NUL to) → accumulator */
  const windows = new Map<number, Map<string, Acc>>();
  let watermark = -Infinity;
  let records = 0;
  let alerts = 0;

  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(process.memoryUsage.rss()), 250);

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let left = n;
  while (left > 0) {
    for (let i = 0; i < n; i++) {
      if (drained[i]) continue;
      const res = (await redis.xread('COUNT', 1000, 'STREAMS', cfg.streams[i]!, positions[i]!)) as Array<[string, Array<[string, string[]]>]> | null;
      const entries = res?.[0]?.[1];
      if (!entries || entries.length === 0) {
        drained[i] = true;
        left--;
        continue;
      }
      let max = maxTs[i]!;
      for (const [, flat] of entries) {
        records++;
        let from = '';
        let to = '';
        let amount = '';
        let tsText = '';
        for (let k = 0; k + 1 < flat.length; k += 2) {
          const name = flat[k];
          if (name === 'from') from = flat[k + 1]!;
          else if (name === 'to') to = flat[k + 1]!;
          else if (name === 'amount') amount = flat[k + 1]!;
          else if (name === 'ts') tsText = flat[k + 1]!;
        }
        const ts = parseTimestamp(tsText);
        const cents = parseCents(amount);
        // Like the job: the event time counts for the watermark even if the record is invalid otherwise.
        if (ts !== null && ts > max) max = ts;
        if (ts === null || cents === null || from === '' || to === '') continue;
        const end = Math.floor(ts / W) * W + W;
        if (end <= watermark) continue; // late: its window already fired
        let byKey = windows.get(end);
        if (!byKey) windows.set(end, (byKey = new Map()));
        const key = from + '\u0000' + to;
        const acc = byKey.get(key);
        if (acc) { acc.cents += cents; acc.count++; } else byKey.set(key, { from, to, cents, count: 1 });
      }
      maxTs[i] = max;
      positions[i] = entries[entries.length - 1]![0];

      let wm = Infinity;
      for (const m of maxTs) wm = Math.min(wm, m - cfg.maxOutOfOrdernessMs);
      if (wm > watermark) {
        watermark = wm;
        const due = [...windows.keys()].filter((end) => end <= wm).sort((a, b) => a - b);
        if (due.length > 0) {
          const pipe = redis.pipeline();
          let queued = 0;
          for (const end of due) {
            for (const acc of windows.get(end)!.values()) {
              if (acc.cents <= cfg.thresholdCents) continue;
              pipe.xadd(cfg.output, '*', 'from', acc.from, 'to', acc.to, 'windowStart', String(end - W), 'windowEnd', String(end),
                'total', formatCents(acc.cents), 'count', String(acc.count));
              queued++;
            }
            windows.delete(end);
          }
          if (queued > 0) {
            const results = await pipe.exec();
            for (const [err] of results ?? []) if (err) throw err;
            alerts += queued;
          }
        }
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  rss.push(process.memoryUsage.rss());
  await redis.quit();
  return {
    records, alerts, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: (statusKb('self', 'VmHWM') ?? Math.max(...rss) / 1024) / 1024,
    rssLastToSecondQuarter: quarterRatio(rss),
  };
}

if (process.send) {
  const cfg = JSON.parse(process.env.BENCH_BASELINE ?? '{}') as BaselineConfig;
  run(cfg).then(
    (result) => process.send!({ ok: true, result }, () => process.exit(0)),
    (err: unknown) => process.send!({ ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) }, () => process.exit(1)),
  );
}
