/**
 * One TaskManager (Flink's TaskManagerDetailsInfo, with its metrics from its job's latest snapshot),
 * its log files and thread dump. Logs are served only from the TaskManager's job log directory, by
 * names from its own listing; `?lines=N` (ebbflow addition) answers the last N lines.
 */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import { routeSchema } from '../request-schemas.js';
import { taskManagerDetails } from '../views/index.js';
import { sendLog } from './dashboard-jobs.js';
import { threadDump } from './jobmanager.js';

type TmParams = { Params: { taskmanagerid: string } };
type Lines = { Querystring: { lines?: number } };

export function taskManagerRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  const schema = (suffix: string) => ({ schema: routeSchema(`GET /taskmanagers/{taskmanagerid}${suffix}`) });

  app.get<TmParams>('/taskmanagers/:taskmanagerid', schema(''), async (req) => taskManagerDetails(await gw.taskManager(req.params.taskmanagerid)));

  app.get<TmParams>('/taskmanagers/:taskmanagerid/logs', schema('/logs'), async (req) => ({
    logs: (await gw.taskManagerLogs(req.params.taskmanagerid)).map((f) => ({ name: f.name, size: f.size, mtime: Math.round(f.mtime) })),
  }));

  app.get<TmParams & { Params: { filename: string } } & Lines>('/taskmanagers/:taskmanagerid/logs/:filename', schema('/logs/{filename}'), async (req, reply) =>
    sendLog(reply, await gw.taskManagerLog(req.params.taskmanagerid, req.params.filename, req.query.lines)));

  // The TaskManager's standard output and error go to its log file: both answer it.
  for (const suffix of ['/log', '/stdout']) {
    app.get<TmParams & Lines>(`/taskmanagers/:taskmanagerid${suffix}`, schema(suffix), async (req, reply) =>
      sendLog(reply, await gw.taskManagerLog(req.params.taskmanagerid, undefined, req.query.lines)));
  }

  app.get<TmParams>('/taskmanagers/:taskmanagerid/thread-dump', schema('/thread-dump'), async (req) => {
    await gw.taskManager(req.params.taskmanagerid);
    return threadDump('TaskManager');
  });
}
