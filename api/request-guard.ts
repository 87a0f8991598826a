/**
 * Defences against other web pages driving a dispatcher on this machine:
 *
 * - DNS rebinding: a request whose `Host` is not one of the names the
 *   dispatcher is reached by (its bind address, localhost, 127.0.0.1, [::1],
 *   and `allowedHosts`) gets 403.
 * - Cross-site requests: a state-changing request (POST, PUT, PATCH, DELETE)
 *   carrying an `Origin` must come from the dispatcher's own origin and carry
 *   the `X-Ebbflow-Request` header, which no simple (CORS-free) request can
 *   set; the web form sends it. Clients without an `Origin` (the CLI, curl,
 *   Flink tools) are not browsers and are let through.
 * - Every answer carries `X-Content-Type-Options: nosniff`; the web form's
 *   pages also a strict Content-Security-Policy and `X-Frame-Options: DENY`.
 */
import type { FastifyInstance } from 'fastify';
import { DISPATCHER_OPTIONS } from '../config/index.js';
import { UI_PATHS } from './ui-files.js';

export const REQUEST_HEADER = 'x-ebbflow-request';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const i = h.lastIndexOf(':');
  return i > 0 ? h.slice(0, i) : h;
}

export function installRequestGuard(app: FastifyInstance, bindHost: string, allowedHosts: string[]): void {
  const allowed = new Set(['localhost', '127.0.0.1', '[::1]', ...allowedHosts.map((h) => h.toLowerCase())]);
  const bind = bindHost.toLowerCase();
  if (bind !== '0.0.0.0' && bind !== '::') allowed.add(bind.includes(':') ? `[${bind}]` : bind);
  // Bound to every address: any Host naming an IP literal is one of ours; names still need allowing.
  const anyIp = bind === '0.0.0.0' || bind === '::';
  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    const host = req.headers.host;
    const name = host ? hostName(host) : '';
    const ipLiteral = /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.startsWith('[');
    if (!host || !(allowed.has(name) || (anyIp && ipLiteral))) {
      return reply.code(403).send({ errors: [`Host "${host ?? ''}" is not one of this dispatcher's names; add it with --allowed-hosts (${DISPATCHER_OPTIONS.allowedHosts.env})`] });
    }
    const origin = req.headers.origin;
    if (origin !== undefined && UNSAFE.has(req.method)) {
      let sameOrigin = false;
      try { sameOrigin = new URL(origin).host.toLowerCase() === host.toLowerCase(); } catch { /* "null" or garbage */ }
      if (!sameOrigin) return reply.code(403).send({ errors: [`Cross-origin request from ${origin} refused`] });
      if (req.headers[REQUEST_HEADER] === undefined) return reply.code(403).send({ errors: [`A browser request that changes state must carry the ${REQUEST_HEADER} header`] });
    }
    if (UI_PATHS.has(req.url.split('?')[0]!)) {
      reply.header('X-Frame-Options', 'DENY');
      reply.header('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
      reply.header('Referrer-Policy', 'no-referrer');
    }
  });
}
