/**
 * `ebbflow scale`: asks the dispatcher to rescale a job, either every vertex
 * (PATCH /jobs/:id/rescaling) or one vertex's bounds (GET, change, PUT
 * /jobs/:id/resource-requirements), then follows the request until the job
 * process has applied it or failed to.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RescaleResult } from '../rest/index.js';
import { CliError } from './errors.js';
import type { OperationStatus, RestClient } from './rest-client.js';


export interface ScaleOptions {
  vertex?: string;
  min?: number;
  max?: number;
  /** false with --no-wait */
  wait: boolean;
  pollMs?: number;
}

type Target = { kind: 'job'; parallelism: number } | { kind: 'vertex'; vertex: string; min?: number; max?: number };

function target(parallelism: number | undefined, o: ScaleOptions): Target {
  const bounds = o.min !== undefined || o.max !== undefined;
  if (parallelism !== undefined && (o.vertex !== undefined || bounds)) {
    throw new CliError('give either a parallelism for the whole job or --vertex with --min/--max, not both');
  }
  if (parallelism !== undefined) return { kind: 'job', parallelism };
  if (o.vertex === undefined) {
    throw new CliError(bounds ? '--min and --max need --vertex <id>' : 'give the new parallelism (ebbflow scale <jobid> <n>) or --vertex <id> --min <n> --max <n>');
  }
  if (!bounds) throw new CliError(`--vertex ${o.vertex} needs --min and/or --max`);
  if (o.min !== undefined && o.max !== undefined && o.min > o.max) throw new CliError(`--min ${o.min} is greater than --max ${o.max}`);
  return { kind: 'vertex', vertex: o.vertex, min: o.min, max: o.max };
}

/** The vertex id for `ref`, a vertex id or a vertex name of the job. */
export async function resolveVertex(c: RestClient, jobId: string, ref: string, known: string[]): Promise<string> {
  if (known.includes(ref)) return ref;
  const { vertices } = await c.job(jobId);
  if (vertices.some((v) => v.id === ref)) return ref;
  const named = vertices.filter((v) => v.name === ref);
  if (named.length === 1) return named[0]!.id;
  const list = vertices.map((v) => `${v.id} (${v.name})`).join(', ') || 'none yet';
  throw new CliError(named.length > 1 ? `several vertices of job ${jobId} are named "${ref}"; use an id: ${list}` : `job ${jobId} has no vertex "${ref}"; its vertices: ${list}`);
}

/** Sends the request; returns its id and a description of what was asked. */
async function request(c: RestClient, jobId: string, t: Target): Promise<[string, string]> {
  if (t.kind === 'job') return [(await c.rescale(jobId, t.parallelism))['request-id'], `to parallelism ${t.parallelism}`];
  const requirements = await c.resourceRequirements(jobId);
  const id = await resolveVertex(c, jobId, t.vertex, Object.keys(requirements));
  const current = requirements[id]!.parallelism;
  const lowerBound = t.min ?? current.lowerBound;
  const upperBound = t.max ?? current.upperBound;
  if (lowerBound > upperBound) throw new CliError(`vertex ${id} would get lowerBound ${lowerBound} > upperBound ${upperBound}; give both --min and --max`);
  const res = await c.setResourceRequirements(jobId, { ...requirements, [id]: { parallelism: { lowerBound, upperBound } } });
  return [res['request-id'], `vertex ${id} to parallelism ${lowerBound}..${upperBound}`];
}

/** "k=v, k=v" with nested values as JSON. */
export function formatResult(result: Record<string, unknown>): string {
  const parts = Object.entries(result).map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`);
  return parts.length ? parts.join(', ') : 'done';
}

const kib = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`);

const isRescaleStats = (r: Record<string, unknown>): r is Record<string, unknown> & RescaleResult =>
  typeof r.noop === 'boolean' && typeof r.parallelism === 'object' && typeof r.keyGroups === 'object';

/** The job process's rescale statistics for people: what changed, what moved, how long it held records. */
export function formatRescale(jobId: string, r: Record<string, unknown>, names: Map<string, string>): string {
  if (!isRescaleStats(r)) return `rescaled job ${jobId}: ${formatResult(r)}`;
  if (r.noop) return `job ${jobId} already runs at that parallelism; nothing changed`;
  const lines = [`rescaled job ${jobId} in ${r.durationMs} ms at checkpoint ${r.checkpointId}:`];
  for (const [id, after] of Object.entries(r.parallelism.after)) lines.push(`  ${names.get(id) ?? id}: ${r.parallelism.before[id]} → ${after}`);
  const moved: string[] = [];
  if (r.keyGroups.total) moved.push(`${r.keyGroups.moved} of ${r.keyGroups.total} key groups moved (minimum ${r.keyGroups.minimum}), ${kib(r.stateBytes.moved)} of ${kib(r.stateBytes.total)} state`);
  if (r.streamsMoved) moved.push(`${r.streamsMoved} source stream(s) moved`);
  if (moved.length) lines.push(`  ${moved.join(', ')}`);
  if (r.heldRecords) lines.push(`  records of moved key groups held back at most ${r.maxHoldMs} ms (${r.heldRecords} records)`);
  lines.push(`  subtasks: ${r.subtasks.kept} kept running, ${r.subtasks.added} added, ${r.subtasks.retired} retired`);
  return lines.join('\n');
}

/** Runs `ebbflow scale`; resolves with the exit status. */
export async function scale(c: RestClient, jobId: string, parallelism: number | undefined, o: ScaleOptions): Promise<number> {
  const [requestId, what] = await request(c, jobId, target(parallelism, o));
  if (!o.wait) {
    console.log(requestId);
    return 0;
  }
  console.log(`rescaling job ${jobId} ${what} (request ${requestId}); waiting for the job to apply it…`);
  let status: OperationStatus;
  let phase = '';
  for (;;) {
    status = await c.rescalingStatus(jobId, requestId);
    if (status.status.id === 'COMPLETED') break;
    // Progress lines only for a person watching; scripts get the outcome alone.
    if (process.stdout.isTTY && status.progress && status.progress.phase !== phase) console.log(`  … ${(phase = status.progress.phase)}`);
    await sleep(o.pollMs ?? 500);
  }
  const op = status.operation ?? {};
  const failure = op['failure-cause'];
  if (failure) {
    console.error(`rescaling job ${jobId} failed: ${failure['stack-trace']}`);
    return 1;
  }
  // Vertex names only label the statistics: when the job cannot be read now, the ids label them.
  const unnamed = (): { vertices: Array<{ id: string; name: string }> } => ({ vertices: [] });
  const names = new Map((await c.job(jobId).catch(unnamed)).vertices.map((v) => [v.id, v.name] as [string, string]));
  console.log(formatRescale(jobId, op, names));
  return 0;
}
