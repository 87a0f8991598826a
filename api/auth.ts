/**
 * Optional bearer-token check. The dispatcher refuses to listen on a
 * non-loopback address without a token (dispatcher-options.ts); with one,
 * every route but the web form's static page needs `Authorization: Bearer <token>`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { UI_PATHS } from './ui-files.js';

export function installAuth(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  const expected = Buffer.from(token);
  app.addHook('onRequest', async (req, reply) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && UI_PATHS.has(req.url.split('?')[0]!)) return;
    // The scheme is case-insensitive (RFC 9110); the token is compared in constant time.
    const m = /^bearer +(.*)$/i.exec(req.headers.authorization ?? '');
    const got = Buffer.from(m?.[1] ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      return reply.code(401).send({ errors: ['Missing or wrong bearer token: send "Authorization: Bearer <EBBFLOW_TOKEN>"'] });
    }
  });
}
