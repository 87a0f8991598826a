/**
 * The dispatcher's REST API and web form (fastify). Every route here is
 * described in openapi.yaml, which a test keeps exact in both directions; the
 * routes validate their requests with the schemas generated from it, and call
 * the dispatcher through its DispatcherGateway.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import { fastify, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { PROJECT_ROOT, type DispatcherGateway } from '../dispatcher/index.js';
import { installAuth } from './auth.js';
import { installBodyRateLimit, type MinBodyRate } from './body-rate.js';
import { installErrorHandling } from './errors.js';
import { withoutFlinkPrefix } from './flink-prefix.js';
import { installRequestGuard } from './request-guard.js';
import { installRequestValidation } from './request-schemas.js';
import { UI_ASSETS } from './ui-files.js';
import { installWriteForwarding, type WriteForwarding } from './write-forwarding.js';
import {
  autoscalerRoutes, clusterRoutes, dashboardJobRoutes, dashboardVertexRoutes, flinkCliRoutes, jarPlanRoutes, jarRoutes, jobManagerRoutes, jobRoutes, metricRoutes, rescalesRoutes, rescalingRoutes, taskManagerRoutes, vertexRoutes,
} from './routes/index.js';

/** How the REST layer itself behaves (the dispatcher's options that concern HTTP). */
export interface ApiOptions {
  /** The bind address: a Host naming it is one of ours. */
  host: string;
  allowedHosts: string[];
  /** Bearer token every route but the web form's files needs; none: no check. */
  token?: string;
  requestTimeoutMs: number;
  /** A request body slower than this gets 408 (slow clients must not hold upload slots); none: no minimum. */
  minBodyRate?: MinBodyRate;
  /** Named in the 503 answer while Redis is unreachable. */
  redisUrl: string;
  log: Logger;
  /** HA: where a standby sends writes; absent, every request is served here. */
  forwarding?: WriteForwarding;
}

export async function buildApp(gw: DispatcherGateway, o: ApiOptions): Promise<FastifyInstance> {
  // Request logs are info level; the api logger starts at warn so a busy UI does not flood the log.
  const app = fastify({
    // Errors the router raises before any hook (a bad URL, a path parameter over 100 characters) get the same {"errors"} shape.
    frameworkErrors: (err, _req, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 400;
      const r = reply as unknown as { code(n: number): { send(body: unknown): unknown } };
      void r.code(status).send({ errors: [err.message.length > 200 ? `${err.message.slice(0, 200)}…` : err.message] });
    },
    // Errors Node's HTTP parser raises (headers too large, a request timed out, garbage) in the same shape.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: import('node:stream').Duplex) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, text, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'The request did not arrive in time']
        : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'The request headers are larger than 16 KB']
          : [400, 'Bad Request', 'The request is not valid HTTP'];
      const body = JSON.stringify({ errors: [message] });
      if (socket.writable) socket.write(`HTTP/1.1 ${status} ${text}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
      socket.destroy(err);
    },
    loggerInstance: o.log.child({ component: 'api' }, { level: o.log.level === 'silent' ? 'silent' : 'warn' }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // Flink's REST client prefixes every path with /v1 (flink-prefix.ts).
    rewriteUrl: (req) => withoutFlinkPrefix(req.url ?? '/'),
    // A client that trickles its headers or body is cut off (Node checks every
    // connectionsCheckingInterval, 30 s by default, hence our own server); idle keep-alive connections close.
    serverFactory: (handler) => {
      const server = createServer({ requestTimeout: o.requestTimeoutMs, headersTimeout: Math.min(30_000, o.requestTimeoutMs), connectionsCheckingInterval: 1000, keepAliveTimeout: 5000 }, handler);
      server.timeout = o.requestTimeoutMs;
      return server;
    },
  }) as unknown as FastifyInstance;
  // Every registered route, as "METHOD /path/{param}"; the contract test compares it with openapi.yaml.
  const routes: string[] = [];
  app.decorate('ebbflowRoutes', routes);
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
  });
  installErrorHandling(app, o.redisUrl);
  installRequestGuard(app, o.host, o.allowedHosts, o.token !== undefined && o.token !== '');
  installAuth(app, o.token);
  if (o.minBodyRate) installBodyRateLimit(app, o.minBodyRate);
  if (o.forwarding) installWriteForwarding(app, o.forwarding, o.log);
  installRequestValidation(app);
  await app.register(multipart, { limits: { fileSize: gw.uploadLimits.maxBytes + 1, files: 2, fields: 10 } });
  // PATCH/DELETE without a body but with a JSON content type must not fail parsing.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try { done(null, JSON.parse(text)); } catch (err) { (err as { statusCode?: number }).statusCode = 400; done(err as Error, undefined); }
  });

  jarRoutes(app, gw);
  jobRoutes(app, gw);
  rescalingRoutes(app, gw);
  rescalesRoutes(app, gw);
  autoscalerRoutes(app, gw);
  vertexRoutes(app, gw);
  clusterRoutes(app, gw);
  metricRoutes(app, gw);
  // Flink's web dashboard pages.
  dashboardJobRoutes(app, gw);
  dashboardVertexRoutes(app, gw);
  jarPlanRoutes(app, gw);
  jobManagerRoutes(app, gw);
  taskManagerRoutes(app, gw);
  flinkCliRoutes(app, gw);

  app.get('/openapi.yaml', async (_req, reply) => {
    reply.type('application/yaml; charset=utf-8');
    return readFile(join(PROJECT_ROOT, 'openapi.yaml'), 'utf8');
  });
  app.get('/', async (_req, reply) => {
    reply.type('text/html; charset=utf-8');
    return readFile(join(PROJECT_ROOT, 'api', 'ui', 'index.html'), 'utf8');
  });
  app.get<{ Params: { file: string } }>('/ui/:file', async (req, reply) => {
    const type = Object.hasOwn(UI_ASSETS, req.params.file) ? UI_ASSETS[req.params.file] : undefined;
    if (!type) return reply.code(404).send({ errors: [`Not found: ${req.method} ${req.url}`] });
    reply.type(type);
    return readFile(join(PROJECT_ROOT, 'api', 'ui', req.params.file), 'utf8');
  });
  return app;
}
