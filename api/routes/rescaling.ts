/**
 * Rescaling a running job: Flink's legacy `PATCH /jobs/:jobid/rescaling` and FLIP-291's resource
 * requirements. Both record a `rescale` operation that the job process takes up in turn with
 * savepoints and stops; clients poll it at /jobs/:jobid/rescaling/:triggerid.
 */
import type { ErrorObject } from 'ajv';
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import type { TriggerRescalingQuery } from '../../rest/index.js';
import { routeSchema, schemaRefusal, shapeProblems } from '../request-schemas.js';
import { rescaleStatus } from '../views/index.js';

type JobParams = { Params: { jobid: string } };

export function rescalingRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  // A bad parallelism is answered after the 404 and 409 (as it always was): the gateway throws the schema's refusal.
  app.patch<JobParams & { Querystring: TriggerRescalingQuery }>('/jobs/:jobid/rescaling', { schema: routeSchema('PATCH /jobs/{jobid}/rescaling'), attachValidation: true }, async (req, reply) => {
    const id = await gw.rescale(req.params.jobid, req.query.parallelism, schemaRefusal(req));
    return reply.code(202).send({ 'request-id': id });
  });

  app.get<{ Params: { jobid: string; triggerid: string } }>('/jobs/:jobid/rescaling/:triggerid', { schema: routeSchema('GET /jobs/{jobid}/rescaling/{triggerid}') },
    async (req) => rescaleStatus(await gw.rescaleStatus(req.params.jobid, req.params.triggerid)));

  app.get<JobParams>('/jobs/:jobid/resource-requirements', { schema: routeSchema('GET /jobs/{jobid}/resource-requirements') },
    async (req) => gw.resourceRequirements(req.params.jobid));

  // The schema's findings go to the gateway instead of answering at once: like Flink, the answer
  // reports them together with the bounds the job's vertices do not allow, and only for a job that
  // exists and can be rescaled (404 and 409 first).
  app.put<JobParams & { Body: unknown }>('/jobs/:jobid/resource-requirements', { schema: routeSchema('PUT /jobs/{jobid}/resource-requirements'), attachValidation: true }, async (req) => {
    const found = (req.validationError as { validation?: ErrorObject[] } | undefined)?.validation ?? [];
    const id = await gw.setResourceRequirements(req.params.jobid, req.body, shapeProblems(found));
    return { 'request-id': id };
  });
}
