/**
 * Rescaling a running job: Flink's legacy `PATCH /jobs/:jobid/rescaling` and
 * FLIP-291's resource requirements. Both record a `rescale` operation that the
 * job process takes up in turn with savepoints and stops (so a request survives
 * a dispatcher restart); clients poll it at /jobs/:jobid/rescaling/:triggerid.
 */
import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from '../../dispatcher/index.js';
import { getJob, getOperationOf, operationStatus, recordOperation } from './operations.js';
import { checkRescalable, currentRequirements, parseRequirements, parseRescaleParallelism } from './rescale-requests.js';

type JobParams = { Params: { jobid: string } };

export function rescalingRoutes(app: FastifyInstance, d: Dispatcher): void {
  app.patch<JobParams & { Querystring: { parallelism?: unknown } }>('/jobs/:jobid/rescaling', async (req, reply) => {
    const rec = await getJob(d, req.params.jobid);
    checkRescalable(rec);
    const parallelism = parseRescaleParallelism(req.query.parallelism, rec, { max: d.options.maxTaskManagersPerJob, slots: d.options.slotsPerTaskManager });
    const id = await recordOperation(d, { jobId: rec.id, kind: 'rescale', targetDirectory: '', cancelJob: false, parallelism });
    return reply.code(202).send({ 'request-id': id });
  });

  app.get<{ Params: { jobid: string; triggerid: string } }>('/jobs/:jobid/rescaling/:triggerid', async (req) => {
    const rec = await getJob(d, req.params.jobid);
    const op = await getOperationOf(d, rec, req.params.triggerid, ['rescale'], 'rescaling');
    return operationStatus(rec, op, 'the rescaling was taken up', (o) => o.result ?? {});
  });

  app.get<JobParams>('/jobs/:jobid/resource-requirements', async (req) => currentRequirements(await getJob(d, req.params.jobid)));

  app.put<JobParams & { Body: unknown }>('/jobs/:jobid/resource-requirements', async (req) => {
    const rec = await getJob(d, req.params.jobid);
    checkRescalable(rec);
    const requirements = parseRequirements(req.body, rec);
    const id = await recordOperation(d, { jobId: rec.id, kind: 'rescale', targetDirectory: '', cancelJob: false, requirements });
    return { 'request-id': id };
  });
}
