/**
 * GET /jobs/:jobid/vertices/:vertexid — Flink's JobVertexDetailsInfo: a vertex
 * and each subtask's current execution, with the TaskManager it runs on. ebbflow
 * adds the execution id and the TaskManager's pid, so that one can see which
 * subtasks kept running across an in-place rescale.
 */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway, VertexView } from '../../dispatcher/index.js';
import type { ExecutionState, GetJobVertexResponse } from '../../rest/index.js';
import { routeSchema } from '../request-schemas.js';

const NO_METRICS = {
  'read-bytes': 0, 'read-bytes-complete': false, 'write-bytes': 0, 'write-bytes-complete': false,
  'read-records': 0, 'read-records-complete': false, 'write-records': 0, 'write-records-complete': false,
};

function vertexDetails({ job, vertex: v, taskManagers }: VertexView, now = Date.now()): GetJobVertexResponse {
  const tms = new Map(taskManagers.map((t) => [t.id, t]));
  return {
    id: v.id, name: v.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism, now,
    subtasks: (job.subtasks[v.id] ?? []).map((s) => {
      const tm = tms.get(s.resourceId);
      return {
        subtask: s.subtask, status: s.status as ExecutionState, attempt: s.attempt, host: tm ? `${tm.host}:${tm.dataPort}` : '(unassigned)',
        'start-time': s.startTime, 'end-time': s.endTime, duration: s.startTime < 0 ? -1 : (s.endTime >= 0 ? s.endTime : now) - s.startTime,
        metrics: NO_METRICS, 'taskmanager-id': s.resourceId || '(unassigned)',
        'execution-id': s.executionId, pid: tm?.pid ?? 0,
      };
    }),
  };
}

export function vertexRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  app.get<{ Params: { jobid: string; vertexid: string } }>('/jobs/:jobid/vertices/:vertexid', { schema: routeSchema('GET /jobs/{jobid}/vertices/{vertexid}') },
    async (req) => vertexDetails(await gw.vertex(req.params.jobid, req.params.vertexid)));
}
