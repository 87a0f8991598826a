/**
 * Defences against other web pages driving a dispatcher on this machine:
 *
 * - DNS rebinding: a request whose `Host` is not one of the names the
 *   dispatcher is reached by (its bind address, localhost, 127.0.0.1, [::1],
 *   and `allowedHosts`) gets 403.
 * - Cross-site requests: a state-changing request (POST, PUT, PATCH, DELETE)
 *   from a browser must come from the dispatcher's own origin: an `Origin`
 *   other than the one the request reached (its Host), or a `Sec-Fetch-Site`
 *   of `cross-site` or `same-site` (another port or subdomain is another
 *   origin), answers 403. A same-origin page (Origin equal to ours, or
 *   Sec-Fetch-Site: same-origin) needs nothing more; the web form still sends
 *   `X-Ebbflow-Request`, which is no longer required. Clients that send
 *   neither header (the CLI, curl, Flink's REST client) are not browsers and
 *   are let through.
 * - State-changing GETs (Flink's legacy `GET /jobs/:jobid/yarn-cancel`, marked
 *   with the route config `stateChangingGet`) run only for a same-origin
 *   request or, when a token is configured, one that carries it (auth.ts has
 *   checked it by then); anything else gets 403, so a link or an <img> on
 *   another site cannot cancel a job.
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

/** Route config of a GET that changes state (see above). */
export interface GuardRouteConfig { stateChangingGet?: boolean }

declare module 'fastify' {
  interface FastifyContextConfig extends GuardRouteConfig {}
}

type Verdict = 'same-origin' | 'foreign' | 'not-a-browser';

/** Where a request comes from, by its Origin and Sec-Fetch-Site headers. */
function requestOrigin(origin: string | undefined, fetchSite: string | undefined, host: string): Verdict {
  if (origin !== undefined) {
    let same = false;
    try { same = new URL(origin).host.toLowerCase() === host.toLowerCase(); } catch { /* "null" or garbage: not ours */ }
    if (!same) return 'foreign';
  }
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') return 'foreign';
  if (origin !== undefined || fetchSite === 'same-origin') return 'same-origin';
  return 'not-a-browser';
}

export function installRequestGuard(app: FastifyInstance, bindHost: string, allowedHosts: string[], tokenConfigured = false): void {
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
    const fetchSite = typeof req.headers['sec-fetch-site'] === 'string' ? req.headers['sec-fetch-site'].toLowerCase() : undefined;
    const from = requestOrigin(origin, fetchSite, host);
    if (UNSAFE.has(req.method) && from === 'foreign') {
      return reply.code(403).send({ errors: [`Cross-origin request from ${origin ?? `a ${fetchSite} page`} refused`] });
    }
    if (req.routeOptions.config?.stateChangingGet && from !== 'same-origin' && !(tokenConfigured && from !== 'foreign')) {
      return reply.code(403).send({ errors: [`${req.method} ${req.url.split('?')[0]} changes state: it is only accepted from the dispatcher's own pages (same origin) or with the bearer token; use PATCH /jobs/{jobid}?mode=cancel`] });
    }
    if (UI_PATHS.has(req.url.split('?')[0]!)) {
      reply.header('X-Frame-Options', 'DENY');
      reply.header('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
      reply.header('Referrer-Policy', 'no-referrer');
    }
  });
}
