/**
 * How secrets reach a TaskManager: the ResourceManager issues one registration secret per worker it
 * requests (a new one per request, revoked when the worker goes); the Mesos task carries it in its
 * environment and never in its command (which the state endpoint and `ps` show), likewise the
 * internal SSL key password, while the keystore and truststore paths are flags. The
 * `security.ssl.internal.*` keys: files required when enabled, the key password masked.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { maskConfiguration } from '../../config/index.js';
import { compileJobConfig } from '../../jobmaster/job-config.js';
import type { WorkerSpec } from '../../resourcemanager/driver.js';
import { taskManagerTaskInfo } from '../../resourcemanager/mesos/task-info.js';
import { ResourceManager } from '../../resourcemanager/resource-manager.js';
import { WorkerSecrets } from '../../rpc/index.js';
import { TestingResourceManagerDriver } from '../helpers/testing-resource-manager-driver.js';

const secret = 'ab'.repeat(32);
const spec = (ssl?: WorkerSpec['ssl']): WorkerSpec => ({
  resourceId: 'taskmanager-00001', index: 1, jobId: 'j1', jobMasterAddress: '10.0.0.1:6123', profile: { cpuCores: 1, memoryMb: 512, slots: 1 }, secret, ...(ssl ? { ssl } : {}),
});
const launch = {
  need: { cpus: 1, memMb: 512, diskMb: 0 }, taskManagerCmd: 'node', extraUris: [], dataBindHost: '0.0.0.0', killGraceMs: 500, bundleInSandbox: 'b.mjs',
  runtime: { name: 'rt.mjs', extract: false, uri: 'http://h/rt' }, bundle: { name: 'b.mjs', extract: false, uri: 'http://h/b' },
};
const env = (info: ReturnType<typeof taskManagerTaskInfo>) => Object.fromEntries((info.command!.environment!.variables ?? []).map((v) => [v.name, v.value]));

describe('the Mesos task of a TaskManager', () => {
  it('carries the worker secret in its environment, not its command', () => {
    const info = taskManagerTaskInfo(spec(), 't1', 'a1', 'agent-1', 31000, [], launch);
    expect(env(info).EBBFLOW_WORKER_SECRET).toBe(secret);
    expect(info.command!.value).not.toContain(secret);
    expect(info.command!.value).not.toContain('--ssl-');
  });

  it('with internal SSL: the file paths as flags, the key password in the environment only', () => {
    const info = taskManagerTaskInfo(spec({ keystore: '/etc/ebbflow/internal.pem', truststore: '/etc/ebbflow/ca.pem', keyPassword: 'pw-1234' }), 't1', 'a1', 'agent-1', 31000, [], launch);
    expect(info.command!.value).toContain('--ssl-keystore /etc/ebbflow/internal.pem --ssl-truststore /etc/ebbflow/ca.pem');
    expect(info.command!.value).not.toContain('pw-1234');
    expect(env(info).EBBFLOW_SSL_KEY_PASSWORD).toBe('pw-1234');
  });
});

describe('the ResourceManager issues registration secrets', () => {
  it('a fresh one per requested worker, the same the endpoint checks, revoked when the worker is released or lost', async () => {
    const driver = new TestingResourceManagerDriver();
    const secrets = new WorkerSecrets();
    const rm = new ResourceManager(driver, { jobId: 'j1', jobMasterAddress: '127.0.0.1:1', profile: { cpuCores: 1, memoryMb: 64, slots: 1 }, logger: pino({ level: 'silent' }), secrets });
    await rm.start({ onWorkerTerminated: () => {}, onError: () => {} });
    rm.ensureSlots(2);
    const requested = driver.requested;
    expect(requested.map((s) => s.resourceId)).toEqual(['j1-taskmanager-00001', 'j1-taskmanager-00002']);
    expect(requested[0]!.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(requested[0]!.secret).not.toBe(requested[1]!.secret);
    expect(secrets.get('j1-taskmanager-00001')!.toString('hex')).toBe(requested[0]!.secret);
    await rm.release('j1-taskmanager-00001');
    await rm.workerLost('j1-taskmanager-00002');
    expect(secrets.get('j1-taskmanager-00001')).toBeUndefined();
    expect(secrets.get('j1-taskmanager-00002')).toBeUndefined();
  });
});

describe('security.ssl.internal.*', () => {
  it('is off by default; on, it needs a keystore and a truststore; its key password is masked', () => {
    expect(compileJobConfig({}).internalSsl).toBeUndefined();
    expect(() => compileJobConfig({ 'security.ssl.internal.enabled': true, 'security.ssl.internal.truststore': '/ca.pem' })).toThrow(/security.ssl.internal.keystore is required/);
    expect(() => compileJobConfig({ 'security.ssl.internal.enabled': true, 'security.ssl.internal.keystore': '/k.pem' })).toThrow(/security.ssl.internal.truststore is required/);
    expect(compileJobConfig({ 'security.ssl.internal.enabled': 'true', 'security.ssl.internal.keystore': '/k.pem', 'security.ssl.internal.truststore': '/ca.pem', 'security.ssl.internal.key-password': 'pw' }).internalSsl)
      .toEqual({ keystore: '/k.pem', truststore: '/ca.pem', keyPassword: 'pw' });
    expect(maskConfiguration({ 'security.ssl.internal.key-password': 'pw', 'security.ssl.internal.keystore': '/k.pem' })).toEqual({ 'security.ssl.internal.key-password': '******', 'security.ssl.internal.keystore': '/k.pem' });
  });
});
