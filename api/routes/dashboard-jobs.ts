/**
 * Job pages of Flink's web dashboard: accumulators (none in ebbflow), configuration, checkpoint
 * configuration and details, the job's JobManager configuration and environment, and (ebbflow
 * addition) the job process's log, whole or its last `?lines=N` lines.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import type { LogContent } from '../../dispatcher/log-files.js';
import { routeSchema } from '../request-schemas.js';
import { checkpointConfigInfo, checkpointDetails, checkpointSubtaskDetails, jobConfigInfo, planNodes } from '../views/index.js';
import { environmentInfo } from './jobmanager.js';

type JobParams = { Params: { jobid: string } };
type CheckpointParams = { Params: { jobid: string; checkpointid: number } };

/** A log answer: text, never cached (the dashboard polls it). */
export function sendLog(reply: FastifyReply, content: LogContent): FastifyReply {
  return reply.type('text/plain; charset=utf-8').header('Cache-Control', 'no-cache').send(content);
}

export function dashboardJobRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  const schema = (path: string) => ({ schema: routeSchema(`GET ${path}`) });

  app.get<JobParams>('/jobs/:jobid/accumulators', schema('/jobs/{jobid}/accumulators'), async (req) => {
    await gw.getJob(req.params.jobid);
    return { 'job-accumulators': [], 'user-task-accumulators': [], 'serialized-user-task-accumulators': {} };
  });

  app.get<JobParams>('/jobs/:jobid/plan', schema('/jobs/{jobid}/plan'), async (req) => {
    const job = await gw.getJob(req.params.jobid);
    return { plan: { jid: job.id, name: job.name, type: 'STREAMING', nodes: planNodes(job) } };
  });

  app.get<JobParams>('/jobs/:jobid/config', schema('/jobs/{jobid}/config'), async (req) => {
    const { job, config } = await gw.jobConfiguration(req.params.jobid);
    return jobConfigInfo(job, config);
  });

  app.get<JobParams>('/jobs/:jobid/checkpoints/config', schema('/jobs/{jobid}/checkpoints/config'), async (req) =>
    checkpointConfigInfo((await gw.jobConfiguration(req.params.jobid)).config));

  app.get<CheckpointParams>('/jobs/:jobid/checkpoints/details/:checkpointid', schema('/jobs/{jobid}/checkpoints/details/{checkpointid}'), async (req) =>
    checkpointDetails(await gw.checkpointStats(req.params.jobid), req.params.checkpointid));

  app.get<CheckpointParams & { Params: { vertexid: string } }>('/jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid',
    schema('/jobs/{jobid}/checkpoints/details/{checkpointid}/subtasks/{vertexid}'),
    async (req) => checkpointSubtaskDetails(await gw.checkpointStats(req.params.jobid), req.params.checkpointid, req.params.vertexid));

  // The job's JobManager is its job process; its configuration is the job's, compiled with defaults.
  app.get<JobParams>('/jobs/:jobid/jobmanager/config', schema('/jobs/{jobid}/jobmanager/config'), async (req) => {
    const { job, config } = await gw.jobConfiguration(req.params.jobid);
    return Object.entries(jobConfigInfo(job, config)['execution-config']['user-config']).map(([key, value]) => ({ key, value }));
  });

  app.get<JobParams>('/jobs/:jobid/jobmanager/environment', schema('/jobs/{jobid}/jobmanager/environment'), async (req) => {
    await gw.getJob(req.params.jobid);
    return environmentInfo();
  });

  app.get<JobParams & { Querystring: { lines?: number } }>('/jobs/:jobid/jobmanager/log', schema('/jobs/{jobid}/jobmanager/log'), async (req, reply) =>
    sendLog(reply, await gw.jobManagerLog(req.params.jobid, req.query.lines)));
}
