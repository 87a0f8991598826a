/** /jobs: list, overview, details, exceptions, checkpoints, cancel, savepoints and stop. Flink's shapes. */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import type { CancelJobQuery, StopWithSavepointRequest, TriggerSavepointRequest } from '../../rest/index.js';
import { routeSchema, schemaRefusal } from '../request-schemas.js';
import { checkpointStatistics, jobDetails, jobExceptions, jobOverview, savepointStatus } from '../views/index.js';
import { jobAndMetrics } from './metrics.js';

type JobParams = { Params: { jobid: string } };

export function jobRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  app.get('/jobs', async () => ({ jobs: (await gw.listJobs()).map((j) => ({ id: j.id, status: j.state })) }));

  app.get('/jobs/overview', async () => {
    const now = Date.now();
    return { jobs: (await gw.listJobs()).map((j) => jobOverview(j, now)) };
  });

  app.get<JobParams>('/jobs/:jobid', { schema: routeSchema('GET /jobs/{jobid}') }, async (req) => {
    const { job, metrics } = await jobAndMetrics(gw, req.params.jobid, req.log);
    return jobDetails(job, Date.now(), metrics);
  });

  app.get<JobParams>('/jobs/:jobid/exceptions', { schema: routeSchema('GET /jobs/{jobid}/exceptions') }, async (req) => jobExceptions(await gw.getJob(req.params.jobid)));

  app.get<JobParams>('/jobs/:jobid/checkpoints', { schema: routeSchema('GET /jobs/{jobid}/checkpoints') }, async (req) => checkpointStatistics(await gw.checkpointStats(req.params.jobid)));

  // A bad body is answered after the 404 of an unknown job (as it always was): the gateway throws the schema's refusal.
  app.post<JobParams & { Body: TriggerSavepointRequest | null }>('/jobs/:jobid/savepoints', { schema: routeSchema('POST /jobs/{jobid}/savepoints'), attachValidation: true }, async (req, reply) => {
    const refusal = schemaRefusal(req);
    const b = (refusal ? undefined : req.body) ?? {};
    const id = await gw.triggerSavepoint(req.params.jobid, { targetDirectory: b['target-directory'] ?? undefined, cancelJob: b['cancel-job'] ?? undefined, triggerId: b.triggerId ?? undefined }, refusal);
    return reply.code(202).send({ 'request-id': id });
  });

  app.post<JobParams & { Body: StopWithSavepointRequest | null }>('/jobs/:jobid/stop', { schema: routeSchema('POST /jobs/{jobid}/stop'), attachValidation: true }, async (req, reply) => {
    const refusal = schemaRefusal(req);
    const b = (refusal ? undefined : req.body) ?? {};
    const id = await gw.stopWithSavepoint(req.params.jobid, { targetDirectory: b.targetDirectory ?? undefined, triggerId: b.triggerId ?? undefined, drain: b.drain ?? undefined }, refusal);
    return reply.code(202).send({ 'request-id': id });
  });

  app.get<{ Params: { jobid: string; triggerid: string } }>('/jobs/:jobid/savepoints/:triggerid', { schema: routeSchema('GET /jobs/{jobid}/savepoints/{triggerid}') },
    async (req) => savepointStatus(await gw.savepointStatus(req.params.jobid, req.params.triggerid)));

  // Only mode=cancel exists (the schema refuses others); stopping is POST /jobs/:jobid/stop.
  app.patch<JobParams & { Querystring: CancelJobQuery }>('/jobs/:jobid', { schema: routeSchema('PATCH /jobs/{jobid}') }, async (req, reply) => {
    await gw.cancelJob(req.params.jobid);
    return reply.code(202).send({});
  });
}
