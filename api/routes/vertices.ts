/**
 * GET /jobs/:jobid/vertices/:vertexid — Flink's JobVertexDetailsInfo: a vertex
 * and each subtask's current execution, with the TaskManager it runs on. ebbflow
 * adds the execution id and the TaskManager's pid, so that one can see which
 * subtasks kept running across an in-place rescale.
 */
import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from '../../dispatcher/index.js';
import { notFound } from '../errors.js';
import { getJob } from './operations.js';

const NO_METRICS = {
  'read-bytes': 0, 'read-bytes-complete': false, 'write-bytes': 0, 'write-bytes-complete': false,
  'read-records': 0, 'read-records-complete': false, 'write-records': 0, 'write-records-complete': false,
};

export function vertexRoutes(app: FastifyInstance, d: Dispatcher): void {
  app.get<{ Params: { jobid: string; vertexid: string } }>('/jobs/:jobid/vertices/:vertexid', async (req) => {
    const rec = await getJob(d, req.params.jobid);
    const v = rec.vertices.find((x) => x.id === req.params.vertexid);
    if (!v) throw notFound(`Job ${rec.id} has no vertex ${req.params.vertexid}`);
    const tms = new Map((await d.registry.taskManagers(rec.id)).map((t) => [t.id, t]));
    const now = Date.now();
    return {
      id: v.id, name: v.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism, now,
      subtasks: (rec.subtasks[v.id] ?? []).map((s) => {
        const tm = tms.get(s.resourceId);
        return {
          subtask: s.subtask, status: s.status, attempt: s.attempt, host: tm ? `${tm.host}:${tm.dataPort}` : '(unassigned)',
          'start-time': s.startTime, 'end-time': s.endTime, duration: s.startTime < 0 ? -1 : (s.endTime >= 0 ? s.endTime : now) - s.startTime,
          metrics: NO_METRICS, 'taskmanager-id': s.resourceId || '(unassigned)',
          'execution-id': s.executionId, pid: tm?.pid ?? 0,
        };
      }),
    };
  });
}
