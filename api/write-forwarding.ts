/**
 * HA: a standby dispatcher serves every read itself (job state is in Redis, bundles in the shared
 * storage directory) and hands every write (POST, PUT, PATCH, DELETE, and a state-changing GET) to
 * the leader: `proxy` streams the request, body included (an upload is never buffered here; the
 * leader applies its own limits), to the leader's advertised URL and the answer back; `redirect`
 * answers 307 with `Location` on the leader (the method and body are to be repeated there). Runs
 * after the request guard and the token check, so a refused request goes nowhere.
 *
 * A forwarded request whose connection to the leader carries nothing either way for `timeoutMs` (a
 * leader paused or cut off without a reset) is given up: 504 if the leader had not answered yet, the
 * connection closed otherwise. Without it a standby would hold the client until the leader resumed.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** Where writes go while this dispatcher does not lead. */
export interface WriteForwarding {
  /** Whether this dispatcher leads now (it then serves writes itself). */
  isLeader(): boolean;
  /** The leader's advertised REST URL, when one is known. */
  leaderUrl(): string | undefined;
  mode: 'proxy' | 'redirect';
  /** This dispatcher's id, sent along (`X-Ebbflow-Forwarded-By`) so a forwarded request is never forwarded again. */
  selfId: string;
  /** Idle time after which a forwarded request is given up (ms). @default 60000 */
  timeoutMs?: number;
}

/** Longer than any write the leader answers after waiting (a run waits up to 30 s for its job process). */
export const DEFAULT_FORWARD_TIMEOUT_MS = 60_000;

export const FORWARDED_BY_HEADER = 'x-ebbflow-forwarded-by';
/** On a forwarded or redirected answer: the leader that served it. */
export const LEADER_HEADER = 'x-ebbflow-leader';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
// Not passed on: they describe this hop's connection only.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

function isWrite(req: FastifyRequest): boolean {
  return !READS.has(req.method) || req.routeOptions.config?.stateChangingGet === true;
}

/** 503 while no leader is known: `X-Ebbflow-Leader: none` tells a client (the CLI) to retry shortly, here or elsewhere. */
const unavailable = (reply: FastifyReply, message: string) => reply.code(503).header('Retry-After', '1').header(LEADER_HEADER, 'none').send({ errors: [message] });

export function installWriteForwarding(app: FastifyInstance, f: WriteForwarding, log: Logger): void {
  app.addHook('onRequest', async (req, reply) => {
    if (!isWrite(req) || f.isLeader()) return;
    if (req.headers[FORWARDED_BY_HEADER]) {
      return unavailable(reply, 'This dispatcher was forwarded a write as leader but no longer leads (an election is under way); retry shortly');
    }
    const leader = f.leaderUrl();
    if (!leader) return unavailable(reply, 'No dispatcher leads right now (an election is under way); retry shortly');
    const target = new URL(req.originalUrl, leader);
    if (f.mode === 'redirect') {
      return reply.code(307).header('Location', target.href).header(LEADER_HEADER, leader)
        .send({ errors: [`This dispatcher is a standby; repeat the request at the leader, ${target.href}`] });
    }
    return proxy(req, reply, target, leader, f, log);
  });
}

class ForwardTimeout extends Error {}

function proxy(req: FastifyRequest, reply: FastifyReply, target: URL, leader: string, f: WriteForwarding, log: Logger): FastifyReply {
  const { selfId } = f;
  const timeoutMs = f.timeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS;
  reply.hijack();
  const headers: IncomingHttpHeaders = { ...req.headers, [FORWARDED_BY_HEADER]: selfId };
  for (const h of HOP_BY_HOP) delete headers[h];
  // A body without a length (chunked) is sent chunked again; one with a length keeps it.
  if (req.headers['transfer-encoding']) headers['transfer-encoding'] = 'chunked';
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const up = send(target, { method: req.method, headers }, (res) => {
    const out: Record<string, string | string[]> = { [LEADER_HEADER]: leader };
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP_BY_HOP.includes(k)) out[k] = v;
    reply.raw.writeHead(res.statusCode ?? 502, out);
    res.pipe(reply.raw);
    res.on('error', () => reply.raw.destroy());
  });
  up.setTimeout(timeoutMs, () => up.destroy(new ForwardTimeout(`the leader at ${leader} sent nothing for ${timeoutMs} ms`)));
  up.on('error', (err) => {
    const timedOut = err instanceof ForwardTimeout;
    log.warn({ err: err.message, leader, url: req.url, timedOut }, timedOut ? 'gave up a write forwarded to the leader' : 'could not forward a write to the leader');
    if (reply.raw.headersSent) { reply.raw.destroy(); return; }
    const body = JSON.stringify({ errors: [timedOut
      ? `This dispatcher is a standby; the leader at ${leader} did not answer the forwarded request within ${timeoutMs} ms (it may be paused or cut off); the request may or may not have been applied: check before repeating it`
      : `This dispatcher is a standby and could not reach the leader at ${leader} (${err.message}); retry shortly (a new leader is elected within the lease)`] });
    reply.raw.writeHead(timedOut ? 504 : 503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1', [LEADER_HEADER]: timedOut ? leader : 'none', 'content-length': Buffer.byteLength(body), connection: 'close' });
    reply.raw.end(body);
  });
  // The client going away ends the forwarded request too.
  req.raw.on('aborted', () => up.destroy());
  reply.raw.on('close', () => { if (!reply.raw.writableFinished) up.destroy(); });
  req.raw.pipe(up);
  return reply;
}
