/**
 * openapi.yaml is the exact description of the REST API: every served route is
 * in the spec, every spec route is served, the spec itself is valid OpenAPI,
 * and error bodies have the documented shape.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDispatcher, json, type TestDispatcher } from '../helpers/dispatcher.js';
import { expectSpecResponse, spec, SPEC_PATH } from '../helpers/openapi.js';

let d: TestDispatcher;
beforeAll(async () => { d = await startTestDispatcher(); });
afterAll(async () => { await d?.close(); });

describe('openapi.yaml', () => {
  it('is a valid OpenAPI document', async () => {
    const v = new Validator();
    const res = await v.validate(SPEC_PATH.pathname);
    expect(res.valid, JSON.stringify(res.errors)).toBe(true);
  });

  it('lists exactly the routes the server serves', () => {
    const served = new Set(collectRoutes(d));
    const specRoutes = new Set<string>();
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const m of Object.keys(ops)) if (['get', 'post', 'put', 'patch', 'delete'].includes(m)) specRoutes.add(`${m.toUpperCase()} ${path}`);
    }
    expect([...served].sort()).toEqual([...specRoutes].sort());
  });

  it("documents Flink's /v1 prefix once, as a server, and serves the routes there too", async () => {
    const servers = (spec as unknown as { servers: Array<{ url: string }> }).servers.map((x) => new URL(x.url).pathname);
    expect(servers).toContain('/v1');
    for (const p of ['/overview', '/config', '/taskmanagers', '/jobs', '/jobs/overview', '/jars']) {
      const res = await fetch(`${d.url}/v1${p}`);
      expect(res.status, `/v1${p}`).toBe(200);
      await expectSpecResponse('get', p, 200, await json(res));
    }
    // The web form's files are not part of the REST API.
    expect((await fetch(`${d.url}/v1/`)).status).toBe(404);
  });

  it('serves itself at /openapi.yaml', async () => {
    const res = await fetch(`${d.url}/openapi.yaml`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('openapi: 3.0.3');
  });

  it('describes the cluster endpoints and the error shape', async () => {
    for (const p of ['/overview', '/config', '/taskmanagers', '/jobs', '/jobs/overview', '/jars']) {
      const res = await fetch(d.url + p);
      expect(res.status, p).toBe(200);
      await expectSpecResponse('get', p, 200, await json(res));
    }
    const res = await fetch(`${d.url}/jobs/${'0'.repeat(32)}`);
    expect(res.status).toBe(404);
    await expectSpecResponse('get', '/jobs/{jobid}', 404, await json(res));
    const unknownRoute = await fetch(`${d.url}/no/such/route`);
    expect(unknownRoute.status).toBe(404);
    expect(await json(unknownRoute)).toEqual({ errors: [expect.stringContaining('/no/such/route')] });
  });
});

/** Routes registered on the app, as "METHOD /path/{param}" (HEAD routes fastify adds are left out). */
function collectRoutes(t: TestDispatcher): string[] {
  return (t.app as unknown as { ebbflowRoutes: string[] }).ebbflowRoutes;
}
