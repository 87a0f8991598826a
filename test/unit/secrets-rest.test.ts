/**
 * The REST answers on an in-memory gateway mask secrets (no Redis, no processes): job details,
 * the exception history, operation failures and savepoint locations, the 503 naming a Redis URL
 * with a password. The job record itself keeps the real values.
 */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/index.js';
import type { OperationRecord } from '../../metadata/index.js';
import { TestingDispatcherGateway } from '../helpers/testing-dispatcher-gateway.js';

const LEAK = /s3cret/;
let app: FastifyInstance;
let gw: TestingDispatcherGateway;
beforeEach(async () => {
  gw = new TestingDispatcherGateway();
  app = await buildApp(gw, { host: '127.0.0.1', allowedHosts: [], requestTimeoutMs: 10_000, redisUrl: 'redis://:redis-s3cret@10.0.0.1:6379', log: pino({ level: 'silent' }) });
});
afterEach(async () => { await app.close(); });

async function get(url: string): Promise<{ status: number; text: string; body: any }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, text: res.body, body: JSON.parse(res.body) };
}

describe('secrets in REST answers', () => {
  it('masks flinkConfiguration, programArgs, savepointPath and failure causes of a job; the record keeps them', async () => {
    const cause = 'Error: login failed for --password arg-s3cret at redis://:url-s3cret@h:1 (secret conf-s3cret)';
    const job = gw.addJob({
      state: 'FAILED', failureCause: cause, savepointPath: 's3://AKIA:sp-s3cret@bucket/sp-1',
      configuration: { 'mesos.resourcemanager.framework.secret': 'conf-s3cret', 'parallelism.default': 2 },
      programArgs: ['--password', 'arg-s3cret', '--input', 'in'],
      exceptions: [{ timestamp: 1, cause, taskName: 'map', location: null }],
    });
    const details = await get(`/jobs/${job.id}`);
    expect(details.status).toBe(200);
    expect(details.text).not.toMatch(LEAK);
    expect(details.body.flinkConfiguration).toEqual({ 'mesos.resourcemanager.framework.secret': '******', 'parallelism.default': 2 });
    expect(details.body.programArgs).toEqual(['--password', '******', '--input', 'in']);
    expect(details.body.savepointPath).toBe('s3://AKIA:******@bucket/sp-1');
    expect(details.body['failure-cause']).toBe('Error: login failed for --password ****** at redis://:******@h:1 (secret ******)');

    const ex = await get(`/jobs/${job.id}/exceptions`);
    expect(ex.text).not.toMatch(LEAK);
    expect(ex.body['root-exception']).toBe(details.body['failure-cause']);
    expect(gw.jobs.get(job.id)!.configuration['mesos.resourcemanager.framework.secret']).toBe('conf-s3cret');
  });

  it('masks an operation\'s failure cause and location', async () => {
    const job = gw.addJob({ programArgs: ['--token', 'tok-s3cret'] });
    const op = (id: string, fields: Partial<OperationRecord>) => gw.operations.set(id, {
      id, jobId: job.id, kind: 'savepoint', status: 'COMPLETED', targetDirectory: '', cancelJob: false, location: '', failureCause: '', createdAt: 1,
      parallelism: 0, requirements: {}, result: null, progress: null, ...fields,
    } as OperationRecord);
    op('a'.repeat(32), { failureCause: 'IOException: cannot write with token tok-s3cret' });
    op('b'.repeat(32), { location: 'hdfs://u:loc-s3cret@nn/sp' });
    const failed = await get(`/jobs/${job.id}/savepoints/${'a'.repeat(32)}`);
    expect(failed.text).not.toMatch(LEAK);
    expect(failed.body.operation['failure-cause']).toMatchObject({ class: 'IOException', 'stack-trace': 'IOException: cannot write with token ******' });
    const done = await get(`/jobs/${job.id}/savepoints/${'b'.repeat(32)}`);
    expect(done.body.operation).toEqual({ location: 'hdfs://u:******@nn/sp' });
  });

  it('answers 503 naming the Redis URL without its password', async () => {
    gw.fail('listJobs', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6379'), { code: 'ECONNREFUSED' }));
    const res = await get('/jobs');
    expect(res.status).toBe(503);
    expect(res.text).not.toMatch(LEAK);
    expect(res.body.errors[0]).toContain('Redis is unreachable at redis://:******@10.0.0.1:6379');
  });
});
