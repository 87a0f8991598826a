/**
 * The records the job registry keeps in Redis (metadata/job-registry.ts): a job's hash fields, its
 * vertices and subtasks as the REST API shows them, its exceptions, operations and TaskManagers, and
 * how a job hash is written and read back (every object field as JSON; a field that does not parse
 * reads as its default).
 */
import type { ResourceRequirements } from '../rest/index.js';
import type { JobState } from './job-status.js';

export interface VertexInfo {
  id: string;
  name: string;
  parallelism: number;
  maxParallelism: number;
  status: string;
  'start-time': number;
  'end-time': number;
  duration: number;
  tasks: Record<string, number>;
  /**
   * The vertices feeding this one, in edge order, with how records are routed (Flink's plan node
   * `inputs`: HASH after a keyBy, REBALANCE, FORWARD). Absent in records written before it existed.
   */
  inputs?: VertexInput[];
  /** The names of the operators chained into this vertex, head first. Absent in older records. */
  operators?: string[];
}

/** One input of a vertex: the upstream vertex and the edge's partitioning. */
export interface VertexInput {
  id: string;
  shipStrategy: 'FORWARD' | 'HASH' | 'REBALANCE';
}

export interface JobRecord {
  id: string;
  name: string;
  state: JobState;
  jarId: string;
  bundlePath: string;
  entryClass: string;
  programArgs: string[];
  parallelism: number;
  maxParallelism: number;
  submitTime: number;
  startTime: number;
  endTime: number;
  lastModification: number;
  /** First time the job entered each state, epoch ms. */
  timestamps: Record<string, number>;
  failureCause: string;
  vertices: VertexInfo[];
  pid: number;
  /** Flink-style configuration given at submission (`flinkConfiguration`). */
  configuration: Record<string, unknown>;
  /** Savepoint or checkpoint directory the job was started from ('' = none). */
  savepointPath: string;
  /** Failures so far, newest last (restarts and the final one). */
  exceptions: JobException[];
  /** Per-vertex parallelism bounds in force, written by the job process ({} until it writes them). */
  resourceRequirements: ResourceRequirements;
  /**
   * The bounds users' resource-requirements requests set (the autoscaler stays within them; its own
   * rescales change `resourceRequirements` only). A restarted job process takes both up.
   */
  userBounds?: ResourceRequirements;
  /** Vertex id → its subtasks' current executions, written by the job process. */
  subtasks: Record<string, SubtaskInfo[]>;
  /**
   * When its submission was put on the submission queue (epoch ms); 0 while it has not been (the
   * dispatcher died, or Redis failed, between recording the job and queuing it). The dispatcher's
   * sweep re-queues an INITIALIZING record without it.
   */
  queuedAt: number;
}

/** One subtask's current execution (Flink's SubtaskExecutionAttemptDetailsInfo, plus the execution id). */
export interface SubtaskInfo {
  subtask: number;
  executionId: string;
  status: string;
  attempt: number;
  /** The TaskManager it runs on ('' before it is scheduled). */
  resourceId: string;
  startTime: number;
  endTime: number;
}

/** Vertex id → parallelism bounds (Flink FLIP-291 `JobResourceRequirementsBody`): the REST type, from openapi.yaml. */
export type { ResourceRequirements };

export interface JobException {
  timestamp: number;
  cause: string;
  taskName: string | null;
  location: string | null;
}

/**
 * `checkpoint`: a checkpoint on request (POST /jobs/:id/checkpoints); its result is `{ checkpointId }`.
 * `autoscaler`: a change of the autoscaler's settings (PATCH /jobs/:id/autoscaler); its result is `{ options, overrides }`.
 */
export type OperationKind = 'savepoint' | 'stop' | 'rescale' | 'checkpoint' | 'autoscaler';

export interface OperationRecord {
  id: string;
  jobId: string;
  kind: OperationKind;
  status: 'IN_PROGRESS' | 'COMPLETED';
  targetDirectory: string;
  cancelJob: boolean;
  /** stop: advance event time to the end (a MAX watermark through the graph) before the savepoint. */
  drain: boolean;
  location: string;
  failureCause: string;
  createdAt: number;
  /** rescale: the requested parallelism of every vertex (PATCH /rescaling); 0 for a requirements PUT. */
  parallelism: number;
  /** rescale: the requested bounds, possibly of some vertices only (PUT /resource-requirements); {} for a PATCH. */
  requirements: ResourceRequirements;
  /** autoscaler: the `job.autoscaler.*` keys to change (null: back to the job's configured value); {} for other kinds. */
  configuration: Record<string, unknown>;
  /** What the job process reported on success (rescale statistics); null until then or without one. */
  result: Record<string, unknown> | null;
  /** While in progress: the step the job process is at, and since when (epoch ms); null before it started. */
  progress: { phase: string; since: number } | null;
}

export type NewOperation = Omit<OperationRecord, 'status' | 'location' | 'failureCause' | 'createdAt' | 'parallelism' | 'requirements' | 'result' | 'progress' | 'drain' | 'configuration'>
  & Partial<Pick<OperationRecord, 'parallelism' | 'requirements' | 'drain' | 'configuration'>>;

export interface TaskManagerRecord {
  id: string;
  jobId: string;
  pid: number;
  host: string;
  dataPort: number;
  slotsNumber: number;
  freeSlots: number;
  lastHeartbeat: number;
  registeredAt: number;
}


export function encodeJobFields(fields: Partial<JobRecord>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || k === 'timestamps') continue;
    out.push(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return out;
}

// A field that is not valid JSON (hand-edited, or from an older version) reads as its default rather than hiding the whole record.
export const parseJson = <T>(s: string | undefined, d: T): T => { try { return s ? (JSON.parse(s) as T) : d; } catch { return d; } };

export function decodeJobRecord(h: Record<string, string>): JobRecord | undefined {
  if (!h.id) return undefined;
  const timestamps: Record<string, number> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('ts:')) timestamps[k.slice(3)] = Number(v);
  return {
    id: h.id,
    name: h.name ?? '',
    state: (h.state ?? 'INITIALIZING') as JobState,
    jarId: h.jarId ?? '',
    bundlePath: h.bundlePath ?? '',
    entryClass: h.entryClass ?? '',
    programArgs: parseJson(h.programArgs, []),
    parallelism: Number(h.parallelism ?? 1),
    maxParallelism: Number(h.maxParallelism ?? 128),
    submitTime: Number(h.submitTime ?? 0),
    startTime: Number(h.startTime ?? h.submitTime ?? 0),
    endTime: Number(h.endTime ?? -1),
    lastModification: Number(h.lastModification ?? 0),
    timestamps,
    failureCause: h.failureCause ?? '',
    vertices: parseJson(h.vertices, []),
    pid: Number(h.pid ?? 0),
    configuration: parseJson(h.configuration, {}),
    savepointPath: h.savepointPath ?? '',
    exceptions: parseJson(h.exceptions, []),
    resourceRequirements: parseJson(h.resourceRequirements, {}),
    userBounds: parseJson(h.userBounds, {}),
    subtasks: parseJson(h.subtasks, {}),
    queuedAt: Number(h.queuedAt ?? 0),
  };
}
