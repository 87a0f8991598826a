/**
 * Maps errors to Flink's error body `{"errors": [...]}` with a fitting status:
 * the dispatcher's errors with their status (400 bad input, 404 unknown id,
 * 409 wrong state, 413 too large, 503 busy), a request the schema refuses 400,
 * 415 wrong type, 503 when Redis is unreachable, 500 otherwise. URL user-info in an answer (the
 * Redis URL's password) reads as `******`.
 */
import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance } from 'fastify';
import type {} from '@fastify/multipart';
import { DISPATCHER_OPTIONS, maskUrl } from '../config/index.js';
import { DispatcherError, Unavailable } from '../dispatcher/index.js';
import { isFencedWrite } from '../metadata/index.js';
import { validationMessages } from './request-schemas.js';

export class HttpError extends Error {
  /** One entry per problem: the `errors` array of the response. */
  readonly messages: string[];

  constructor(readonly statusCode: number, message: string | string[]) {
    const messages = [message].flat();
    super(messages.join('; '));
    this.name = 'HttpError';
    this.messages = messages;
  }
}

/** A 400; pass several messages to report every problem of a request at once. */
export const badRequest = (m: string | string[]) => new HttpError(400, m);

/** ioredis errors that mean "Redis is not there right now". */
export function isRedisUnavailable(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string };
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' || e.code === 'ETIMEDOUT') return true;
  const m = e.message ?? '';
  return /Stream isn't writeable|Connection is closed|enableOfflineQueue|connect ECONNREFUSED|Reached the max retries|Command timed out/i.test(m);
}

export function installErrorHandling(app: FastifyInstance, redisUrl: string): void {
  const shownRedisUrl = maskUrl(redisUrl);
  app.setErrorHandler((err: FastifyError & { statusCode?: number }, req, reply) => {
    // A refused upload may leave request bytes unread; the socket must not be reused for another request.
    if (req.isMultipart?.()) reply.header('connection', 'close');
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ errors: err.messages.map(maskUrl) });
    if (err instanceof DispatcherError) {
      if (err instanceof Unavailable && err.retryAfterSeconds !== undefined) reply.header('Retry-After', String(err.retryAfterSeconds));
      return reply.code(err.status).send({ errors: err.messages.map(maskUrl) });
    }
    // HA: this dispatcher stopped leading while it served the request; nothing was written.
    if (isFencedWrite(err)) {
      return reply.code(503).header('Retry-After', '1').send({ errors: [`This dispatcher stopped leading while serving the request, and nothing was written (${err.message}); retry: it goes to the new leader`] });
    }
    if (isRedisUnavailable(err)) {
      return reply.code(503).send({ errors: [`Redis is unreachable at ${shownRedisUrl}: ${maskUrl(err.message)}. Start Redis (or fix ${DISPATCHER_OPTIONS.redisUrl.env}) and retry.`] });
    }
    const status = err.statusCode ?? 500;
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
      return reply.code(415).send({ errors: [err.message] });
    }
    if (err.code === 'FST_ERR_VALIDATION') {
      const found = (err as { validation?: ErrorObject[] }).validation;
      const messages = found?.length ? validationMessages(found, err.validationContext ?? 'body', req.method, req.routeOptions.url ?? req.url) : [err.message];
      return reply.code(400).send({ errors: messages });
    }
    // busboy's complaints about a malformed multipart body (no boundary, cut off, bad part headers).
    if (status >= 500 && /multipart|boundary|unexpected end of form|malformed part header/i.test(err.message)) {
      return reply.code(400).send({ errors: [`Malformed multipart upload: ${err.message}`] });
    }
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send({ errors: [maskUrl(status >= 500 ? `Internal server error: ${err.message}` : err.message)] });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ errors: [`Not found: ${req.method} ${req.url}`] }));
}
