/**
 * Checks of rescaling requests against the job record, before anything is queued: which states
 * take a request, the parallelism of a rescale, the per-vertex bounds of a resource-requirements
 * request (Flink FLIP-291), and the requirements in force. The request schema (openapi.yaml) has
 * already checked the shapes; these are the checks that need the job.
 */
import { DISPATCHER_OPTIONS } from '../config/index.js';
import { compileJobConfig } from '../jobmaster/job-config.js';
import type { JobRecord, JobState, ResourceRequirements } from '../metadata/index.js';
import { defaultMaxParallelism, UPPER_BOUND_MAX_PARALLELISM } from '../state/key-groups.js';
import type { ShapeProblem } from './dispatcher-gateway.js';
import { InvalidRequest, JobNotInState } from './errors.js';

/** States in which the job process can still take up a rescale (it applies it when it can). */
export const RESCALABLE_STATES: readonly JobState[] = ['INITIALIZING', 'CREATED', 'RUNNING', 'RESTARTING'];

export function checkRescalable(rec: JobRecord): void {
  if (!RESCALABLE_STATES.includes(rec.state)) {
    throw new JobNotInState(`Job ${rec.id} is ${rec.state}; only a job that is ${RESCALABLE_STATES.join(', ')} can be rescaled`);
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
  if (tms > max) throw new InvalidRequest(`parallelism ${n} needs ${tms} TaskManagers (${slots} slot(s) each); a job may have at most ${max} (${DISPATCHER_OPTIONS.maxTaskManagersPerJob.env}), so parallelism ${max * slots} at most`);
}

/** A rescale to `n` (≥ 1) must fit the job's key groups and the per-job TaskManager limit. */
export function checkRescaleParallelism(n: number, rec: JobRecord, taskManagerLimit: { max: number; slots: number }): void {
  const limit = jobMaxParallelism(rec) ?? UPPER_BOUND_MAX_PARALLELISM;
  if (n > limit) throw new InvalidRequest(`parallelism ${n} exceeds the job's max parallelism ${limit} (its number of key groups)`);
  checkTaskManagerLimit(n, taskManagerLimit.slots, taskManagerLimit.max);
}

/** The bounds in force: the job process's record, else [1, current parallelism] for every vertex (Flink's initial GET). */
export function currentRequirements(rec: JobRecord): ResourceRequirements {
  const derived: ResourceRequirements = {};
  for (const v of rec.vertices) derived[v.id] = { parallelism: { lowerBound: 1, upperBound: v.parallelism } };
  return { ...derived, ...rec.resourceRequirements };
}

const SHAPE = '{"parallelism":{"lowerBound":<n>,"upperBound":<n>}}';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Problems of one vertex's entry (empty when it is fine): the schema's findings, then the bounds the vertex allows. */
function vertexProblems(rec: JobRecord, id: string, entry: unknown, shape: ShapeProblem[]): string[] {
  const vertex = rec.vertices.find((v) => v.id === id);
  if (!vertex) return [`vertex ${JSON.stringify(id)} is not a vertex of job ${rec.id} (its vertices: ${rec.vertices.map((v) => v.id).join(', ') || 'none yet'})`];
  const label = `vertex ${id} (${vertex.name})`;
  // A problem above the bounds (the entry or its "parallelism" is not the right object) gets the expected shape.
  const out = shape.map((p) => `${label}: ${p.path.length > 1 ? `${p.path[p.path.length - 1]} ` : ''}${p.problem}${p.path.length <= 2 ? `; expected ${SHAPE}` : ''}`);
  const bounds = isObject(entry) && isObject(entry.parallelism) ? entry.parallelism : undefined;
  const [l, u] = [bounds?.lowerBound, bounds?.upperBound];
  if (!Number.isInteger(l) || !Number.isInteger(u)) return out;
  if ((l as number) > (u as number)) out.push(`${label}: lowerBound ${l} exceeds upperBound ${u}`);
  if ((u as number) > vertex.maxParallelism) out.push(`${label}: upperBound ${u} exceeds the vertex's max parallelism ${vertex.maxParallelism}`);
  return out;
}

/** The body of a resource-requirements request, with the schema's findings; every problem is reported at once. */
export function checkRequirements(body: unknown, rec: JobRecord, shapeProblems: ShapeProblem[]): ResourceRequirements {
  if (!isObject(body) || shapeProblems.some((p) => p.path.length === 0)) throw new InvalidRequest(`the body must be a JSON object mapping vertex ids to ${SHAPE}`);
  const entries = Object.entries(body);
  if (entries.length === 0) throw new InvalidRequest(`the body names no vertex; give at least one vertex id with ${SHAPE}`);
  const problems = entries.flatMap(([id, entry]) => vertexProblems(rec, id, entry, shapeProblems.filter((p) => p.path[0] === id)));
  if (problems.length) throw new InvalidRequest(problems);
  return Object.fromEntries(entries.map(([id, e]) => {
    const p = (e as { parallelism: { lowerBound: number; upperBound: number } }).parallelism;
    return [id, { parallelism: { lowerBound: p.lowerBound, upperBound: p.upperBound } }];
  }));
}
