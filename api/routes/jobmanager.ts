/**
 * Flink's JobManager pages for the dispatcher: its configuration (secrets masked), environment, logs
 * and thread dump. The dispatcher logs to its standard output; its recent lines are also kept in
 * memory (dispatcher/recent-log.ts) and served as its one log file, `dispatcher.log`. It has no
 * stdout file: that answers 404, as Flink does for a missing file.
 */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import { HttpError } from '../errors.js';
import { routeSchema } from '../request-schemas.js';
import { sendLog } from './dashboard-jobs.js';

/** Flink's EnvironmentInfo for a Node.js process: the runtime's version, architecture and options. */
export function environmentInfo() {
  return { jvm: { version: `Node.js ${process.version}`, arch: process.arch, options: [...process.execArgv] }, classpath: [] as string[] };
}

/** Flink's ThreadDumpInfo: a Node.js process runs its JavaScript on one thread. */
export function threadDump(role: string) {
  return { threadInfos: [{ threadName: 'main', stringifiedThreadInfo: `"main" (${role}, Node.js ${process.version}, pid ${process.pid}): one JavaScript thread; Node.js has no thread dump\n` }] };
}

export function jobManagerRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  app.get('/jobmanager/config', async () => gw.dispatcherConfiguration());
  app.get('/jobmanager/environment', async () => environmentInfo());
  app.get('/jobmanager/logs', async () => ({ logs: gw.dispatcherLogs() }));
  app.get<{ Querystring: { lines?: number } }>('/jobmanager/log', { schema: routeSchema('GET /jobmanager/log') }, async (req, reply) =>
    sendLog(reply, gw.dispatcherLog(undefined, req.query.lines)));
  app.get('/jobmanager/stdout', async () => { throw new HttpError(404, 'The dispatcher writes to its standard output, not to a file; its log is GET /jobmanager/log'); });
  app.get<{ Params: { filename: string }; Querystring: { lines?: number } }>('/jobmanager/logs/:filename', { schema: routeSchema('GET /jobmanager/logs/{filename}') }, async (req, reply) =>
    sendLog(reply, gw.dispatcherLog(req.params.filename, req.query.lines)));
  app.get('/jobmanager/thread-dump', async () => threadDump('dispatcher'));
}
