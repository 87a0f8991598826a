/** The HA options: Flink's keys as `-D`, the checks that they fit together, and the shared data directory. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/index.js';
import { compileDispatcherOptions } from '../../dispatcher/dispatcher-options.js';
import { parseUrls } from '../../cli/rest-client.js';

describe('HA options', () => {
  it('reads Flink\'s high-availability.* keys given as -D, which are not job configuration', () => {
    const c = compileDispatcherOptions({
      dataDir: '/tmp/own', defaultConfiguration: {
        'high-availability.type': 'redis', 'high-availability.storageDir': '/tmp/shared', 'high-availability.cluster-id': 'c1',
        'high-availability.redis.lease-duration': '4 s', 'high-availability.redis.renew-deadline': '3 s', 'high-availability.redis.retry-period': '500 ms',
        'execution.checkpointing.interval': 500,
      },
    }, {});
    expect(c).toMatchObject({ haType: 'redis', haStorageDir: '/tmp/shared', haClusterId: 'c1', haLeaseDurationMs: 4000, haRenewDeadlineMs: 3000, haRetryPeriodMs: 500, haWriteForwarding: 'proxy' });
    expect(c.defaultConfiguration).toEqual({ 'execution.checkpointing.interval': 500 });
    // Bundles, specs, logs: where every dispatcher finds them.
    expect(c.dataDir).toBe(resolve('/tmp/shared/c1'));
  });

  it('an option given itself wins over its -D key; without HA nothing changes', () => {
    const c = compileDispatcherOptions({ haClusterId: 'mine', dataDir: '/tmp/own', defaultConfiguration: { 'high-availability.cluster-id': 'theirs' } }, {});
    expect(c.haClusterId).toBe('mine');
    expect(c.haType).toBe('none');
    expect(c.dataDir).toBe(resolve('/tmp/own'));
  });

  it('refuses settings that do not fit together, naming what fixes them', () => {
    const bad = (o: Record<string, unknown>) => { try { compileDispatcherOptions({ haType: 'redis', ...o }, {}); } catch (err) { expect(err).toBeInstanceOf(ConfigError); return (err as Error).message; } throw new Error('accepted'); };
    expect(bad({})).toMatch(/needs high-availability\.storageDir \(EBBFLOW_HA_STORAGE_DIR, --ha-storage-dir\)/);
    expect(bad({ haStorageDir: '/tmp/s', haLeaseDurationMs: 2000, haRenewDeadlineMs: 2000 })).toMatch(/EBBFLOW_HA_RENEW_DEADLINE \(2000 ms\) must be shorter than EBBFLOW_HA_LEASE_DURATION/);
    expect(bad({ haStorageDir: '/tmp/s', haRetryPeriodMs: 10_000 })).toMatch(/EBBFLOW_HA_RETRY_PERIOD \(10000 ms\) must be shorter than EBBFLOW_HA_RENEW_DEADLINE/);
    expect(bad({ haStorageDir: '/tmp/s', host: '0.0.0.0', token: 'x'.repeat(20) })).toMatch(/needs EBBFLOW_REST_ADVERTISED_URL/);
    expect(() => compileDispatcherOptions({ defaultConfiguration: { 'high-availability.type': 'zookeeper' } }, {})).toThrow(/-D high-availability\.type must be none or redis/);
  });

  it('the CLI takes several dispatcher URLs, comma-separated', () => {
    expect(parseUrls('http://a:1, http://b:2,,')).toEqual(['http://a:1', 'http://b:2']);
  });
});
