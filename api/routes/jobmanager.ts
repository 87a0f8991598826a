/**
 * Flink's JobManager pages for the dispatcher: its configuration (secrets masked), environment, logs
 * and thread dump. The dispatcher logs to its standard output, not to a file: its log list is empty
 * and its log and stdout answer 404, as Flink does for a missing file.
 */
import type { FastifyInstance } from 'fastify';
import type { DispatcherGateway } from '../../dispatcher/index.js';
import { HttpError } from '../errors.js';
import { routeSchema } from '../request-schemas.js';

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
  app.get('/jobmanager/logs', async () => ({ logs: [] }));
  const noFile = async () => { throw new HttpError(404, 'The dispatcher writes its log to its standard output, not to a file'); };
  app.get('/jobmanager/log', noFile);
  app.get('/jobmanager/stdout', noFile);
  app.get<{ Params: { filename: string } }>('/jobmanager/logs/:filename', { schema: routeSchema('GET /jobmanager/logs/{filename}') }, noFile);
  app.get('/jobmanager/thread-dump', async () => threadDump('dispatcher'));
}
