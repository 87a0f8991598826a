/**
 * The endpoints Flink's CLI needs beyond the job routes (`flink checkpoint`, `flink savepoint -d`,
 * attached `flink run`'s result polling, the legacy GET cancel). Flink's shapes; the use cases are
 * the gateway's.
 */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import type { DisposeSavepointRequest, TriggerCheckpointRequest } from '../../rest/index.js';
import { HttpError } from '../errors.js';
import type { GuardRouteConfig } from '../request-guard.js';
import { routeSchema, schemaRefusal } from '../request-schemas.js';
import { checkpointTriggerStatus, disposalStatus, executionResult } from '../views/index.js';

type JobParams = { Params: { jobid: string } };
type TriggerParams = { Params: { jobid: string; triggerid: string } };

export function flinkCliRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  // As for savepoints, a bad body is answered after the 404 of an unknown job.
  app.post<JobParams & { Body: TriggerCheckpointRequest | null }>('/jobs/:jobid/checkpoints', { schema: routeSchema('POST /jobs/{jobid}/checkpoints'), attachValidation: true }, async (req, reply) => {
    const refusal = schemaRefusal(req);
    const b = (refusal ? undefined : req.body) ?? {};
    const id = await gw.triggerCheckpoint(req.params.jobid, { triggerId: b.triggerId ?? undefined }, refusal);
    return reply.code(202).send({ 'request-id': id });
  });

  app.get<TriggerParams>('/jobs/:jobid/checkpoints/:triggerid', { schema: routeSchema('GET /jobs/{jobid}/checkpoints/{triggerid}') },
    async (req) => checkpointTriggerStatus(await gw.checkpointStatus(req.params.jobid, req.params.triggerid)));

  app.get<JobParams>('/jobs/:jobid/execution-result', { schema: routeSchema('GET /jobs/{jobid}/execution-result') },
    async (req) => executionResult(await gw.getJob(req.params.jobid)));

  // A GET that cancels: the request guard lets it through only from our own pages or with the token.
  const stateChanging: GuardRouteConfig = { stateChangingGet: true };
  app.get<JobParams>('/jobs/:jobid/yarn-cancel', { schema: routeSchema('GET /jobs/{jobid}/yarn-cancel'), config: stateChanging }, async (req, reply) => {
    await gw.cancelJob(req.params.jobid);
    return reply.code(202).send({});
  });

  app.post<{ Body: DisposeSavepointRequest | null | undefined }>('/savepoint-disposal', { schema: routeSchema('POST /savepoint-disposal') }, async (req, reply) => {
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/json\b/i.test(type)) throw new HttpError(415, `The disposal request body must be JSON (Content-Type: application/json), not ${type}`);
    // The schema checks a JSON body; an absent one (no content type) is refused here.
    if (!req.body) throw new HttpError(400, 'The disposal request needs a JSON body {"savepoint-path": "<savepoint directory>"}');
    const id = await gw.disposeSavepoint(req.body['savepoint-path'], req.body.triggerId ?? undefined);
    return reply.code(202).send({ 'request-id': id });
  });

  app.get<{ Params: { triggerid: string } }>('/savepoint-disposal/:triggerid', { schema: routeSchema('GET /savepoint-disposal/{triggerid}') },
    async (req) => disposalStatus(await gw.disposalStatus(req.params.triggerid)));
}
