/**
 * The job's rescale history, Flink 2.3's `/jobs/:jobid/rescales/*` (FLIP-495/FLIP-487): overview,
 * summary, history, one rescale's details, and the settings that shape rescales.
 */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import { routeSchema } from '../request-schemas.js';
import { rescaleConfig, rescaleDetails, rescalesHistory, rescalesOverview, rescalesSummary } from '../views/index.js';

type JobParams = { Params: { jobid: string } };

export function rescalesRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  app.get<JobParams>('/jobs/:jobid/rescales/overview', { schema: routeSchema('GET /jobs/{jobid}/rescales/overview') },
    async (req) => rescalesOverview(await gw.rescaleHistory(req.params.jobid)));

  app.get<JobParams>('/jobs/:jobid/rescales/summary', { schema: routeSchema('GET /jobs/{jobid}/rescales/summary') },
    async (req) => rescalesSummary(await gw.rescaleHistory(req.params.jobid)));

  app.get<JobParams>('/jobs/:jobid/rescales/history', { schema: routeSchema('GET /jobs/{jobid}/rescales/history') },
    async (req) => rescalesHistory(await gw.rescaleHistory(req.params.jobid)));

  app.get<{ Params: { jobid: string; rescaleuuid: string } }>('/jobs/:jobid/rescales/details/:rescaleuuid', { schema: routeSchema('GET /jobs/{jobid}/rescales/details/{rescaleuuid}') },
    async (req) => rescaleDetails(await gw.rescaleDetails(req.params.jobid, req.params.rescaleuuid)));

  app.get<JobParams>('/jobs/:jobid/rescales/config', { schema: routeSchema('GET /jobs/{jobid}/rescales/config') },
    async (req) => rescaleConfig((await gw.rescaleHistory(req.params.jobid)).settings));
}
