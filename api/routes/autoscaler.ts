/**
 * The job's autoscaler (ebbflow): its state and reasoning, and changes of its settings, which are
 * recorded for the job process and polled like a rescale request.
 */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import { routeSchema, schemaRefusal } from '../request-schemas.js';
import { autoscalerChangeStatus } from '../views/index.js';

type JobParams = { Params: { jobid: string } };

export function autoscalerRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  app.get<JobParams>('/jobs/:jobid/autoscaler', { schema: routeSchema('GET /jobs/{jobid}/autoscaler') },
    async (req) => gw.autoscaler(req.params.jobid));

  // The schema's refusal goes to the gateway, which answers 404 and 409 first.
  app.patch<JobParams & { Body: unknown }>('/jobs/:jobid/autoscaler', { schema: routeSchema('PATCH /jobs/{jobid}/autoscaler'), attachValidation: true }, async (req, reply) => {
    const { requestId, options } = await gw.setAutoscaler(req.params.jobid, req.body, schemaRefusal(req));
    return reply.code(202).send({ 'request-id': requestId, options });
  });

  app.get<{ Params: { jobid: string; triggerid: string } }>('/jobs/:jobid/autoscaler/:triggerid', { schema: routeSchema('GET /jobs/{jobid}/autoscaler/{triggerid}') },
    async (req) => autoscalerChangeStatus(await gw.autoscalerChangeStatus(req.params.jobid, req.params.triggerid)));
}
