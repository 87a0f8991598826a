/**
 * GET /jobs/:jobid/vertices/:vertexid — Flink's JobVertexDetailsInfo: a vertex
 * and each subtask's current execution, with the TaskManager it runs on. ebbflow
 * adds the execution id and the TaskManager's pid, so that one can see which
 * subtasks kept running across an in-place rescale. Each subtask's `metrics` (Flink's IOMetricsInfo:
 * records and bytes read and written) come from the job's latest metrics snapshot.
 */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway, VertexView } from '../../dispatcher/index.js';
import type { ExecutionState, GetJobVertexResponse } from '../../rest/index.js';
import type { JobMetricsSnapshot, SubtaskMetricsSnapshot } from '../../metadata/index.js';
import { routeSchema } from '../request-schemas.js';
import { vertexSubtasks } from '../views/index.js';
import { jobAndMetrics } from './metrics.js';

/** Flink's IOMetricsInfo of a subtask from its snapshot (zeros, not complete, before it has one). */
function ioMetrics(s: SubtaskMetricsSnapshot | undefined): Record<string, number | boolean> {
  const m = s?.metrics ?? {};
  const field = (name: string, v: number | undefined) => ({ [name]: Math.round(v ?? 0), [`${name}-complete`]: v !== undefined });
  return { ...field('read-bytes', m.numBytesIn), ...field('write-bytes', m.numBytesOut), ...field('read-records', m.numRecordsIn), ...field('write-records', m.numRecordsOut) };
}

function vertexDetails({ job, vertex: v, taskManagers }: VertexView, metrics: JobMetricsSnapshot | undefined, now = Date.now()): GetJobVertexResponse {
  const subtaskMetrics = vertexSubtasks(metrics, v.id);
  const tms = new Map(taskManagers.map((t) => [t.id, t]));
  return {
    id: v.id, name: v.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism, now,
    subtasks: (job.subtasks[v.id] ?? []).map((s) => {
      const tm = tms.get(s.resourceId);
      return {
        subtask: s.subtask, status: s.status as ExecutionState, attempt: s.attempt, host: tm ? `${tm.host}:${tm.dataPort}` : '(unassigned)',
        'start-time': s.startTime, 'end-time': s.endTime, duration: s.startTime < 0 ? -1 : (s.endTime >= 0 ? s.endTime : now) - s.startTime,
        metrics: ioMetrics(subtaskMetrics.find((m) => m.subtask === s.subtask)), 'taskmanager-id': s.resourceId || '(unassigned)',
        'execution-id': s.executionId, pid: tm?.pid ?? 0,
      };
    }),
  };
}

export function vertexRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  app.get<{ Params: { jobid: string; vertexid: string } }>('/jobs/:jobid/vertices/:vertexid', { schema: routeSchema('GET /jobs/{jobid}/vertices/{vertexid}') },
    async (req) => {
      const view = await gw.vertex(req.params.jobid, req.params.vertexid);
      return vertexDetails(view, (await jobAndMetrics(gw, view.job.id, req.log)).metrics);
    });
}
