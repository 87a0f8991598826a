/**
 * Configuration the dashboard shows never reveals secrets: the dispatcher's options and `-D`
 * defaults (GET /jobmanager/config), and a job's submitted configuration (GET /jobs/:jobid/config,
 * /jobs/:jobid/jobmanager/config); the checkpoint configuration is the job's, compiled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardService } from '../../dispatcher/dashboard-service.js';
import { compileDispatcherOptions } from '../../dispatcher/index.js';
import type { BundleStore } from '../../dispatcher/index.js';
import type { JobService } from '../../dispatcher/job-service.js';
import type { JobRegistry } from '../../metadata/index.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { buildTestingApp, TestingDispatcherGateway } from '../helpers/testing-dispatcher-gateway.js';

const TOKEN = 'tok-0123456789abcdef';

describe('GET /jobmanager/config: the dispatcher configuration', () => {
  it('lists options and -D defaults by key, sensitive values and URL passwords masked', () => {
    const o = compileDispatcherOptions({ token: TOKEN, redisUrl: 'redis://:hunter22@127.0.0.1:6379', defaultConfiguration: { 'security.ssl.internal.key-password': 'pem-pass', 'execution.checkpointing.interval': '2 s' } }, {});
    const svc = new DashboardService({} as JobRegistry, {} as JobService, {} as BundleStore, o);
    const list = svc.dispatcherConfiguration();
    const byKey = Object.fromEntries(list.map((e) => [e.key, e.value]));
    expect(byKey.token).toBe('******');
    expect(byKey.redisUrl).toBe('redis://:******@127.0.0.1:6379');
    expect(byKey['security.ssl.internal.key-password']).toBe('******');
    expect(byKey['execution.checkpointing.interval']).toBe('2 s');
    expect(byKey.port).toBe('8081');
    const text = JSON.stringify(list);
    for (const secret of [TOKEN, 'hunter22', 'pem-pass']) expect(text).not.toContain(secret);
  });
});

describe("a job's configuration pages", () => {
  const gw = new TestingDispatcherGateway();
  const job = gw.addJob({ parallelism: 3, configuration: { 'execution.checkpointing.interval': '5 s', 'restart-strategy.type': 'none', 's3.access-key': 'AKIAEXAMPLE', 's3.secret-key': 'sekrit', 'my.endpoint': 'https://key:pw123@host/x' } });
  let app: Awaited<ReturnType<typeof buildTestingApp>>['app'];
  beforeAll(async () => { ({ app } = await buildTestingApp(gw)); });
  afterAll(async () => { await app.close(); });

  it('shows the submitted configuration masked, and the compiled checkpoint configuration', async () => {
    const cfg = (await app.inject({ method: 'GET', url: `/jobs/${job.id}/config` })).json();
    await expectSpecResponse('get', '/jobs/{jobid}/config', 200, cfg);
    expect(cfg['execution-config']).toMatchObject({ 'job-parallelism': 3, 'restart-strategy': 'Restart deactivated.' });
    expect(cfg['execution-config']['user-config']).toMatchObject({ 's3.secret-key': '******', 'my.endpoint': 'https://key:******@host/x', 'execution.checkpointing.interval': '5 s' });
    const jm = (await app.inject({ method: 'GET', url: `/jobs/${job.id}/jobmanager/config` })).json();
    await expectSpecResponse('get', '/jobs/{jobid}/jobmanager/config', 200, jm);
    for (const body of [cfg, jm]) for (const secret of ['sekrit', 'pw123']) expect(JSON.stringify(body)).not.toContain(secret);
    const cc = (await app.inject({ method: 'GET', url: `/jobs/${job.id}/checkpoints/config` })).json();
    await expectSpecResponse('get', '/jobs/{jobid}/checkpoints/config', 200, cc);
    expect(cc).toMatchObject({ interval: 5000, timeout: 60000, tolerable_failed_checkpoints: 10, num_retained: 3, mode: 'exactly_once' });
  });
});
