/**
 * A minimum data rate for request bodies: a client that trickles its body (one byte every few
 * seconds) would otherwise hold an upload slot until the request timeout (300 s by default), so a
 * few slow clients could block every upload. Each request with a body gets a timer that, once per
 * window, compares the bytes its connection delivered in that window with the minimum; below it,
 * the request is refused with 408 and its connection closed, which frees the upload slot (and the
 * bundle store removes the upload's temp file, as for any refused upload).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DISPATCHER_OPTIONS } from '../config/index.js';
import { HttpError } from './errors.js';

/** The minimum rate: `bytesPerS` over every `windowMs`; 0 bytes/s turns the check off. */
export interface MinBodyRate {
  bytesPerS: number;
  windowMs: number;
}

/** True when the request announces a body (a length above 0, or a chunked one). */
function hasBody(req: FastifyRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Refuses the request with `err`: through whoever reads the body, else directly. */
function refuse(req: FastifyRequest, reply: FastifyReply, err: HttpError): void {
  reply.header('connection', 'close');
  // The body's reader (fastify's JSON parser, the multipart parser) listens for the request's
  // errors: it fails with `err`, the route's own clean-up runs (an upload's temp file is removed)
  // and the error handler answers 408. Destroying the request instead would close the socket
  // before any answer could be written.
  if (req.raw.listenerCount('error') > 0) req.raw.emit('error', err);
  else void reply.code(err.statusCode).send({ errors: err.messages });
}

/** Installs the check on every request with a body. */
export function installBodyRateLimit(app: FastifyInstance, rate: MinBodyRate): void {
  if (rate.bytesPerS <= 0) return;
  const minBytes = (rate.bytesPerS * rate.windowMs) / 1000;
  app.addHook('onRequest', async (req, reply) => {
    if (!hasBody(req)) return;
    // The socket's count, not 'data' listeners on the request: those would start its flow before the body's reader is attached.
    const socket = req.raw.socket;
    let before = socket.bytesRead;
    const timer = setInterval(() => {
      if (req.raw.complete || reply.sent || socket.destroyed) return stop();
      const got = socket.bytesRead - before;
      before = socket.bytesRead;
      // The reader is behind (busboy or the disk are slower than the client): the server, not the client, is slow.
      const backpressure = req.raw.readableFlowing === false || req.raw.readableLength >= req.raw.readableHighWaterMark;
      if (got >= minBytes || backpressure) return;
      stop();
      const perS = Math.floor(got / (rate.windowMs / 1000));
      refuse(req, reply, new HttpError(408, `request body arrived at ${perS} bytes/s, below the minimum of ${rate.bytesPerS} bytes/s (${DISPATCHER_OPTIONS.minBodyRateBytesPerS.env})`));
    }, rate.windowMs);
    timer.unref();
    const stop = () => clearInterval(timer);
    reply.raw.once('close', stop);
    reply.raw.once('finish', stop);
  });
}
