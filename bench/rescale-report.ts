/** The rescaling benchmark's rows (one per step and method), markdown table, target lines and notes. */
import type { CpuShare, MachineSampler } from './machine.js';
import { alertKeyGroup, arrivalStats, type ArrivalStats } from './rescale-analysis.js';
import type { Method, RescaleOptions } from './rescale-options.js';
import type { Arrival } from './rescale-load.js';
import type { PhaseResult } from './rescale-phase.js';
import type { StepRecord } from './rescale-steps.js';

export interface RescaleRow {
  step: string;
  method: Method;
  /** All alerts: [request, done + after] and the normal-operation window before the request. */
  during: ArrivalStats;
  normal: ArrivalStats;
  /** Alerts of key groups that kept their owner / that moved (in place only). */
  unmoved: ArrivalStats | null;
  moved: ArrivalStats | null;
  /** In place: the product's longest hold of a moved key group's record. Stop-and-resubmit: null. */
  maxHoldMs: number | null;
  /** In place: the rescale checkpoints that moved its key groups (rescale.migration.max-batch-bytes), and the largest batch's bytes. Stop-and-resubmit: null. */
  batches: { count: number; maxBytes: number } | null;
  keyGroups: { moved: number; minimum: number | null; total: number | null; productMinimum: number | null };
  bytes: { moved: number | null; minimum: number | null; productMinimum: number | null; total: number | null; productMoved: number | null };
  checkpointBytesBefore: number | null;
  taskManagers: { before: number; after: number; releasedExitedMs: number | null; releasedExitedAfterDoneMs: number | null };
  stepMs: number;
  /** Cores busy during the step's interval and the normal window: the machine, this run's processes, Redis, the rest. */
  cpu: { during: CpuShare; normal: CpuShare } | null;
  /** Alert arrivals from the normal-operation window to the end of the step's: [ms after the request, alerts, of them in key groups that moved, max latency ms], one per read. */
  arrivals: Array<[number, number, number, number]>;
  record: Omit<StepRecord, 'picture'> & { picture: null | { checkpointId: number; checkpointDir: string } };
}

export function rowsOf(phase: PhaseResult, o: RescaleOptions, machine?: MachineSampler): RescaleRow[] {
  const K = phase.steps.find((s) => s.picture)?.picture?.maxParallelism ?? 128;
  const kgOf = new Map<Arrival, number>();
  for (const a of phase.arrivals) kgOf.set(a, alertKeyGroup(a.alert, K));
  return phase.steps.map((s) => {
    const end = (s.tFirstAlertAfter ?? s.tDone) + o.afterSeconds * 1000;
    const from = s.tRequest;
    const ooo = o.maxOutOfOrdernessMs;
    const moved = new Set(s.moved);
    const inPlace = s.method === 'in-place' && s.picture !== null;
    const op = s.operation;
    return {
      step: `${s.from}→${s.to}`,
      method: s.method,
      during: arrivalStats(phase.arrivals, from, end, ooo),
      normal: arrivalStats(phase.arrivals, from - o.steadySeconds * 1000, from - 1, ooo),
      unmoved: inPlace ? arrivalStats(phase.arrivals, from, end, ooo, (a) => !moved.has(kgOf.get(a)!)) : null,
      moved: inPlace ? arrivalStats(phase.arrivals, from, end, ooo, (a) => moved.has(kgOf.get(a)!)) : null,
      maxHoldMs: op ? op.maxHoldMs : null,
      batches: op ? { count: op.batches?.length ?? 1, maxBytes: Math.max(0, ...(op.batches ?? []).map((b) => b.stateBytes)) } : null,
      keyGroups: { moved: op ? op.keyGroups.moved : s.moved.length, minimum: s.minimum?.keyGroups ?? null, total: s.picture?.maxParallelism ?? op?.keyGroups.total ?? null, productMinimum: op?.keyGroups.minimum ?? null },
      bytes: {
        moved: op ? op.stateBytes.moved : s.movedBytes, productMoved: op?.stateBytes.moved ?? null, minimum: s.minimum?.bytes ?? null,
        productMinimum: op?.stateBytes.minimum ?? null, total: s.picture?.totalBytes ?? op?.stateBytes.total ?? null,
      },
      checkpointBytesBefore: s.checkpointBytesBefore,
      taskManagers: { before: s.taskManagersBefore.length, after: s.taskManagersAfter.length, releasedExitedMs: s.releasedExitedMs, releasedExitedAfterDoneMs: s.releasedExitedAfterDoneMs },
      stepMs: s.tDone - s.tRequest,
      cpu: machine ? { during: machine.share(from, end), normal: machine.share(from - o.steadySeconds * 1000, from) } : null,
      arrivals: batches(phase.arrivals, from - o.steadySeconds * 1000, end, from, ooo, (a) => moved.has(kgOf.get(a)!)),
      record: { ...s, picture: s.picture ? { checkpointId: s.picture.checkpointId, checkpointDir: s.picture.checkpointDir } : null },
    };
  });
}

/** Arrivals in [from, to] grouped by read time. */
function batches(arrivals: Arrival[], from: number, to: number, t0: number, ooo: number, isMoved: (a: Arrival) => boolean): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  for (const a of arrivals) {
    if (a.t < from || a.t > to) continue;
    const lat = a.t - (a.alert.windowEnd + ooo);
    const last = out[out.length - 1];
    if (last && last[0] === a.t - t0) { last[1]++; last[2] += isMoved(a) ? 1 : 0; last[3] = Math.max(last[3], lat); } else out.push([a.t - t0, 1, isMoved(a) ? 1 : 0, lat]);
  }
  return out;
}

const ok = (n: number | null | undefined) => n !== null && n !== undefined && Number.isFinite(n);
const sec = (ms: number | null | undefined, d = 2) => (ok(ms) ? (ms! / 1000).toFixed(d) : 'n/a');
const int = (n: number | null | undefined) => (ok(n) ? Math.round(n!).toLocaleString('en-US') : 'n/a');
const mb = (b: number | null | undefined) => (ok(b) ? (b! / 1e6).toFixed(1) : 'n/a');

export function renderTable(rows: RescaleRow[]): string {
  const head = '| step | method | output gap s (normal) | gap of key groups that did not move / moved, s | longest hold of a moved key group, ms | batches (largest, MB) | p99 latency ms (normal) | key groups moved / minimum / total | MB moved / minimum / total | TaskManagers before→after | released TaskManagers exited, s after request | step took s |';
  const sep = '|---|---|---:|---:|---:|---:|---:|---:|---:|:---:|---:|---:|';
  const lines = rows.map((r) => {
    const hold = r.maxHoldMs !== null ? int(r.maxHoldMs) : `all, ≥ ${int(r.stepMs)}`;
    const split = r.unmoved && r.moved ? `${sec(r.unmoved.gap.ms)} / ${sec(r.moved.gap.ms)}` : '— / all';
    const kgs = r.method === 'in-place' ? `${int(r.keyGroups.moved)} / ${int(r.keyGroups.minimum)} / ${int(r.keyGroups.total)}` : `${int(r.keyGroups.moved)} (all) / ${int(r.keyGroups.minimum)} / ${int(r.keyGroups.total)}`;
    const exited = r.taskManagers.releasedExitedMs === null ? '— (none released)' : sec(r.taskManagers.releasedExitedMs);
    const batches = r.batches ? `${r.batches.count} (${mb(r.batches.maxBytes)})` : '—';
    return `| ${r.step} | ${r.method} | ${sec(r.during.gap.ms)} (${sec(r.normal.gap.ms)}) | ${split} | ${hold} | ${batches} | ${int(r.during.p99)} (${int(r.normal.p99)}) | ${kgs} | ${mb(r.bytes.moved)} / ${mb(r.bytes.minimum)} / ${mb(r.bytes.total)} | ${r.taskManagers.before}→${r.taskManagers.after} | ${exited} | ${sec(r.stepMs)} |`;
  });
  return [head, sep, ...lines].join('\n');
}

export interface Target { name: string; holds: boolean | null; detail: string }

export function targets(rows: RescaleRow[]): Target[] {
  const inPlace = rows.filter((r) => r.method === 'in-place');
  const sr = rows.filter((r) => r.method === 'stop-resubmit');
  const out: Target[] = [];
  const all = (xs: boolean[]) => (xs.length ? xs.every(Boolean) : null);
  const holds = inPlace.map((r) => r.maxHoldMs ?? NaN);
  out.push({ name: 'longest hold of a moved key group ≤ 200 ms (issue 18, fluid rescaling)', holds: all(holds.map((h) => h <= 200)),
    detail: `per step: ${inPlace.map((r) => `${r.step} ${int(r.maxHoldMs)} ms in ${r.batches?.count ?? 1} batch(es), rescale took ${sec(r.stepMs)} s`).join(', ')}` });
  out.push({ name: 'pause of a moved key group < 0.5 s', holds: all(holds.map((h) => h < 500)), detail: `longest hold per step: ${inPlace.map((r) => `${r.step} ${int(r.maxHoldMs)} ms`).join(', ')}` });
  // A key group that did not move pauses if its alerts stop for longer than all alerts do in normal operation.
  const extra = inPlace.map((r) => (r.unmoved ? r.unmoved.gap.ms - r.normal.gap.ms : NaN));
  out.push({ name: 'no pause at all for key groups that did not move', holds: all(extra.map((e) => e <= 0)),
    detail: `their longest output gap beyond normal operation's, per step: ${inPlace.map((r, i) => `${r.step} ${extra[i]! <= 0 ? 'none' : `+${int(extra[i])} ms`}`).join(', ')}` });
  const ratio = inPlace.map((r) => (ok(r.bytes.moved) && ok(r.bytes.minimum) && r.bytes.minimum! > 0 ? r.bytes.moved! / r.bytes.minimum! : NaN));
  out.push({ name: 'bytes moved within 10 % of the minimum', holds: all(ratio.map((x) => x <= 1.1)),
    detail: `moved / minimum per step: ${inPlace.map((r, i) => `${r.step} ${ok(ratio[i]) ? ratio[i]!.toFixed(3) : 'n/a'}`).join(', ')} (minimum: balanced result, survivors keep their heaviest key groups, from the rescale checkpoint's per-key-group sizes; ` +
      `against the product's own estimate, total × minimum key groups / K: ${inPlace.map((r) => `${r.step} ${ok(r.bytes.productMinimum) && r.bytes.productMinimum! > 0 ? (r.bytes.moved! / r.bytes.productMinimum!).toFixed(3) : 'n/a'}`).join(', ')})` });
  const gaps = inPlace.map((r) => {
    const s = sr.find((x) => x.step === r.step);
    return s ? s.during.gap.ms / r.during.gap.ms : NaN;
  });
  // For information: what each gap adds to its own normal cadence.
  const beyond = (r: RescaleRow | undefined) => (r ? `${r.during.gap.ms - r.normal.gap.ms >= 0 ? '+' : '−'}${sec(Math.abs(r.during.gap.ms - r.normal.gap.ms), 1)} s` : 'n/a');
  out.push({ name: 'at least 5× shorter gap than stop-and-resubmit', holds: sr.length ? all(gaps.map((g) => g >= 5)) : null,
    detail: sr.length ? `stop-and-resubmit gap / in-place gap per step: ${inPlace.map((r, i) => `${r.step} ${ok(gaps[i]) ? `${gaps[i]!.toFixed(1)}×` : 'n/a'}`).join(', ')}; ` +
      `for information, each gap beyond its own normal one (in place / stop-and-resubmit): ${inPlace.map((r) => `${r.step} ${beyond(r)} / ${beyond(sr.find((x) => x.step === r.step))}`).join(', ')}` : 'not measured (no stop-and-resubmit run)' });
  // Issue 18's form: each method's gap counted beyond its own normal cadence. An in-place gap no
  // longer than its normal one adds nothing, so any stop-and-resubmit gap beyond normal is ≥ 10× it.
  const beyondMs = (r: RescaleRow) => r.during.gap.ms - r.normal.gap.ms;
  const tenfold = inPlace.map((r) => {
    const s = sr.find((x) => x.step === r.step);
    if (!s) return { ok: false, text: `${r.step} n/a` };
    const ip = Math.max(0, beyondMs(r));
    const st = beyondMs(s);
    if (ip === 0) return { ok: st > 0, text: `${r.step} in place none beyond normal, stop-and-resubmit +${sec(Math.max(0, st), 1)} s` };
    return { ok: st / ip >= 10, text: `${r.step} ${(st / ip).toFixed(1)}× (+${int(ip)} ms / +${sec(st, 1)} s)` };
  });
  out.push({ name: 'in-place gap beyond its normal cadence ≥ 10× shorter than stop-and-resubmit\'s beyond its own (issue 18)', holds: sr.length ? all(tenfold.map((t) => t.ok)) : null,
    detail: sr.length ? `per step: ${tenfold.map((t) => t.text).join(', ')}` : 'not measured (no stop-and-resubmit run)' });
  return out;
}

export function targetLines(ts: Target[]): string {
  return ts.map((t) => `* Target "${t.name}": ${t.holds === null ? 'not measured' : t.holds ? 'MET' : 'MISSED'} — ${t.detail}.`).join('\n');
}

const cores = (c: CpuShare) => `${c.machine.toFixed(2)} (this run ${c.ours.toFixed(2)}, Redis ${c.redis.toFixed(2)}, other processes ${c.other.toFixed(2)})`;

/** Busy cores per step: machine (other processes) during the step's interval. */
export function cpuLine(rows: RescaleRow[]): string {
  const per = rows.filter((r) => r.cpu).map((r) => `${r.step} ${r.method} ${r.cpu!.during.machine.toFixed(1)} (${r.cpu!.during.other.toFixed(1)})`);
  return per.length ? `* Busy cores of the machine during each step's interval (of them, other processes than this run's and Redis): ${per.join(', ')}.` : '';
}

export function phaseLines(phases: PhaseResult[], machine?: MachineSampler): string {
  return phases.map((p) => {
    const cpu = machine ? ` Busy cores on average: ${cores(machine.share(p.tStart, p.tEnd))}.` : '';
    const cp = p.checkpoints && p.checkpoints.count > 0 ? `checkpoints ${int(p.checkpoints.avgMs)} ms avg / ${int(p.checkpoints.maxMs)} ms max over ${p.checkpoints.count}, up to ${mb(p.checkpoints.maxStateBytes)} MB` : 'no checkpoint statistics';
    return `* ${p.method}: state ${mb(p.warmup.stateBytes)} MB before the first step (after ${p.warmup.seconds.toFixed(0)} s); wrote ${int(p.writer.written)} transactions at ${int(p.writer.rate)}/s; ` +
      `${int(p.alerts)} alerts, ${p.alertsOk ? 'identical to the reference' : `WRONG: ${p.alertsCheck}`}, ${p.duplicates} duplicate(s); ${cp}; ` +
      `${p.exceptions.length ? `exceptions/restarts: ${p.exceptions.join('; ')}` : 'no restarts or exceptions'}.${cpu}`;
  }).join('\n');
}

export function notes(o: RescaleOptions, cores: number): string {
  return [
    `* Workload: the fraud-detection job over ${o.streams} streams, ${o.rate} transactions/s written live (event time = wall clock, ≤ 2 s disorder) between ${o.accounts.toLocaleString('en-US')} accounts, ${o.windowMs} ms tumbling windows per (from, to), alert when a window's sum > $${o.threshold}, max out-of-orderness ${o.maxOutOfOrdernessMs / 1000} s. Windows stay open until the watermark (newest event time − out-of-orderness) passes their end, so the keyed window state holds about ${(o.maxOutOfOrdernessMs / 1000).toFixed(0)} s of pairs while a window fires, and alerts are published, every second.`,
    `* Output gap: the longest time between two consecutive alert arrivals (XREAD on the output stream) from the last one before the request to ${o.afterSeconds} s after the first alert that followed the end of the step (in place: the rescale request COMPLETED; stop-and-resubmit: the resubmitted job RUNNING). In parentheses the same over the ${o.steadySeconds} s before the request: the normal cadence, set by exactly-once output (alerts become visible when the checkpoint after their window fired completes; interval ${o.checkpointIntervalMs ?? 1000} ms, a checkpoint that overruns it delays the next one to the following tick).`,
    '* Longest hold of a moved key group: the product\'s statistic maxHoldMs (a gained key group\'s records are held from the rescale barrier until its state is loaded), over all batches. Stop-and-resubmit holds every key group from the stop request at least until the new job runs (the step time).',
    `* Batches: the rescale checkpoints the moves took (rescale.migration.max-batch-bytes ${o.maxBatchBytes ?? 'at the product\'s default'}; each batch moves at most that much state by the sizes of the latest checkpoint) and the most state one batch loaded. "Step took" is the whole rescale, request to COMPLETED.`,
    '* Gap of key groups that did not move / moved (in place): the same gap over only the alerts whose key group kept its owner / changed owner (owners before and after from the rescale checkpoint\'s _metadata; key group = murmur3 of from NUL to, as the job keys). "No pause" for a key group that did not move means its alerts never stopped for longer than all alerts do in normal operation. Stop-and-resubmit moves every key group.',
    `* Latency of an alert: time read − (window end + max out-of-orderness), i.e. after the earliest moment it could be known; p99 over the alerts read in the same interval as the gap (normal operation in parentheses). It includes the wait for the checkpoint that publishes it.`,
    '* Moved / minimum / total: in place, the product\'s count of key groups that changed owner and bytes it loaded; the minimum is computed by the benchmark from the rescale checkpoint\'s metadata (per-key-group sizes): a balanced result (⌊K/n⌋ or ⌈K/n⌉ key groups per subtask) in which surviving subtasks keep as much as they can, by bytes their heaviest key groups. Stop-and-resubmit reloads every key group of the savepoint in new processes (moved = total), the minimum computed from the savepoint the same way.',
    '* TaskManagers: processes of the job (GET /taskmanagers) before the request and after the step; released ones exited: until the last TaskManager no longer needed (in place: released by the rescale; stop-and-resubmit: every TaskManager of the stopped job) was gone from /proc, after the request.',
    `* One machine with ${cores} cores runs Redis, the dispatcher and this benchmark (same process), the job process and every TaskManager.`,
  ].join('\n');
}
