/**
 * A query parameter given more than once where openapi.yaml wants one value answers 400 naming
 * it (once, not once per schema keyword), on every route with query parameters, without reaching
 * the use case; a single value still works.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestingApp, type TestingDispatcherGateway } from '../helpers/testing-dispatcher-gateway.js';

let app: FastifyInstance;
let gw: TestingDispatcherGateway;
beforeEach(async () => { ({ app, gw } = await buildTestingApp()); });
afterEach(async () => { await app.close(); });

async function send(method: 'PATCH' | 'POST', url: string): Promise<{ status: number; errors: string[] }> {
  const res = await app.inject({ method, url });
  return { status: res.statusCode, errors: JSON.parse(res.body).errors };
}

describe('repeated query parameters', () => {
  it('answers 400 naming the parameter on cancel, rescale and run', async () => {
    const job = gw.addJob();
    const jar = { id: 'abc_job.mjs' };
    gw.jars.set(jar.id, { id: jar.id, name: 'job.mjs', uploaded: 0, size: 0, kind: 'module', bundlePath: '/x', entry: undefined });
    const cases: Array<['PATCH' | 'POST', string, string]> = [
      ['PATCH', `/jobs/${job.id}?mode=CANCEL&mode=x`, 'the query parameter "mode" must be given once, got 2 values ["CANCEL","x"]'],
      ['PATCH', `/jobs/${job.id}/rescaling?parallelism=2&parallelism=3`, 'the query parameter "parallelism" must be given once, got 2 values ["2","3"]'],
      ['POST', `/jars/${jar.id}/run?parallelism=2&parallelism=3&entry-class=a`, 'the query parameter "parallelism" must be given once, got 2 values ["2","3"]'],
      ['POST', `/jars/${jar.id}/run?entry-class=a&entry-class=b&entry-class=c`, 'the query parameter "entry-class" must be given once, got 3 values ["a","b","c"]'],
    ];
    for (const [method, url, message] of cases) {
      const res = await send(method, url);
      expect(res, url).toEqual({ status: 400, errors: [message] });
    }
    expect(gw.callsOf('cancelJob')).toEqual([]);
    expect(gw.refused).toEqual(['rescale', 'submitJob', 'submitJob']);
    // One value is still fine.
    expect((await send('PATCH', `/jobs/${job.id}?mode=CANCEL`)).status).toBe(202);
  });
});
