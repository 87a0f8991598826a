/**
 * A standby's forwarded write to a leader that accepts the connection and then says nothing (paused,
 * or cut off without a reset): given up with 504 after the forward timeout, instead of holding the
 * client until the leader resumes. A leader that answers is passed through as before.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWriteForwarding, LEADER_HEADER } from '../../api/write-forwarding.js';

const sockets: Socket[] = [];
const silent = createServer((s) => { sockets.push(s); s.on('error', () => {}); }); // reads nothing, answers nothing
let answering: Server;
let silentUrl = '';
let answeringUrl = '';
let standby: FastifyInstance;
let leaderUrl = '';

async function listen(server: Server | ReturnType<typeof createServer>): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

beforeAll(async () => {
  silentUrl = await listen(silent);
  answering = createHttpServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(202, { 'content-type': 'application/json' }); res.end('{"ok":true}'); }); });
  answeringUrl = await listen(answering);
  standby = Fastify();
  installWriteForwarding(standby, { isLeader: () => false, leaderUrl: () => leaderUrl, mode: 'proxy', selfId: 'standby-1', timeoutMs: 400 }, pino({ level: 'silent' }));
  standby.post('/jobs', async () => ({ never: 'served here' }));
  await standby.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await standby?.close();
  await new Promise((r) => silent.close(r));
  await new Promise((r) => answering?.close(r));
});

const standbyUrl = () => { const a = standby.server.address(); return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`; };

describe('a write forwarded to a silent leader', () => {
  it('is answered 504 after the forward timeout, naming the leader', async () => {
    leaderUrl = silentUrl;
    const t0 = performance.now();
    const res = await fetch(`${standbyUrl()}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}', signal: AbortSignal.timeout(10_000) });
    const took = performance.now() - t0;
    expect(res.status).toBe(504);
    expect(res.headers.get(LEADER_HEADER)).toBe(silentUrl);
    const body = await res.json() as { errors: string[] };
    expect(body.errors[0]).toContain(`the leader at ${silentUrl} did not answer the forwarded request within 400 ms`);
    expect(took).toBeGreaterThanOrEqual(390);
    expect(sockets.length).toBeGreaterThan(0); // it did reach the leader
  });

  it('passes an answering leader\'s answer through', async () => {
    leaderUrl = answeringUrl;
    const res = await fetch(`${standbyUrl()}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ok: true });
    expect(res.headers.get(LEADER_HEADER)).toBe(answeringUrl);
  });
});
