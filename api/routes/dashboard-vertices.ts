/**
 * What Flink's web dashboard asks about one vertex: subtask times, its TaskManagers, watermarks, back
 * pressure and accumulators (ebbflow has no user accumulators: empty lists). Flink's shapes.
 */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway, VertexView } from '../../dispatcher/index.js';
import type { JobMetricsSnapshot } from '../../metadata/index.js';
import { routeSchema } from '../request-schemas.js';
import { backPressure, subtaskAccumulators, subtaskTimes, vertexTaskManagers, watermarks } from '../views/index.js';

type VertexParams = { Params: { jobid: string; vertexid: string } };

export function dashboardVertexRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  const withMetrics = async (p: VertexParams['Params']): Promise<[VertexView, JobMetricsSnapshot | undefined]> => {
    const view = await gw.vertex(p.jobid, p.vertexid);
    return [view, (await gw.jobMetrics(view.job.id)).metrics];
  };
  const route = (suffix: string) => `/jobs/:jobid/vertices/:vertexid${suffix}`;
  const schema = (suffix: string) => ({ schema: routeSchema(`GET /jobs/{jobid}/vertices/{vertexid}${suffix}`) });

  app.get<VertexParams>(route('/subtasktimes'), schema('/subtasktimes'), async (req) => subtaskTimes(await gw.vertex(req.params.jobid, req.params.vertexid)));

  app.get<VertexParams>(route('/taskmanagers'), schema('/taskmanagers'), async (req) => vertexTaskManagers(...(await withMetrics(req.params))));

  app.get<VertexParams>(route('/watermarks'), schema('/watermarks'), async (req) => {
    const [view, metrics] = await withMetrics(req.params);
    return watermarks(metrics, view.vertex.id);
  });

  app.get<VertexParams>(route('/backpressure'), schema('/backpressure'), async (req) => {
    const [view, metrics] = await withMetrics(req.params);
    return backPressure(metrics, view.vertex.id);
  });

  app.get<VertexParams>(route('/accumulators'), schema('/accumulators'), async (req) => {
    const { vertex } = await gw.vertex(req.params.jobid, req.params.vertexid);
    return { id: vertex.id, 'user-accumulators': [] };
  });

  app.get<VertexParams>(route('/subtasks/accumulators'), schema('/subtasks/accumulators'), async (req) => subtaskAccumulators(await gw.vertex(req.params.jobid, req.params.vertexid)));
}
