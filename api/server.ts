/** Starts a dispatcher with its REST API listening; used by the CLI and by tests. */
import type { FastifyInstance } from 'fastify';
import { Dispatcher, type DispatcherOptions } from '../dispatcher/index.js';
import { buildApp } from './app.js';

export interface RunningDispatcher {
  dispatcher: Dispatcher;
  app: FastifyInstance;
  /** Base URL, e.g. http://127.0.0.1:8081 */
  url: string;
  close(): Promise<void>;
}

export async function startDispatcher(opts: DispatcherOptions = {}): Promise<RunningDispatcher> {
  const dispatcher = new Dispatcher(opts);
  await dispatcher.start();
  const { host, port, allowedHosts, token, requestTimeoutMs, redisUrl, minBodyRateBytesPerS, minBodyRateWindowMs } = dispatcher.options;
  const minBodyRate = { bytesPerS: minBodyRateBytesPerS, windowMs: minBodyRateWindowMs };
  const o = dispatcher.options;
  const forwarding = o.haType === 'redis' ? {
    isLeader: () => dispatcher.election?.isLeader() ?? false,
    leaderUrl: () => dispatcher.election?.leader()?.url,
    mode: o.haWriteForwarding, selfId: dispatcher.id, timeoutMs: o.haForwardTimeoutMs,
  } : undefined;
  const app = await buildApp(dispatcher.gateway, { host, allowedHosts, token, requestTimeoutMs, minBodyRate, redisUrl, log: dispatcher.log, forwarding });
  try {
    await app.listen({ host, port });
  } catch (err) {
    await dispatcher.close();
    throw err;
  }
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  // HA: campaigning starts once the API can take the writes standbys forward to it.
  await dispatcher.startElection(o.restAdvertisedUrl ?? url);
  let closing: Promise<void> | undefined;
  return {
    dispatcher, app, url,
    close: () => (closing ??= (async () => { await app.close(); await dispatcher.close(); })()),
  };
}
