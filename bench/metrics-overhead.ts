/**
 * The per-record cost of metrics collection on the data path, in one process (no Redis, no
 * sockets, so little run-to-run noise): a RecordWriter feeding a local channel into an
 * InputProcessor, with a subtask's I/O counters (ebbflow.metrics.enabled) and without, trials
 * interleaved; prints the median CPU time per million records of each and the difference.
 *
 *   npm run build && node dist/bench/metrics-overhead.js [--records N] [--trials T]
 */
import { parseArgs } from 'node:util';
import type { Collector } from '../runtime/elements.js';
import { InputProcessor } from '../runtime/input-processor.js';
import { ChannelRegistry } from '../runtime/network/channel-registry.js';
import { LocalChannelWriter } from '../runtime/network/channel-writer.js';
import { RecordWriter } from '../runtime/network/record-writer.js';
import { IoCounters } from '../runtime/subtask-metrics.js';

async function trial(records: number, metrics: boolean): Promise<number> {
  const registry = new ChannelRegistry();
  const counters = metrics ? new IoCounters() : undefined;
  const consumerCounters = metrics ? new IoCounters() : undefined;
  const rw = new RecordWriter('e', [new LocalChannelWriter(registry, { edgeId: 'e#0', consumer: 0, producer: 0, consumerExecution: 'x' }, counters)], { kind: 'FORWARD' });
  let seen = 0;
  const head: Collector = { collect: () => { seen++; }, watermark: () => {}, end: () => {} };
  const input = new InputProcessor(registry.gate('e#0', 0), 1, head, {
    aligned: async () => {}, woken: async () => {}, flush: async () => {}, stopped: () => false,
  }, consumerCounters);
  const cpu0 = process.cpuUsage();
  const consumed = input.run();
  for (let i = 0; i < records; i++) {
    rw.collect(i, i);
    if ((i & 511) === 511) {
      rw.watermark(i);
      await rw.flush();
    }
  }
  rw.end();
  await rw.flush();
  await consumed;
  const cpu = process.cpuUsage(cpu0);
  if (seen !== records) throw new Error(`consumer saw ${seen} of ${records} records`);
  if (metrics && (input.recordsIn !== records || rw.recordsOut !== records)) throw new Error(`counted ${input.recordsIn} in, ${rw.recordsOut} out of ${records}`);
  return (cpu.user + cpu.system) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { records: { type: 'string' }, trials: { type: 'string' } } });
  const records = Number(values.records ?? 2_000_000);
  const trials = Number(values.trials ?? 9);
  await trial(records / 4, true);
  await trial(records / 4, false);
  const on: number[] = [];
  const off: number[] = [];
  for (let t = 0; t < trials; t++) {
    // Alternating which goes first, so neither always runs on a warmer heap.
    if (t % 2 === 0) { on.push(await trial(records, true)); off.push(await trial(records, false)); }
    else { off.push(await trial(records, false)); on.push(await trial(records, true)); }
  }
  const perM = (ms: number) => (ms * 1e6) / records;
  const mOn = perM(median(on));
  const mOff = perM(median(off));
  // Each pair ran back to back: the median of their ratios cancels the machine's slower drifts.
  const pairCost = median(on.map((x, i) => x / off[i]! - 1));
  process.stdout.write(`local channel, ${records} records in batches of 512, ${trials} trials each (median CPU ms per million records):\n`
    + `  metrics on:  ${mOn.toFixed(1)} ms\n  metrics off: ${mOff.toFixed(1)} ms\n  cost: ${(100 * (mOn / mOff - 1)).toFixed(1)}% (medians), ${(100 * pairCost).toFixed(1)}% (median of back-to-back pairs)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
