/**
 * Where a state-changing request may come from (api/request-guard.ts): a same-origin page needs no
 * custom header, a cross-site one is refused however it says so, clients that are not browsers
 * pass; the legacy GET /jobs/:id/yarn-cancel only from our own pages or with the token. Flink's
 * /v1 prefix reaches the same routes (and not the web form's files).
 */
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/index.js';
import { buildTestingApp, TestingDispatcherGateway } from '../helpers/testing-dispatcher-gateway.js';

const HOST = 'localhost:8081';
const OWN = `http://${HOST}`;

let app: FastifyInstance;
let gw: TestingDispatcherGateway;
beforeAll(async () => { ({ app, gw } = await buildTestingApp()); });
afterAll(async () => { await app?.close(); });

const cancel = (id: string, headers: Record<string, string>) => app.inject({ method: 'PATCH', url: `/jobs/${id}?mode=cancel`, headers: { host: HOST, ...headers } });

describe('state-changing requests by origin', () => {
  it('accepts same-origin writes without X-Ebbflow-Request, by Origin or by Sec-Fetch-Site', async () => {
    expect((await cancel(gw.addJob().id, { origin: OWN })).statusCode).toBe(202);
    expect((await cancel(gw.addJob().id, { 'sec-fetch-site': 'same-origin' })).statusCode).toBe(202);
    expect((await cancel(gw.addJob().id, { origin: OWN, 'sec-fetch-site': 'same-origin' })).statusCode).toBe(202);
    // The web form's header still works (it is simply no longer needed).
    expect((await cancel(gw.addJob().id, { origin: OWN, 'x-ebbflow-request': '1' })).statusCode).toBe(202);
  });

  it('refuses cross-site writes: a foreign Origin, Sec-Fetch-Site cross-site or same-site, Origin "null"', async () => {
    const cases: Array<Record<string, string>> = [
      { origin: 'http://attacker.example' },
      { origin: 'http://localhost:3000' }, // another port is another origin
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: OWN, 'sec-fetch-site': 'cross-site' }, // a forged Origin cannot outvote the browser's own header
      { origin: 'http://attacker.example', 'sec-fetch-site': 'same-origin', 'x-ebbflow-request': '1' },
    ];
    for (const headers of cases) {
      const job = gw.addJob();
      const res = await cancel(job.id, headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json().errors[0]).toMatch(/Cross-origin request from .* refused/);
      expect(gw.callsOf('cancelJob').flat()).not.toContain(job.id);
    }
  });

  it('lets clients that are not browsers (no Origin, no Sec-Fetch-Site) through as before', async () => {
    expect((await cancel(gw.addJob().id, {})).statusCode).toBe(202);
    expect((await app.inject({ method: 'POST', url: `/jobs/${gw.addJob().id}/savepoints`, headers: { host: HOST }, payload: {} })).statusCode).toBe(202);
  });

  it('leaves reads from any origin alone', async () => {
    expect((await app.inject({ method: 'GET', url: '/jobs', headers: { host: HOST, origin: 'http://attacker.example', 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(200);
  });
});

describe('GET /jobs/:jobid/yarn-cancel (a GET that cancels)', () => {
  const yarnCancel = (a: FastifyInstance, id: string, headers: Record<string, string>) => a.inject({ method: 'GET', url: `/jobs/${id}/yarn-cancel`, headers: { host: HOST, ...headers } });

  it('without a token: only from our own pages', async () => {
    for (const headers of [{}, { origin: 'http://attacker.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'none' }] as Array<Record<string, string>>) {
      const job = gw.addJob();
      const res = await yarnCancel(app, job.id, headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(gw.callsOf('cancelJob').flat()).not.toContain(job.id);
    }
    for (const headers of [{ 'sec-fetch-site': 'same-origin' }, { origin: OWN }] as Array<Record<string, string>>) {
      const job = gw.addJob();
      expect((await yarnCancel(app, job.id, headers)).statusCode, JSON.stringify(headers)).toBe(202);
      expect(gw.callsOf('cancelJob').flat()).toContain(job.id);
    }
    // Under Flink's /v1 prefix too.
    expect((await app.inject({ method: 'GET', url: `/v1/jobs/${gw.addJob().id}/yarn-cancel`, headers: { host: HOST } })).statusCode).toBe(403);
  });

  it('with a token: with the token (a CLI), never cross-site, never without it', async () => {
    const tgw = new TestingDispatcherGateway();
    const tapp = await buildApp(tgw, { host: '127.0.0.1', allowedHosts: [], token: 's3cret-token', requestTimeoutMs: 10_000, redisUrl: 'redis://testing', log: pino({ level: 'silent' }) });
    try {
      const auth = { authorization: 'Bearer s3cret-token' };
      expect((await yarnCancel(tapp, tgw.addJob().id, auth)).statusCode).toBe(202);
      expect((await yarnCancel(tapp, tgw.addJob().id, {})).statusCode).toBe(401);
      expect((await yarnCancel(tapp, tgw.addJob().id, { 'sec-fetch-site': 'same-origin' })).statusCode).toBe(401);
      expect((await yarnCancel(tapp, tgw.addJob().id, { ...auth, 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
      expect(tgw.callsOf('cancelJob')).toHaveLength(1);
    } finally {
      await tapp.close();
    }
  });
});

describe("Flink's /v1 prefix", () => {
  it('serves every REST route under /v1 as well, and not the web form', async () => {
    const job = gw.addJob();
    const plain = await app.inject({ method: 'GET', url: '/jobs/overview', headers: { host: HOST } });
    const v1 = await app.inject({ method: 'GET', url: '/v1/jobs/overview', headers: { host: HOST } });
    expect(v1.statusCode).toBe(200);
    expect(v1.json().jobs.map((j: { jid: string }) => j.jid)).toEqual(plain.json().jobs.map((j: { jid: string }) => j.jid));
    expect((await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}?x=1`, headers: { host: HOST } })).json().jid).toBe(job.id);
    expect((await app.inject({ method: 'PATCH', url: `/v1/jobs/${job.id}?mode=cancel`, headers: { host: HOST } })).statusCode).toBe(202);
    for (const url of ['/v1/', '/v1/ui/app.js', '/v1/openapi.yaml', '/v1', '/v2/jobs']) {
      expect((await app.inject({ method: 'GET', url, headers: { host: HOST } })).statusCode, url).toBe(404);
    }
  });
});
