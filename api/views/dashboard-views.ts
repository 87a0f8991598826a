/**
 * What Flink's web dashboard reads about a job, in Flink's REST shapes: the plan graph (nodes with
 * their inputs), each vertex's I/O metrics from the job's metrics snapshot, subtask times, the
 * TaskManagers of a vertex, watermarks, back pressure, accumulators (ebbflow has none: empty lists).
 * Without a snapshot (the job process has not published one yet) metrics read 0 and `*-complete: false`.
 */
import type { VertexView } from '../../dispatcher/index.js';
import type { JobMetricsSnapshot, JobRecord, SubtaskInfo, SubtaskMetricsSnapshot, TaskManagerRecord, VertexInfo } from '../../metadata/index.js';

type Metrics = SubtaskMetricsSnapshot['metrics'];

/** Flink's IOMetricsInfo. */
export type IoMetrics = {
  'read-bytes': number; 'read-bytes-complete': boolean; 'write-bytes': number; 'write-bytes-complete': boolean;
  'read-records': number; 'read-records-complete': boolean; 'write-records': number; 'write-records-complete': boolean;
  'accumulated-backpressured-time': number; 'accumulated-idle-time': number; 'accumulated-busy-time': number;
};

const IO: [keyof IoMetrics, keyof Metrics][] = [['read-bytes', 'numBytesIn'], ['write-bytes', 'numBytesOut'], ['read-records', 'numRecordsIn'], ['write-records', 'numRecordsOut']];

/** Sums over subtasks; a counter is complete when each of the `expected` subtasks reported it. */
export function ioMetrics(subtasks: readonly Metrics[], expected: number): IoMetrics {
  const sum = (k: keyof Metrics) => subtasks.reduce((a, m) => a + (m[k] ?? 0), 0);
  const complete = (k: keyof Metrics) => expected > 0 && subtasks.length >= expected && subtasks.every((m) => m[k] !== undefined);
  const out = {} as Record<string, number | boolean>;
  for (const [name, metric] of IO) { out[name] = Math.round(sum(metric)); out[`${name}-complete`] = complete(metric); }
  out['accumulated-backpressured-time'] = Math.round(sum('accumulatedBackPressuredTime'));
  out['accumulated-idle-time'] = Math.round(sum('accumulatedIdleTime'));
  out['accumulated-busy-time'] = sum('accumulatedBusyTime');
  return out as unknown as IoMetrics;
}

/** The snapshot's entries of one vertex's current subtasks. */
export function vertexSubtaskMetrics(snapshot: JobMetricsSnapshot | undefined, vertexId: string): SubtaskMetricsSnapshot[] {
  return (snapshot?.subtasks ?? []).filter((s) => s.vertexId === vertexId);
}

function subtaskMetrics(snapshot: JobMetricsSnapshot | undefined, vertexId: string, subtask: number): Metrics | undefined {
  return snapshot?.subtasks.find((s) => s.vertexId === vertexId && s.subtask === subtask)?.metrics;
}

/** A time span that keeps growing while it has not ended (-1: never started). */
export const span = (start: number, end: number, now: number): number => (start < 0 ? -1 : (end >= 0 ? end : now) - start);

/** GET /jobs/:jobid's vertices: durations up to now, metrics from the snapshot. */
export function jobVertices(rec: JobRecord, snapshot: JobMetricsSnapshot | undefined, now: number) {
  return rec.vertices.map((v) => ({
    id: v.id, name: v.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism, status: v.status as never,
    'start-time': v['start-time'], 'end-time': v['end-time'], duration: span(v['start-time'], v['end-time'], now), tasks: v.tasks,
    metrics: ioMetrics(vertexSubtaskMetrics(snapshot, v.id).map((s) => s.metrics), v.parallelism),
  }));
}

/**
 * Flink's JSON plan: one node per vertex with its inputs (the edges of the job graph). `operator` is
 * the vertex's name, `description` its chained operators; streaming jobs have no operator strategy.
 */
export function planNodes(rec: JobRecord) {
  return rec.vertices.map((v: VertexInfo) => ({
    id: v.id, parallelism: v.parallelism, maxParallelism: v.maxParallelism, operator: v.name, operator_strategy: '',
    description: (v.operators ?? [v.name]).join(' -> '),
    ...(v.inputs?.length ? { inputs: v.inputs.map((i, num) => ({ num, id: i.id, ship_strategy: i.shipStrategy, exchange: 'pipelined_bounded' })) } : {}),
    optimizer_properties: {},
  }));
}

/** Where a subtask runs, as Flink's `endpoint` (host:port) and the TaskManager record. */
function location(s: SubtaskInfo, tms: Map<string, TaskManagerRecord>) {
  const tm = tms.get(s.resourceId);
  return { tm, endpoint: tm ? `${tm.host}:${tm.dataPort}` : '(unassigned)' };
}

/** GET /jobs/:jobid/vertices/:vertexid. */
export function vertexDetails({ job, vertex: v, taskManagers }: VertexView, snapshot: JobMetricsSnapshot | undefined, now = Date.now()) {
  const tms = new Map(taskManagers.map((t) => [t.id, t]));
  return {
    id: v.id, name: v.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism, now,
    subtasks: (job.subtasks[v.id] ?? []).map((s) => {
      const { tm, endpoint } = location(s, tms);
      const m = subtaskMetrics(snapshot, v.id, s.subtask);
      return {
        subtask: s.subtask, status: s.status as never, attempt: s.attempt, endpoint, host: endpoint,
        'start-time': s.startTime, 'end-time': s.endTime, duration: span(s.startTime, s.endTime, now),
        metrics: ioMetrics(m ? [m] : [], 1), 'taskmanager-id': s.resourceId || '(unassigned)',
        'execution-id': s.executionId, pid: tm?.pid ?? 0,
      };
    }),
  };
}

const ENDED = ['FINISHED', 'CANCELED', 'FAILED'];
const EXECUTION_STATES = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED', 'RECONCILING'];

/** GET /jobs/:jobid/vertices/:vertexid/subtasktimes: when each subtask entered each state (0 = not known or never). */
export function subtaskTimes({ job, vertex: v, taskManagers }: VertexView, now = Date.now()) {
  const tms = new Map(taskManagers.map((t) => [t.id, t]));
  return {
    id: v.id, name: v.name, now,
    subtasks: (job.subtasks[v.id] ?? []).map((s) => {
      const timestamps: Record<string, number> = Object.fromEntries(EXECUTION_STATES.map((st) => [st, 0]));
      // ebbflow records when a subtask was deployed and when it ended; it runs from its deployment on.
      if (s.startTime >= 0) for (const st of ['DEPLOYING', 'INITIALIZING', 'RUNNING']) timestamps[st] = s.startTime;
      if (s.endTime >= 0 && ENDED.includes(s.status)) timestamps[s.status] = s.endTime;
      const { endpoint } = location(s, tms);
      return { subtask: s.subtask, endpoint, host: endpoint, duration: span(s.startTime, s.endTime, now), timestamps };
    }),
  };
}

/** GET /jobs/:jobid/vertices/:vertexid/taskmanagers: the vertex's subtasks grouped by TaskManager. */
export function vertexTaskManagers(view: VertexView, snapshot: JobMetricsSnapshot | undefined, now = Date.now()) {
  const { job, vertex: v, taskManagers } = view;
  const tms = new Map(taskManagers.map((t) => [t.id, t]));
  const groups = new Map<string, SubtaskInfo[]>();
  for (const s of job.subtasks[v.id] ?? []) groups.set(s.resourceId, [...(groups.get(s.resourceId) ?? []), s]);
  return {
    id: v.id, name: v.name, now,
    taskmanagers: [...groups].map(([rid, subs]) => {
      const counts: Record<string, number> = Object.fromEntries(EXECUTION_STATES.map((st) => [st, 0]));
      for (const s of subs) counts[s.status] = (counts[s.status] ?? 0) + 1;
      const status = subs.every((s) => s.status === subs[0]!.status) ? subs[0]!.status : (subs.find((s) => !ENDED.includes(s.status))?.status ?? subs[0]!.status);
      const starts = subs.map((s) => s.startTime).filter((t) => t >= 0);
      const start = starts.length ? Math.min(...starts) : -1;
      const end = subs.every((s) => s.endTime >= 0) ? Math.max(...subs.map((s) => s.endTime)) : -1;
      const { endpoint } = location(subs[0]!, tms);
      const metrics = subs.map((s) => subtaskMetrics(snapshot, v.id, s.subtask)).filter((m): m is Metrics => !!m);
      return {
        endpoint, host: endpoint, 'taskmanager-id': rid || '(unassigned)', status: status as never, 'start-time': start, 'end-time': end,
        duration: span(start, end, now), metrics: ioMetrics(metrics, subs.length), 'status-counts': counts,
      };
    }),
  };
}

/** Long.MIN_VALUE, what Flink reports before the first watermark. */

/** Flink's thresholds: up to 10% of the time back-pressured is ok, up to 50% low, above that high. */
export function backPressureLevel(ratio: number): 'ok' | 'low' | 'high' {
  return ratio <= 0.1 ? 'ok' : ratio <= 0.5 ? 'low' : 'high';
}

const ratioOf = (msPerSecond: number | undefined) => Math.min(1, Math.max(0, (msPerSecond ?? 0) / 1000));

/**
 * GET /jobs/:jobid/vertices/:vertexid/backpressure: from the time each subtask spent back-pressured,
 * idle and busy per second in the latest snapshot (like Flink since 1.13, no stack sampling).
 * `deprecated` (Flink: no current statistics) until the job process published a snapshot.
 */
export function backPressure(snapshot: JobMetricsSnapshot | undefined, vertexId: string) {
  if (!snapshot) return { status: 'deprecated' as const, 'backpressure-level': 'ok' as const, 'end-timestamp': 0, subtasks: [] };
  const subtasks = vertexSubtaskMetrics(snapshot, vertexId).sort((a, b) => a.subtask - b.subtask).map((s) => {
    const ratio = ratioOf(s.metrics.backPressuredTimeMsPerSecond);
    return {
      subtask: s.subtask, 'attempt-number': s.attempt, 'backpressure-level': backPressureLevel(ratio), ratio,
      idleRatio: ratioOf(s.metrics.idleTimeMsPerSecond), busyRatio: ratioOf(s.metrics.busyTimeMsPerSecond),
    };
  });
  const max = Math.max(0, ...subtasks.map((s) => s.ratio));
  return { status: 'ok' as const, 'backpressure-level': backPressureLevel(max), 'end-timestamp': snapshot.timestamp, subtasks };
}

/** GET /jobs/:jobid/vertices/:vertexid/subtasks/accumulators: ebbflow has no user accumulators. */
export function subtaskAccumulators({ job, vertex: v, taskManagers }: VertexView) {
  const tms = new Map(taskManagers.map((t) => [t.id, t]));
  return {
    id: v.id, parallelism: v.parallelism,
    subtasks: (job.subtasks[v.id] ?? []).map((s) => {
      const { endpoint } = location(s, tms);
      return { subtask: s.subtask, attempt: s.attempt, endpoint, host: endpoint, 'user-accumulators': [] as never[] };
    }),
  };
}
