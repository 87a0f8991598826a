/**
 * What Flink's web dashboard asks about one vertex: subtask times, its TaskManagers, back
 * pressure and accumulators (ebbflow has no user accumulators: empty lists). Flink's shapes.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { DispatcherGateway, VertexView } from '../../dispatcher/index.js';
import type { JobMetricsSnapshot } from '../../metadata/index.js';
import { routeSchema } from '../request-schemas.js';
import { jobAndMetrics } from './metrics.js';
import { backPressure, subtaskAccumulators, subtaskTimes, vertexTaskManagers } from '../views/index.js';

type VertexParams = { Params: { jobid: string; vertexid: string } };

export function dashboardVertexRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  const withMetrics = async (p: VertexParams['Params'], log: FastifyBaseLogger): Promise<[VertexView, JobMetricsSnapshot | undefined]> => {
    const view = await gw.vertex(p.jobid, p.vertexid);
    return [view, (await jobAndMetrics(gw, view.job.id, log)).metrics];
  };
  const route = (suffix: string) => `/jobs/:jobid/vertices/:vertexid${suffix}`;
  const schema = (suffix: string) => ({ schema: routeSchema(`GET /jobs/{jobid}/vertices/{vertexid}${suffix}`) });

  app.get<VertexParams>(route('/subtasktimes'), schema('/subtasktimes'), async (req) => subtaskTimes(await gw.vertex(req.params.jobid, req.params.vertexid)));

  app.get<VertexParams>(route('/taskmanagers'), schema('/taskmanagers'), async (req) => vertexTaskManagers(...(await withMetrics(req.params, req.log))));

  app.get<VertexParams>(route('/backpressure'), schema('/backpressure'), async (req) => {
    const [view, metrics] = await withMetrics(req.params, req.log);
    return backPressure(metrics, view.vertex.id);
  });

  app.get<VertexParams>(route('/accumulators'), schema('/accumulators'), async (req) => {
    const { vertex } = await gw.vertex(req.params.jobid, req.params.vertexid);
    return { id: vertex.id, 'user-accumulators': [] };
  });

  app.get<VertexParams>(route('/subtasks/accumulators'), schema('/subtasks/accumulators'), async (req) => subtaskAccumulators(await gw.vertex(req.params.jobid, req.params.vertexid)));
}
