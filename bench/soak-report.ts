/**
 * The soak benchmark's samples and verdicts. Every verdict compares the run's last quarter with its
 * second quarter (by time; the first quarter is warm-up), on samples outside the settling time after
 * each rescale, and at the same parallelism (the job has one process more at parallelism 2 than at 1,
 * so totals are only comparable at equal parallelism; a parallelism missing from either quarter is
 * left out, and with none in both the verdict is NOT SHOWN).
 */

export interface ProcSample { pid: number; role: 'jobmaster' | 'taskmanager'; rssMb: number; fds: number }

export interface SoakSample {
  /** Seconds since writing started. */
  t: number;
  parallelism: number;
  /** Within the settling time of a rescale: shown, not judged. */
  settling: boolean;
  procs: ProcSample[];
  /** Keys under the bench's prefix (SCAN MATCH <prefix>*). */
  redisKeys: number;
  /** Of them, operation records (`…job:<id>:op:<trigger>`: one per savepoint, stop, rescale; they expire OPERATION_RESULT_TTL_MS after completing). */
  redisOperationKeys: number;
  /** Redis used_memory, MB (the whole server: other users' keys too; for information). */
  redisUsedMb: number | null;
  /** This process (the bench, with the in-process dispatcher), MB. */
  benchRssMb: number;
}

export interface Verdict { name: string; holds: boolean | null; text: string }

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

/** Steady samples of the second and last quarter, grouped by parallelism (only parallelisms present in both). */
export function quarters(samples: SoakSample[]): Map<number, { second: SoakSample[]; last: SoakSample[] }> {
  const out = new Map<number, { second: SoakSample[]; last: SoakSample[] }>();
  if (samples.length === 0) return out;
  const t0 = samples[0]!.t;
  const span = samples[samples.length - 1]!.t - t0;
  const steady = samples.filter((s) => !s.settling && s.procs.length > 0);
  const inQ = (s: SoakSample, a: number, b: number) => s.t - t0 >= a * span && s.t - t0 <= b * span;
  const ps = [...new Set(steady.map((s) => s.parallelism))].sort((a, b) => a - b);
  for (const p of ps) {
    const second = steady.filter((s) => s.parallelism === p && inQ(s, 0.25, 0.5));
    const last = steady.filter((s) => s.parallelism === p && inQ(s, 0.75, 1));
    if (second.length && last.length) out.set(p, { second, last });
  }
  return out;
}

const totalRss = (s: SoakSample) => s.procs.reduce((a, p) => a + p.rssMb, 0);
const totalFds = (s: SoakSample) => s.procs.reduce((a, p) => a + p.fds, 0);

/** Slack of the fd verdict: per process, a state file being written and a connection being opened at the sampled instant. */
export const FD_SLACK_PER_PROCESS = 2;

/** `opsBound`: the most operation records that may be alive at once (operations within their retention time, plus one in flight). */
export function verdicts(samples: SoakSample[], alerts: { ok: boolean; text: string }, opsBound: number): Verdict[] {
  const q = quarters(samples);
  const none = (name: string): Verdict => ({ name, holds: null, text: 'NOT SHOWN: no parallelism has steady samples in both the second and the last quarter (run longer)' });
  if (q.size === 0) return [none('memory flat'), none('no growth in open file descriptors'), none('no growth in Redis keys'), { name: 'alerts exact', holds: alerts.ok, text: `${alerts.ok ? 'HOLDS' : 'MISSED'}: ${alerts.text}` }];
  const mem = [...q].map(([p, { second, last }]) => ({ p, ratio: mean(last.map(totalRss)) / mean(second.map(totalRss)), a: mean(second.map(totalRss)), b: mean(last.map(totalRss)) }));
  const memHolds = mem.every((m) => m.ratio <= 1.05);
  const fds = [...q].map(([p, { second, last }]) => {
    const procs = Math.max(...last.map((s) => s.procs.length));
    return { p, second: Math.max(...second.map(totalFds)), last: Math.max(...last.map(totalFds)), slack: FD_SLACK_PER_PROCESS * procs };
  });
  const fdHolds = fds.every((f) => f.last <= f.second + f.slack);
  // Operation records are the one kind of key that comes and goes by design (kept 5 minutes after
  // each rescale): how many live at a sampled instant depends on where the quarters fall between
  // rescales, so they are judged apart: every other key must not grow, and they must not outnumber
  // the operations of their retention time (at most `opsBound`).
  const other = (s: SoakSample) => s.redisKeys - s.redisOperationKeys;
  const keys = [...q].map(([p, { second, last }]) => ({ p, second: Math.max(...second.map(other)), last: Math.max(...last.map(other)) }));
  const opsMax = Math.max(...samples.map((s) => s.redisOperationKeys));
  const keyHolds = keys.every((k) => k.last <= k.second) && opsMax <= opsBound;
  return [
    {
      name: 'memory flat', holds: memHolds,
      text: `${memHolds ? 'HOLDS' : 'MISSED'} (target: total RSS of the job process and TaskManagers, mean over the last quarter / mean over the second quarter ≤ 1.05 at each parallelism): ` +
        mem.map((m) => `p=${m.p} ${fmt(m.b)} / ${fmt(m.a)} MB = ${fmt(m.ratio, 3)}`).join('; '),
    },
    {
      name: 'no growth in open file descriptors', holds: fdHolds,
      text: `${fdHolds ? 'HOLDS' : 'MISSED'} (judged: the largest total of open fds of the job process and TaskManagers in the last quarter ≤ the largest in the second quarter + ${FD_SLACK_PER_PROCESS} per process, at each parallelism): ` +
        fds.map((f) => `p=${f.p} ${f.last} vs ${f.second} (+${f.slack})`).join('; '),
    },
    {
      name: 'no growth in Redis keys', holds: keyHolds,
      text: `${keyHolds ? 'HOLDS' : 'MISSED'} (judged: the largest number of keys under the bench's prefix other than operation records in the last quarter ≤ the largest in the second quarter, no slack; operation records, which expire 5 minutes after their operation completes, at most ${opsBound} at any sample): ` +
        keys.map((k) => `p=${k.p} ${k.last} vs ${k.second}`).join('; ') + `; operation records at most ${opsMax}`,
    },
    { name: 'alerts exact', holds: alerts.ok, text: `${alerts.ok ? 'HOLDS' : 'MISSED'}: ${alerts.text}` },
  ];
}

/** One row per minute (the sample nearest each whole minute, and the last one). */
export function renderTable(samples: SoakSample[]): string {
  const head = '| t (min) | parallelism | job process RSS MB | TaskManager RSS MB | total RSS MB | fds (job process / TaskManagers) | Redis keys (operation records) | Redis used MB | bench+dispatcher RSS MB |';
  const sep = '|---:|---:|---:|---|---:|---|---:|---:|---:|';
  const picked: SoakSample[] = [];
  const lastT = samples[samples.length - 1]?.t ?? 0;
  const step = lastT > 240 ? 60 : lastT > 60 ? 30 : 10;
  for (let m = 0; m <= lastT; m += step) {
    const s = samples.reduce<SoakSample | undefined>((best, x) => (best === undefined || Math.abs(x.t - m) < Math.abs(best.t - m) ? x : best), undefined);
    if (s && !picked.includes(s)) picked.push(s);
  }
  const end = samples[samples.length - 1];
  if (end && !picked.includes(end)) picked.push(end);
  const rows = picked.map((s) => {
    const jm = s.procs.filter((p) => p.role === 'jobmaster');
    const tms = s.procs.filter((p) => p.role === 'taskmanager');
    return `| ${fmt(s.t / 60, 1)} | ${s.parallelism}${s.settling ? ' (settling)' : ''} | ${jm.map((p) => fmt(p.rssMb, 0)).join(', ') || '—'} | ${tms.map((p) => fmt(p.rssMb, 0)).join(', ') || '—'} | ${fmt(totalRss(s), 0)} | ${jm.map((p) => p.fds).join(', ') || '—'} / ${tms.map((p) => p.fds).join(', ') || '—'} | ${s.redisKeys} (${s.redisOperationKeys}) | ${s.redisUsedMb === null ? 'n/a' : fmt(s.redisUsedMb, 0)} | ${fmt(s.benchRssMb, 0)} |`;
  });
  return [head, sep, ...rows].join('\n');
}
