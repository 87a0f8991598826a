/**
 * The CLI's read-only commands: jobs, jars, exceptions, metrics, rescales (each a table for people
 * or, with --json, the REST answer as it came) and logs (the text as it came).
 */
import { CliError } from './errors.js';
import type { RestClient } from './rest-client.js';
import { resolveVertex } from './scale.js';

const iso = (ms: number) => new Date(ms).toISOString();
const printJson = (v: unknown) => console.log(JSON.stringify(v, null, 2));

export async function jobs(c: RestClient, o: { json?: boolean }): Promise<void> {
  const overview = await c.jobsOverview();
  if (o.json) return printJson(overview.jobs);
  if (overview.jobs.length === 0) { console.log('no jobs'); return; }
  for (const j of overview.jobs) console.log(`${j.jid}  ${j.state.padEnd(12)} ${iso(j['start-time'])}  ${j.name}`);
}

export async function jars(c: RestClient, o: { json?: boolean }): Promise<void> {
  const { files } = await c.jars();
  if (o.json) return printJson(files);
  if (files.length === 0) { console.log('no jars'); return; }
  for (const f of files) console.log(`${f.id}  ${iso(f.uploaded)}  ${f.name}${f.entry.length ? `  (entries: ${f.entry.map((e) => e.name).join(', ')})` : ''}`);
}

export async function exceptions(c: RestClient, jobId: string, o: { json?: boolean }): Promise<void> {
  const { exceptionHistory } = await c.exceptions(jobId);
  if (o.json) return printJson(exceptionHistory.entries);
  if (exceptionHistory.entries.length === 0) { console.log(`no exceptions in job ${jobId}`); return; }
  for (const e of exceptionHistory.entries) {
    const where = [e.taskName, e.location].filter(Boolean).join(' @ ');
    console.log(`${iso(e.timestamp)}  ${e.exceptionName}${where ? `  (${where})` : ''}`);
    for (const line of e.stacktrace.split('\n')) console.log(`    ${line}`);
  }
}

const AGGREGATES = ['min', 'max', 'avg', 'sum'] as const;

/** Job metrics, or one vertex's subtask metrics aggregated; `get` narrows the names (all by default). */
export async function metrics(c: RestClient, jobId: string, o: { vertex?: string; get?: string; json?: boolean }): Promise<void> {
  const wanted = o.get?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!o.vertex) {
    const names = wanted ?? (await c.jobMetrics(jobId)).map((m) => m.id);
    const values = names.length ? await c.jobMetrics(jobId, names) : [];
    if (o.json) return printJson(values);
    if (values.length === 0) { console.log(`no metrics for job ${jobId} yet`); return; }
    const width = Math.max(...values.map((m) => m.id.length));
    for (const m of values) console.log(`${m.id.padEnd(width)}  ${m.value ?? ''}`);
    return;
  }
  const vertexId = await resolveVertex(c, jobId, o.vertex, []);
  const names = wanted ?? (await c.subtaskMetrics(jobId, vertexId)).map((m) => m.id);
  const values = names.length ? await c.subtaskMetrics(jobId, vertexId, names, [...AGGREGATES]) : [];
  if (o.json) return printJson(values);
  if (values.length === 0) { console.log(`no metrics for vertex ${vertexId} of job ${jobId} yet`); return; }
  const width = Math.max(6, ...values.map((m) => m.id.length));
  console.log(`${'metric'.padEnd(width)}  ${AGGREGATES.map((a) => a.padStart(14)).join('')}`);
  for (const m of values) console.log(`${m.id.padEnd(width)}  ${AGGREGATES.map((a) => String(m[a] ?? '').padStart(14)).join('')}`);
}

/** The job's rescale history, newest first. */
export async function rescales(c: RestClient, jobId: string, o: { json?: boolean }): Promise<void> {
  const history = await c.rescaleHistory(jobId);
  if (o.json) return printJson(history);
  if (history.length === 0) { console.log(`no rescales of job ${jobId} recorded`); return; }
  for (const r of history) {
    const took = r.durationInMillis === null ? 'in progress' : `${r.durationInMillis} ms`;
    const vertices = Object.values(r.vertices).map((v) => `${v.jobVertexName} ${v.preRescaleParallelism}→${v.postRescaleParallelism ?? v.desiredParallelism}`).join(', ');
    console.log(`${iso(r.startTimestampInMillis)}  ${r.status.padEnd(11)} ${r.trigger.padEnd(12)} ${took.padStart(11)}  ${vertices}  (${r.rescaleUuid})`);
    const s = r.statistics;
    if (s && !s.noop) {
      const tms = r.taskManagers ? `; TaskManagers +${r.taskManagers.added.length} −${r.taskManagers.released.length}` : '';
      console.log(`    key groups moved ${s.keyGroups.moved} (minimum ${s.keyGroups.minimum}), state bytes ${s.stateBytes.moved} (minimum ${s.stateBytes.minimum}), longest hold ${s.maxHoldMs} ms; subtasks ${s.subtasks.kept} kept, ${s.subtasks.added} added, ${s.subtasks.retired} retired${tms}`);
    }
    if (r.failureCause) console.log(`    failed: ${r.failureCause.split('\n')[0]}`);
  }
}

/**
 * The job process's log, or a TaskManager's: `taskManager` is its id, or its number among the
 * job's TaskManagers (1 = the first by id).
 */
export async function logs(c: RestClient, jobId: string, o: { taskmanager?: string; lines?: number }): Promise<void> {
  if (o.taskmanager === undefined) { process.stdout.write(await c.jobManagerLog(jobId, o.lines)); return; }
  const mine = (await c.taskManagers()).taskmanagers.filter((t) => t.jobId === jobId).map((t) => t.id).sort();
  let tm = mine.find((t) => t === o.taskmanager);
  if (!tm && /^\d+$/.test(o.taskmanager)) tm = mine[Number(o.taskmanager) - 1];
  if (!tm) throw new CliError(`job ${jobId} has no TaskManager "${o.taskmanager}"; its TaskManagers: ${mine.map((t, i) => `${i + 1} = ${t}`).join(', ') || 'none (it does not run)'}`);
  process.stdout.write(await c.taskManagerLog(tm, o.lines));
}
