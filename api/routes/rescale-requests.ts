/**
 * Checks of rescaling requests against the job record, before anything is
 * queued: which states take a request, the parallelism of a PATCH, the
 * per-vertex bounds of a resource-requirements PUT (Flink FLIP-291), and the
 * requirements in force for a GET.
 */
import { compileJobConfig } from '../../jobmaster/job-config.js';
import type { JobRecord, JobState, ResourceRequirements } from '../../metadata/index.js';
import { defaultMaxParallelism, UPPER_BOUND_MAX_PARALLELISM } from '../../state/key-groups.js';
import { badRequest, conflict } from '../errors.js';

/** States in which the job process can still take up a rescale (it applies it when it can). */
export const RESCALABLE_STATES: readonly JobState[] = ['INITIALIZING', 'CREATED', 'RUNNING', 'RESTARTING'];

export function checkRescalable(rec: JobRecord): void {
  if (!RESCALABLE_STATES.includes(rec.state)) {
    throw conflict(`Job ${rec.id} is ${rec.state}; only a job that is ${RESCALABLE_STATES.join(', ')} can be rescaled`);
  }
}

/** The job's max parallelism (key groups); before planning, what planning will choose (undefined if a savepoint decides). */
function jobMaxParallelism(rec: JobRecord): number | undefined {
  if (rec.maxParallelism > 0) return rec.maxParallelism;
  let configured: number | undefined;
  try { configured = compileJobConfig(rec.configuration).maxParallelism; } catch { /* validated at submission */ }
  if (configured !== undefined) return configured;
  return rec.savepointPath ? undefined : defaultMaxParallelism(rec.parallelism);
}

/** Parallelism `n` needs ⌈n ÷ slots⌉ TaskManagers; more than the per-job limit is refused. */
export function checkTaskManagerLimit(n: number, slots: number, max: number): void {
  const tms = Math.ceil(n / slots);
  if (tms > max) throw badRequest(`parallelism ${n} needs ${tms} TaskManagers (${slots} slot(s) each); a job may have at most ${max} (EBBFLOW_MAX_TASKMANAGERS_PER_JOB), so parallelism ${max * slots} at most`);
}

/** The `parallelism` query parameter of PATCH /jobs/:jobid/rescaling. */
export function parseRescaleParallelism(raw: unknown, rec: JobRecord, taskManagerLimit?: { max: number; slots: number }): number {
  if (raw === undefined || raw === '') throw badRequest('the query parameter "parallelism" is missing: PATCH /jobs/<jobid>/rescaling?parallelism=<n>');
  if (typeof raw !== 'string' || !/^[+-]?\d+$/.test(raw.trim())) throw badRequest(`parallelism must be an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < 1) throw badRequest(`parallelism must be at least 1, got ${n}`);
  const limit = jobMaxParallelism(rec) ?? UPPER_BOUND_MAX_PARALLELISM;
  if (n > limit) throw badRequest(`parallelism ${n} exceeds the job's max parallelism ${limit} (its number of key groups)`);
  if (taskManagerLimit) checkTaskManagerLimit(n, taskManagerLimit.slots, taskManagerLimit.max);
  return n;
}

/** The bounds in force: the job process's record, else [1, current parallelism] for every vertex (Flink's initial GET). */
export function currentRequirements(rec: JobRecord): ResourceRequirements {
  const derived: ResourceRequirements = {};
  for (const v of rec.vertices) derived[v.id] = { parallelism: { lowerBound: 1, upperBound: v.parallelism } };
  return { ...derived, ...rec.resourceRequirements };
}

const SHAPE = '{"parallelism":{"lowerBound":<n>,"upperBound":<n>}}';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Problems of one vertex's entry (empty when it is fine). */
function vertexProblems(rec: JobRecord, id: string, entry: unknown): string[] {
  const vertex = rec.vertices.find((v) => v.id === id);
  if (!vertex) return [`vertex ${JSON.stringify(id)} is not a vertex of job ${rec.id} (its vertices: ${rec.vertices.map((v) => v.id).join(', ') || 'none yet'})`];
  const label = `vertex ${id} (${vertex.name})`;
  if (!isObject(entry) || !isObject(entry.parallelism)) return [`${label}: expected ${SHAPE}`];
  const extra = [...Object.keys(entry).filter((k) => k !== 'parallelism'), ...Object.keys(entry.parallelism).filter((k) => k !== 'lowerBound' && k !== 'upperBound')];
  if (extra.length) return [`${label}: unknown field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}; expected ${SHAPE}`];
  const { lowerBound: lo, upperBound: hi } = entry.parallelism;
  const out: string[] = [];
  for (const [name, v] of [['lowerBound', lo], ['upperBound', hi]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v)) out.push(`${label}: ${name} must be an integer, got ${JSON.stringify(v) ?? 'nothing'}`);
  }
  if (out.length) return out;
  const [l, u] = [lo as number, hi as number];
  if (l < 1) out.push(`${label}: lowerBound must be at least 1, got ${l}`);
  if (l > u) out.push(`${label}: lowerBound ${l} exceeds upperBound ${u}`);
  if (u > vertex.maxParallelism) out.push(`${label}: upperBound ${u} exceeds the vertex's max parallelism ${vertex.maxParallelism}`);
  return out;
}

/** The body of PUT /jobs/:jobid/resource-requirements; every problem is reported at once. */
export function parseRequirements(body: unknown, rec: JobRecord): ResourceRequirements {
  if (!isObject(body)) throw badRequest(`the body must be a JSON object mapping vertex ids to ${SHAPE}`);
  const entries = Object.entries(body);
  if (entries.length === 0) throw badRequest(`the body names no vertex; give at least one vertex id with ${SHAPE}`);
  const problems = entries.flatMap(([id, entry]) => vertexProblems(rec, id, entry));
  if (problems.length) throw badRequest(problems);
  return Object.fromEntries(entries.map(([id, e]) => {
    const p = (e as { parallelism: { lowerBound: number; upperBound: number } }).parallelism;
    return [id, { parallelism: { lowerBound: p.lowerBound, upperBound: p.upperBound } }];
  }));
}
