/**
 * GET /jobs/:jobid/vertices/:vertexid — Flink's JobVertexDetailsInfo: a vertex
 * and each subtask's current execution, with the TaskManager it runs on. ebbflow
 * adds the execution id and the TaskManager's pid, so that one can see which
 * subtasks kept running across an in-place rescale. Each subtask's `metrics` (Flink's IOMetricsInfo:
 * records and bytes read and written) come from the job's latest metrics snapshot.
 */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import type { GetJobVertexResponse } from '../../rest/index.js';
import { routeSchema } from '../request-schemas.js';
import { vertexDetails } from '../views/index.js';
import { jobAndMetrics } from './metrics.js';

export function vertexRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  app.get<{ Params: { jobid: string; vertexid: string } }>('/jobs/:jobid/vertices/:vertexid', { schema: routeSchema('GET /jobs/{jobid}/vertices/{vertexid}') }, async (req): Promise<GetJobVertexResponse> => {
    const view = await gw.vertex(req.params.jobid, req.params.vertexid);
    return vertexDetails(view, (await jobAndMetrics(gw, view.job.id, req.log)).metrics);
  });
}
