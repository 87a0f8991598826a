/**
 * Keyed process functions and sliding windows in a real job at parallelism 2:
 * a bounded bundle counts per key in value state, lists the timestamps in list
 * state and emits from event-time timers; a second pipeline sums over sliding
 * windows. The bounded sources end with a +∞ watermark, so every timer and
 * window fires before the job FINISHES; the files are compared with values
 * computed here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestDispatcher, upload, type TestDispatcher } from '../helpers/dispatcher.js';
import { runJar, waitForState } from '../helpers/fraud.js';

interface Rec { k: string; v: number; ts: number }

// Keys repeat every 4 records and timestamps every 20, so records i and i+20 share key and timestamp
// (a timer registered twice fires once).
const DATA: Rec[] = Array.from({ length: 80 }, (_, i) => ({ k: `k${i % 4}`, v: i, ts: ((i * 7) % 20) * 50 }));

const BUNDLE = `export default function (env, args) {
  const data = ${JSON.stringify(DATA)};
  env.fromElements(data, { timestamp: (r) => r.ts, name: 'Counted' })
    .keyBy((r) => r.k)
    .process({
      processElement(r, ctx) {
        const count = ctx.state.value('count');
        count.set((count.get() ?? 0) + 1);
        ctx.state.list('seen').add(ctx.timestamp);
        ctx.timers.registerEventTimeTimer(ctx.timestamp + 100);
      },
      onTimer(ts, ctx) {
        const upTo = ctx.state.list('seen').get().filter((t) => t <= ts - 100).length;
        ctx.emit({ key: ctx.key, count: ctx.state.value('count').get(), timer: ts, upTo });
      },
    }, 'Count per key')
    .sinkTo(env.fileSink(args[0]));
  env.fromElements(data, { timestamp: (r) => r.ts, name: 'Summed' })
    .keyBy((r) => r.k)
    .window(env.windows.sliding(300, 100))
    .aggregate({ createAccumulator: () => 0, add: (a, r) => a + r.v, getResult: (a) => a }, (key, w, sum) => ({ key, start: w.start, end: w.end, sum }))
    .sinkTo(env.fileSink(args[1]));
}
`;

interface TimerLine { key: string; count: number; timer: number; upTo: number }
interface WindowLine { key: string; start: number; end: number; sum: number }

function expectedTimers(): TimerLine[] {
  const out: TimerLine[] = [];
  for (const key of new Set(DATA.map((r) => r.k))) {
    const mine = DATA.filter((r) => r.k === key);
    for (const timer of [...new Set(mine.map((r) => r.ts + 100))].sort((a, b) => a - b)) {
      out.push({ key, count: mine.length, timer, upTo: mine.filter((r) => r.ts <= timer - 100).length });
    }
  }
  return out;
}

function expectedWindows(size: number, slide: number): WindowLine[] {
  const sums = new Map<string, WindowLine>();
  for (const r of DATA) {
    for (let start = Math.floor(r.ts / slide) * slide; start > r.ts - size; start -= slide) {
      const id = `${r.k}|${start}`;
      const w = sums.get(id) ?? { key: r.k, start, end: start + size, sum: 0 };
      w.sum += r.v;
      sums.set(id, w);
    }
  }
  return [...sums.values()];
}

const lines = <T>(f: string): T[] => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T) : []);
const sorted = <T>(xs: T[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

let d: TestDispatcher;
beforeAll(async () => { d = await startTestDispatcher(); });
afterAll(async () => { await d?.close(); });

describe('keyed state and sliding windows in a job', () => {
  it('fires every timer and sliding window once, with per-key state, at parallelism 2', async () => {
    const timersOut = join(d.dataDir, 'out', 'timers.jsonl');
    const windowsOut = join(d.dataDir, 'out', 'windows.jsonl');
    const up = await upload(d.url, 'keyed-state.mjs', BUNDLE);
    expect(up.status).toBe(200);
    const jar = (await json(up)).filename as string;
    const run = await runJar(d, jar, { parallelism: 2, programArgsList: [timersOut, windowsOut] });
    expect(run.status).toBe(200);
    const job = await waitForState(d, run.body.jobid, 'FINISHED', 60_000);
    expect(job.plan.nodes.map((n: { description: string; parallelism: number }) => [n.description, n.parallelism])).toEqual([
      ['Counted', 2], ['Count per key -> File Sink', 2], ['Summed', 2], ['Window(Sliding 300ms/100ms, Aggregate) -> File Sink', 2],
    ]);

    const timers = lines<TimerLine>(timersOut);
    expect(sorted(timers)).toEqual(sorted(expectedTimers()));
    // One key lives in one subtask, which fires its timers in timestamp order (the file interleaves subtasks, not keys).
    for (const key of new Set(DATA.map((r) => r.k))) {
      const ts = timers.filter((t) => t.key === key).map((t) => t.timer);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
    }

    const windows = lines<WindowLine>(windowsOut);
    expect(windows.length).toBe(expectedWindows(300, 100).length);
    expect(sorted(windows)).toEqual(sorted(expectedWindows(300, 100)));
  });
});
