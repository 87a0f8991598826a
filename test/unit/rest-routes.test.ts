/**
 * The REST routes on an in-memory gateway (no Redis, no processes): requests that break
 * openapi.yaml's schemas get 400 `{"errors"}` naming the field (after the 404 of an unknown job or
 * jar, which the gateway answers first) and never reach a use case's work; valid
 * ones reach it parsed (Flink's nulls and extra fields accepted, query values coerced strictly);
 * the gateway's errors become their statuses. Also: the generated schemas are fresh.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdConflict, InvalidRequest, JobNotInState, Unavailable } from '../../dispatcher/index.js';
import { buildTestingApp, type TestingDispatcherGateway } from '../helpers/testing-dispatcher-gateway.js';
import { generatedFiles } from '../../scripts/gen-openapi.mjs';
import { JOB_OPTIONS } from '../../config/index.js';
import { ROUTE_SCHEMAS } from '../../rest/index.js';
import { UI_ASSETS } from '../../api/ui-files.js';
import { UPPER_BOUND_MAX_PARALLELISM } from '../../state/key-groups.js';

let app: FastifyInstance;
let gw: TestingDispatcherGateway;
beforeEach(async () => { ({ app, gw } = await buildTestingApp()); });
afterEach(async () => { await app.close(); });

async function send(method: string, url: string, body?: unknown): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const res = await app.inject({ method: method as 'GET', url, ...(body !== undefined ? { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
}

describe('request validation from openapi.yaml', () => {
  it('refuses a missing or malformed rescale parallelism with 400 naming it, without calling the gateway', async () => {
    const job = gw.addJob();
    const cases: Array<[string, RegExp]> = [
      ['', /^the query parameter "parallelism" is missing: PATCH \/jobs\/<jobid>\/rescaling\?parallelism=<n>$/],
      ['?parallelism=', /"parallelism" is missing/],
      ['?parallelism=abc', /^parallelism must be an integer, got "abc"$/],
      ['?parallelism=1e2', /^parallelism must be an integer, got "1e2"$/],
      ['?parallelism=1.5', /parallelism must be an integer/],
      ['?parallelism=0', /^parallelism must be at least 1, got 0$/],
      ['?parallelism=-3', /at least 1, got -3/],
    ];
    for (const [query, message] of cases) {
      const a = await send('PATCH', `/jobs/${job.id}/rescaling${query}`);
      expect(a.status, query).toBe(400);
      expect(a.body.errors, query).toEqual([expect.stringMatching(message)]);
    }
    expect(gw.callsOf('rescale')).toEqual([]);
    const ok = await send('PATCH', `/jobs/${job.id}/rescaling?parallelism=+3`);
    expect(ok.status).toBe(202);
    expect(gw.callsOf('rescale')).toEqual([[job.id, 3]]);
  });

  it('names every bad field of a run body, and passes Flink\'s nulls and unknown fields through as absent', async () => {
    const jar = 'a'.repeat(32) + '_job.mjs';
    gw.jars.set(jar, { id: jar, name: 'job.mjs', uploaded: 0, size: 0, kind: 'module', bundlePath: '/x', entry: undefined });
    const bad = await send('POST', `/jars/${jar}/run`, { parallelism: 'two', jobId: 'XYZ', programArgsList: [1], entryClass: 5, 'cancel-job': 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/^parallelism must be an integer from 1 to 32768 or a string of digits or null, got "two"$/),
      'jobId must be 32 lowercase hexadecimal characters, got "XYZ"',
      'programArgsList.0 must be a string, got 1',
      'entryClass must be a string or null, got 5',
    ]));
    expect(bad.body.errors).toHaveLength(4);
    expect((await send('POST', `/jars/${jar}/run`, { parallelism: 40000 })).body.errors).toEqual([expect.stringMatching(/^parallelism must be .*, got 40000$/)]);
    expect((await send('POST', `/jars/${jar}/run`, [1, 2])).body.errors).toEqual(['the request body must be an object or null, got [1,2]']);
    expect(gw.callsOf('submitJob')).toEqual([]);

    const flink = { entryClass: null, programArgs: null, programArgsList: null, parallelism: null, jobId: null, savepointPath: null, allowNonRestoredState: null, flinkConfiguration: null, restoreMode: 'NO_CLAIM' };
    const ok = await send('POST', `/jars/${jar}/run?parallelism=3&programArg=a%20%22b%20c%22`, flink);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(gw.callsOf('submitJob')).toEqual([[jar, { entryClass: undefined, programArgs: ['a', 'b c'], parallelism: '3', jobId: undefined, savepointPath: undefined, configuration: undefined }]]);
  });

  it('matches the cancel mode in any case and refuses other modes; checks savepoint and stop bodies', async () => {
    const job = gw.addJob();
    expect((await send('PATCH', `/jobs/${job.id}?mode=CANCEL`)).status).toBe(202);
    const stop = await send('PATCH', `/jobs/${job.id}?mode=stop`);
    expect(stop.status).toBe(400);
    expect(stop.body.errors).toEqual(['mode must be one of "cancel", got "stop"']);
    expect(gw.callsOf('cancelJob')).toEqual([[job.id]]);

    const sp = await send('POST', `/jobs/${job.id}/savepoints`, { 'cancel-job': 'yes', 'target-directory': 7 });
    expect(sp.status).toBe(400);
    expect(sp.body.errors.sort()).toEqual(['cancel-job must be a boolean or null, got "yes"', 'target-directory must be a string or null, got 7']);
    expect((await send('POST', `/jobs/${job.id}/savepoints`, { 'target-directory': null, 'cancel-job': false, triggerId: null, formatType: 'CANONICAL' })).status).toBe(202);
    expect((await send('POST', `/jobs/${job.id}/stop`, { drain: 'no' })).body.errors).toEqual(['drain must be a boolean or null, got "no"']);
    expect(gw.callsOf('triggerSavepoint')).toEqual([[job.id, { targetDirectory: undefined, cancelJob: false, triggerId: undefined }]]);
    expect(gw.callsOf('stopWithSavepoint')).toEqual([]);
  });

  it('answers an unknown job or jar with 404 before a bad parameter or body with 400 (the order the API always had)', async () => {
    const nobody = 'f'.repeat(32);
    const cases: Array<[string, string, unknown, string]> = [
      ['PATCH', `/jobs/${nobody}/rescaling?parallelism=abc`, undefined, `Job ${nobody} does not exist`],
      ['PATCH', `/jobs/${nobody}/rescaling`, undefined, `Job ${nobody} does not exist`],
      ['POST', `/jobs/${nobody}/savepoints`, { 'target-directory': 5 }, `Job ${nobody} does not exist`],
      ['POST', `/jobs/${nobody}/stop`, [1], `Job ${nobody} does not exist`],
      ['POST', '/jars/nojar/run', { parallelism: 0 }, 'Jar "nojar" does not exist'],
    ];
    for (const [method, url, body, message] of cases) {
      const a = await send(method, url, body);
      expect(a.status, url).toBe(404);
      expect(a.body.errors, url).toEqual([message]);
    }
    const notJson = await app.inject({ method: 'POST', url: '/jars/nojar/run', payload: 'x', headers: { 'content-type': 'text/plain' } });
    expect(notJson.statusCode).toBe(404);
    expect(gw.refused).toEqual([]);

    const job = gw.addJob();
    const jar = 'a'.repeat(32) + '_job.mjs';
    gw.jars.set(jar, { id: jar, name: 'job.mjs', uploaded: 0, size: 0, kind: 'module', bundlePath: '/x', entry: undefined });
    expect((await send('PATCH', `/jobs/${job.id}/rescaling?parallelism=abc`)).status).toBe(400);
    expect((await send('POST', `/jobs/${job.id}/stop`, [1])).body.errors).toEqual(['the request body must be an object or null, got [1]']);
    expect((await app.inject({ method: 'POST', url: `/jars/${jar}/run`, payload: 'x', headers: { 'content-type': 'text/plain' } })).statusCode).toBe(415);
    expect(gw.refused).toEqual(['rescale', 'stopWithSavepoint', 'submitJob']);
    expect(gw.calls.filter((c) => ['rescale', 'stopWithSavepoint', 'submitJob'].includes(c.method))).toEqual([]);
  });

  it('hands the shape problems of a resource-requirements body to the gateway, which reports them with the bounds', async () => {
    const job = gw.addJob();
    const v = 'b'.repeat(32);
    const a = await send('PUT', `/jobs/${job.id}/resource-requirements`, { [v]: { parallelism: { lowerBound: '1', extra: true } } });
    expect(a.status).toBe(200);
    const [[jobId, body, problems]] = gw.callsOf('setResourceRequirements') as [[string, unknown, Array<{ path: string[]; problem: string }>]];
    expect(jobId).toBe(job.id);
    expect(body).toEqual({ [v]: { parallelism: { lowerBound: '1', extra: true } } });
    expect(problems.map((p) => ({ path: p.path, problem: p.problem }))).toEqual(expect.arrayContaining([
      { path: [v, 'parallelism', 'upperBound'], problem: 'must be an integer, got nothing' },
      { path: [v, 'parallelism'], problem: 'has unknown field(s) "extra"' },
      { path: [v, 'parallelism', 'lowerBound'], problem: 'must be an integer, got "1"' },
    ]));
    expect(problems).toHaveLength(3);
  });
});

describe('the gateway\'s errors', () => {
  it('answer with their status and Flink\'s {"errors"} shape', async () => {
    const job = gw.addJob();
    expect(await send('GET', `/jobs/${'0'.repeat(32)}`)).toMatchObject({ status: 404, body: { errors: [`Job ${'0'.repeat(32)} does not exist`] } });
    const cases: Array<[Error, number]> = [[new InvalidRequest(['a', 'b']), 400], [new JobNotInState('ended'), 409], [new IdConflict('taken'), 409], [new Unavailable('busy', 5), 503]];
    for (const [err, status] of cases) {
      gw.fail('cancelJob', err);
      const a = await send('PATCH', `/jobs/${job.id}`);
      expect(a.status, err.name).toBe(status);
      expect(a.body).toEqual({ errors: (err as InvalidRequest).messages });
      if (err instanceof Unavailable) expect(a.headers['retry-after']).toBe('5');
    }
  });
});

describe('rest/generated', () => {
  it('is what scripts/gen-openapi.mjs makes of openapi.yaml now (npm run gen:openapi)', () => {
    for (const [file, text] of Object.entries(generatedFiles() as Record<string, string>)) {
      expect(readFileSync(join(import.meta.dirname, '../..', file), 'utf8'), `${file} is stale: run npm run gen:openapi`).toBe(text);
    }
  });

  it('bounds a run request\'s parallelism as the key groups and pipeline.max-parallelism do (openapi.yaml cannot import the constant)', () => {
    const body = ROUTE_SCHEMAS['POST /jars/{jarid}/run']!.body!.content['application/json']!.schema as { properties: { parallelism: { anyOf: Array<{ type?: string; maximum?: number }> } } };
    const integer = body.properties.parallelism.anyOf.find((s) => s.type === 'integer');
    expect(integer?.maximum).toBe(UPPER_BOUND_MAX_PARALLELISM);
    expect(JOB_OPTIONS.maxParallelism.max).toBe(UPPER_BOUND_MAX_PARALLELISM);
  });

  it('lists the web form\'s files as api/ui-files.ts serves them, and 404s any other', async () => {
    const params = ROUTE_SCHEMAS['GET /ui/{file}']!.params as { properties: { file: { enum: string[] } } };
    expect([...params.properties.file.enum].sort()).toEqual(Object.keys(UI_ASSETS).sort());
    const other = await app.inject({ method: 'GET', url: '/ui/other.js' });
    expect(other.statusCode).toBe(404);
    expect(JSON.parse(other.body)).toEqual({ errors: ['Not found: GET /ui/other.js'] });
  });
});
