/**
 * Job records in Redis, shared by the dispatcher (creates, lists, supervises)
 * and the job process (reports its progress). One hash per job at
 * `<prefix>job:<id>` and a sorted set `<prefix>jobs` by submission time.
 * State changes go through a compare-and-set script so that nobody can move a
 * job out of a terminal state (a late report from a dying job process cannot
 * undo the dispatcher's FAILED, and vice versa).
 */
import { autoscalerKey, type AutoscalerInfo } from './autoscaler-state.js';
import { metricsKey } from './job-metrics.js';
import type { JobMetricsSnapshot } from './job-metrics.js';
import type { Redis } from 'ioredis';
import type { ResourceRequirements } from '../rest/index.js';
import { reservationsKey } from './capacity-reservations.js';
import { isTerminal, TERMINAL_STATES, type JobState } from './job-status.js';
import { REGISTRY_SCRIPTS } from './registry-scripts.js';
import { leaderKey } from './job-leader.js';
import { encodeRescale, rescaleCountsKey, rescalesKey, TERMINAL_RESCALE_STATUSES, type RescaleCounts, type RescaleRecord } from './rescale-history.js';

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


function encode(fields: Partial<JobRecord>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || k === 'timestamps') continue;
    out.push(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return out;
}

// A field that is not valid JSON (hand-edited, or from an older version) reads as its default rather than hiding the whole record.
const parseJson = <T>(s: string | undefined, d: T): T => { try { return s ? (JSON.parse(s) as T) : d; } catch { return d; } };

function decode(h: Record<string, string>): JobRecord | undefined {
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

export class JobRegistry {
  constructor(readonly redis: Redis, readonly prefix: string) {
    for (const [name, script] of Object.entries(REGISTRY_SCRIPTS)) {
      if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function') redis.defineCommand(name, script);
    }
  }

  /** The Redis key of the job's record (named in logs when a write to it is lost). */
  jobKey(id: string): string { return `${this.prefix}job:${id}`; }
  private key(id: string): string { return this.jobKey(id); }
  private tmKey(id: string): string { return `${this.prefix}job:${id}:taskmanagers`; }
  /** The sorted set of job ids by submission time (named in logs when reading it fails). */
  get indexKey(): string { return `${this.prefix}jobs`; }

  /** Creates the record (not yet queued), in one step; returns false if a job with this id already exists. */
  async create(rec: Omit<JobRecord, 'timestamps' | 'lastModification' | 'endTime' | 'failureCause' | 'vertices' | 'pid' | 'exceptions' | 'resourceRequirements' | 'subtasks' | 'queuedAt'>): Promise<boolean> {
    const fields = [...encode({ ...rec, endTime: -1, lastModification: rec.submitTime, failureCause: '', vertices: [], pid: 0, queuedAt: 0 }), `ts:${rec.state}`, String(rec.submitTime)];
    return (await this.redis.ebbflowCreateJob(this.key(rec.id), this.indexKey, rec.id, String(rec.submitTime), ...fields)) === 1;
  }

  /** Records that the job's submission is on the submission queue (after the enqueue: a crash between leaves it to the sweep). */
  async markQueued(id: string): Promise<void> {
    await this.redis.ebbflowSetIfExists(this.key(id), 'queuedAt', String(Date.now()));
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return decode(await this.redis.hgetall(this.key(id)));
  }

  async list(): Promise<JobRecord[]> {
    const ids = await this.redis.zrevrange(this.indexKey, 0, -1);
    if (ids.length === 0) return [];
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.key(id));
    const res = (await p.exec()) ?? [];
    return res.map(([, h]) => decode(h as Record<string, string>)).filter((r): r is JobRecord => !!r);
  }

  /**
   * Removes an ended job's record, operations, TaskManager list and checkpoint statistics (retention,
   * Flink's jobstore.expiration-time); false, and nothing removed, when the job has not ended.
   */
  async remove(id: string): Promise<boolean> {
    const keys = [this.key(id), this.indexKey, this.tmKey(id), `${this.prefix}job:${id}:checkpoints`, metricsKey(this.prefix, id), this.opsQueueKey(id),
      rescalesKey(this.prefix, id), rescaleCountsKey(this.prefix, id), autoscalerKey(this.prefix, id), leaderKey(this.prefix, id)];
    if ((await this.redis.ebbflowRemoveJob(keys.length, ...keys, id, TERMINAL_STATES.join(','))) !== 1) return false;
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', this.opKey(id, '*'), 'COUNT', 200);
      cursor = next;
      if (found.length) await this.redis.del(...found);
    } while (cursor !== '0');
    return true;
  }

  /** Moves a job to `state` unless it is already terminal; returns whether it applied. */
  async transition(id: string, state: JobState, fields: Partial<JobRecord> = {}): Promise<boolean> {
    const r = await this.redis.ebbflowTransition(this.key(id), reservationsKey(this.prefix), state, String(Date.now()), TERMINAL_STATES.join(','), ...encode(fields));
    return r === 1;
  }

  /** Updates non-state fields (vertices, pid, name). */
  async update(id: string, fields: Partial<Omit<JobRecord, 'state'>>): Promise<void> {
    const f = encode(fields);
    if (f.length) await this.redis.hset(this.key(id), ...f);
  }

  async putTaskManager(tm: TaskManagerRecord): Promise<void> {
    await this.redis.hset(this.tmKey(tm.jobId), tm.id, JSON.stringify(tm));
  }

  async removeTaskManager(jobId: string, resourceId: string): Promise<void> {
    await this.redis.hdel(this.tmKey(jobId), resourceId);
  }

  async clearTaskManagers(jobId: string): Promise<void> {
    await this.redis.del(this.tmKey(jobId));
  }

  async taskManagers(jobId: string): Promise<TaskManagerRecord[]> {
    const h = await this.redis.hgetall(this.tmKey(jobId));
    return Object.values(h).map((s) => JSON.parse(s) as TaskManagerRecord);
  }

  private opKey(jobId: string, id: string): string { return `${this.prefix}job:${jobId}:op:${id}`; }
  /** The list a job process pops operation ids from (its command channel). */
  opsQueueKey(jobId: string): string { return `${this.prefix}job:${jobId}:ops`; }

  /**
   * Records the operation and queues it for the job process, in one step; false (nothing written)
   * when the job already has an operation with this id, so a trigger id is claimed exactly once.
   */
  async createOperation(op: NewOperation): Promise<boolean> {
    const fields = ['id', op.id, 'jobId', op.jobId, 'kind', op.kind, 'status', 'IN_PROGRESS', 'targetDirectory', op.targetDirectory,
      'cancelJob', op.cancelJob ? '1' : '0', 'drain', op.drain ? '1' : '0', 'location', '', 'failureCause', '', 'createdAt', String(Date.now()),
      'parallelism', String(op.parallelism ?? 0), 'requirements', JSON.stringify(op.requirements ?? {}), 'configuration', JSON.stringify(op.configuration ?? {}), 'result', ''];
    return (await this.redis.ebbflowCreateOperation(this.opKey(op.jobId, op.id), this.opsQueueKey(op.jobId), op.id, ...fields)) === 1;
  }

  async getOperation(jobId: string, id: string): Promise<OperationRecord | undefined> {
    const h = await this.redis.hgetall(this.opKey(jobId, id));
    if (!h.id) return undefined;
    return {
      id: h.id, jobId: h.jobId ?? jobId, kind: (h.kind ?? 'savepoint') as OperationKind, status: (h.status ?? 'IN_PROGRESS') as OperationRecord['status'],
      targetDirectory: h.targetDirectory ?? '', cancelJob: h.cancelJob === '1', drain: h.drain === '1', location: h.location ?? '', failureCause: h.failureCause ?? '', createdAt: Number(h.createdAt ?? 0),
      parallelism: Number(h.parallelism ?? 0), requirements: parseJson(h.requirements, {}), configuration: parseJson(h.configuration, {}), result: parseJson<Record<string, unknown> | null>(h.result, null),
      progress: h.phase ? { phase: h.phase, since: Number(h.phaseSince ?? 0) } : null,
    };
  }

  /**
   * A job process takes the operation up (so a successor knows it was abandoned if it dies). True
   * only for the first taker: an id queued twice, or taken by an earlier job process, is run once.
   */
  async claimOperation(jobId: string, id: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.opKey(jobId, id), 'takenAt', String(Date.now()))) === 1;
  }

  /** Operations of the job that a job process took up. */
  async takenOperations(jobId: string): Promise<OperationRecord[]> {
    const out: OperationRecord[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', this.opKey(jobId, '*'), 'COUNT', 200);
      cursor = next;
      for (const key of keys) {
        if (!(await this.redis.hexists(key, 'takenAt'))) continue;
        const op = await this.getOperation(jobId, key.slice(this.opKey(jobId, '').length));
        if (op) out.push(op);
      }
    } while (cursor !== '0');
    return out;
  }

  /** The job process reports the step a running operation is at. */
  async setOperationProgress(jobId: string, id: string, phase: string): Promise<void> {
    await this.redis.hset(this.opKey(jobId, id), 'phase', phase, 'phaseSince', String(Date.now()));
  }

  async completeOperation(jobId: string, id: string, outcome: { location?: string; failureCause?: string; result?: Record<string, unknown> }): Promise<void> {
    await this.redis.hset(this.opKey(jobId, id), 'status', 'COMPLETED', 'location', outcome.location ?? '', 'failureCause', outcome.failureCause ?? '',
      'result', outcome.result ? JSON.stringify(outcome.result) : '');
  }

  async putCheckpointStats(jobId: string, stats: unknown): Promise<void> {
    await this.redis.set(`${this.prefix}job:${jobId}:checkpoints`, JSON.stringify(stats));
  }

  async getCheckpointStats(jobId: string): Promise<unknown | undefined> {
    const s = await this.redis.get(`${this.prefix}job:${jobId}:checkpoints`);
    return s ? JSON.parse(s) : undefined;
  }

  /** The job's latest metrics snapshot (metadata/job-metrics.ts), written by its job process. */
  async putMetrics(jobId: string, snapshot: JobMetricsSnapshot): Promise<void> {
    await this.redis.set(metricsKey(this.prefix, jobId), JSON.stringify(snapshot));
  }

  async getMetrics(jobId: string): Promise<JobMetricsSnapshot | undefined> {
    const s = await this.redis.get(metricsKey(this.prefix, jobId));
    return s ? (JSON.parse(s) as JobMetricsSnapshot) : undefined;
  }

  /** The autoscaler's state (metadata/autoscaler-state.ts), written by the job process. */
  async putAutoscaler(jobId: string, state: AutoscalerInfo): Promise<void> {
    await this.redis.set(autoscalerKey(this.prefix, jobId), JSON.stringify(state));
  }

  async getAutoscaler(jobId: string): Promise<AutoscalerInfo | undefined> {
    return parseJson<AutoscalerInfo | undefined>((await this.redis.get(autoscalerKey(this.prefix, jobId))) ?? undefined, undefined);
  }

  /**
   * Records a rescale of the job (metadata/rescale-history.ts): replaces the entry with its id, or
   * adds it as the newest and keeps the newest `keep`; counts it once when it ends.
   */
  async putRescale(jobId: string, rescale: RescaleRecord, keep: number): Promise<void> {
    await this.redis.ebbflowPutRescale(rescalesKey(this.prefix, jobId), rescaleCountsKey(this.prefix, jobId), rescale.id, encodeRescale(rescale), String(Math.max(1, keep)), rescale.status);
  }

  /** The job's recorded rescales, newest first, and the counts of ended ones since it started. */
  async rescaleHistory(jobId: string): Promise<{ rescales: RescaleRecord[]; counts: RescaleCounts }> {
    const [list, counts] = await Promise.all([this.redis.lrange(rescalesKey(this.prefix, jobId), 0, -1), this.redis.hgetall(rescaleCountsKey(this.prefix, jobId))]);
    // An entry that is not valid JSON (hand-edited) is left out rather than hiding the whole history.
    const rescales = list.map((s) => parseJson<RescaleRecord | null>(s, null)).filter((r): r is RescaleRecord => r !== null && typeof r.id === 'string');
    return { rescales, counts: Object.fromEntries(TERMINAL_RESCALE_STATUSES.map((s) => [s, Number(counts[s] ?? 0)])) as RescaleCounts };
  }

  static isTerminal = isTerminal;
}
