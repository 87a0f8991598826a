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
import { reservationsKey } from './capacity-reservations.js';
import { isTerminal, TERMINAL_STATES, type JobState } from './job-status.js';
import { decodeJobRecord as decode, encodeJobFields as encode, parseJson, type JobRecord, type NewOperation, type OperationKind, type OperationRecord, type TaskManagerRecord } from './job-record.js';
import { defineScripts, runScript, type RegistryFence } from './fence.js';
import { REGISTRY_SCRIPTS, type RegistryScriptName } from './registry-scripts.js';
import { leaderKey } from './job-leader.js';
import { leaseKey } from './job-lease.js';
import { encodeRescale, rescaleCountsKey, rescalesKey, TERMINAL_RESCALE_STATUSES, type RescaleCounts, type RescaleRecord } from './rescale-history.js';

export type { JobException, JobRecord, NewOperation, OperationKind, OperationRecord, ResourceRequirements, SubtaskInfo, TaskManagerRecord, VertexInfo, VertexInput } from './job-record.js';

export type { RegistryFence };

/** How long a completed operation's result can still be polled: Flink's rest.async.store-duration default, 5 minutes. */
export const OPERATION_RESULT_TTL_MS = 5 * 60_000;

export class JobRegistry {
  /**
   * @param fence HA only: the dispatcher's writes are fenced with its leader epoch. Without one (a single
   * dispatcher, the job processes) every script runs as it is.
   */
  constructor(readonly redis: Redis, readonly prefix: string, readonly fence?: RegistryFence) {
    defineScripts(redis, REGISTRY_SCRIPTS, fence);
  }

  /**
   * Runs a registry script, behind the fence when there is one. `what` and `keys[0]` name the write
   * in the error of a refused one.
   */
  private script(name: RegistryScriptName, what: string, keys: string[], args: string[]): Promise<unknown> {
    return runScript(this.redis, this.fence, name, !('numberOfKeys' in REGISTRY_SCRIPTS[name]), what, keys, args);
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
    return (await this.script('ebbflowCreateJob', 'create the job record', [this.key(rec.id), this.indexKey], [rec.id, String(rec.submitTime), ...fields])) === 1;
  }

  /** Records that the job's submission is on the submission queue (after the enqueue: a crash between leaves it to the sweep). */
  async markQueued(id: string): Promise<void> {
    await this.script('ebbflowSetIfExists', 'mark the job queued', [this.key(id)], ['queuedAt', String(Date.now())]);
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
      rescalesKey(this.prefix, id), rescaleCountsKey(this.prefix, id), autoscalerKey(this.prefix, id), leaderKey(this.prefix, id), leaseKey(this.prefix, id)];
    if ((await this.script('ebbflowRemoveJob', 'remove the ended job', keys, [id, TERMINAL_STATES.join(',')])) !== 1) return false;
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
    const r = await this.script('ebbflowTransition', `move the job to ${state}`, [this.key(id), reservationsKey(this.prefix)], [state, String(Date.now()), TERMINAL_STATES.join(','), ...encode(fields)]);
    return r === 1;
  }

  /** Updates non-state fields (vertices, pid, name). */
  async update(id: string, fields: Partial<Omit<JobRecord, 'state'>>): Promise<void> {
    const f = encode(fields);
    if (!f.length) return;
    // Behind the fence (HA), as a script; the record must then exist (a removed one is not brought back).
    if (this.fence) await this.script('ebbflowSetIfExists', 'update the job record', [this.key(id)], f);
    else await this.redis.hset(this.key(id), ...f);
  }

  /**
   * HA: claims the job's next job process for `launchId` under leader epoch `epoch` (fenced), if the
   * record still has `expectedPid` (0 before the first start, else the dead process being replaced)
   * and the job has neither ended nor is being cancelled. The process started then confirms it.
   */
  async claimLaunch(id: string, launchId: string, expectedPid: number): Promise<boolean> {
    const epoch = this.fence?.epoch() ?? '';
    return (await this.script('ebbflowClaimLaunch', 'claim the start of a job process', [this.key(id)], [launchId, epoch, String(expectedPid), TERMINAL_STATES.join(',')])) === 1;
  }

  /** HA: the job process started for `launchId` records its pid, if that launch is still the claimed one (fenced). */
  async confirmLaunch(id: string, launchId: string, pid: number): Promise<boolean> {
    return (await this.script('ebbflowConfirmLaunch', 'record the started job process', [this.key(id)], [launchId, String(pid)])) === 1;
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
    return (await this.script('ebbflowCreateOperation', `record the ${op.kind} operation`, [this.opKey(op.jobId, op.id), this.opsQueueKey(op.jobId)], [op.id, ...fields])) === 1;
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

  /**
   * Records the outcome; the record then lives OPERATION_RESULT_TTL_MS more (Flink's completed-operation
   * cache, rest.async.store-duration): without it a running job kept one key per savepoint and rescale
   * for good (bench:soak: one more Redis key every rescale).
   */
  async completeOperation(jobId: string, id: string, outcome: { location?: string; failureCause?: string; result?: Record<string, unknown> }): Promise<void> {
    const key = this.opKey(jobId, id);
    const res = await this.redis.multi()
      .hset(key, 'status', 'COMPLETED', 'location', outcome.location ?? '', 'failureCause', outcome.failureCause ?? '', 'result', outcome.result ? JSON.stringify(outcome.result) : '')
      .pexpire(key, OPERATION_RESULT_TTL_MS)
      .exec();
    const failed = res?.find(([err]) => err);
    if (!res || failed) throw failed?.[0] ?? new Error(`recording the outcome of operation ${id} was discarded`);
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
    await this.script('ebbflowPutRescale', 'record the rescale', [rescalesKey(this.prefix, jobId), rescaleCountsKey(this.prefix, jobId)], [rescale.id, encodeRescale(rescale), String(Math.max(1, keep)), rescale.status]);
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
