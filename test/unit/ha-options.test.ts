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

  it('with an s3:// storageDir the data directory stays the dispatcher\'s own; checkpoints and savepoints default to <storageDir>/<cluster-id>', () => {
    const c = compileDispatcherOptions({
      dataDir: '/tmp/own', defaultConfiguration: { 'high-availability.type': 'redis', 'high-availability.storageDir': 's3://ha-bucket/some/prefix/', 'high-availability.cluster-id': 'c1', 's3.endpoint': 'http://127.0.0.1:9000' },
    }, {});
    expect(c.dataDir).toBe(resolve('/tmp/own'));
    expect(c.haStorage).toBe('s3://ha-bucket/some/prefix/c1');
    expect(c.defaultConfiguration).toEqual({
      'state.checkpoints.dir': 's3://ha-bucket/some/prefix/c1/checkpoints', 'state.savepoints.dir': 's3://ha-bucket/some/prefix/c1/savepoints', 's3.endpoint': 'http://127.0.0.1:9000',
    });
    // -D naming other directories wins.
    const own = compileDispatcherOptions({ haType: 'redis', haStorageDir: 's3://ha-bucket/p', defaultConfiguration: { 'state.checkpoints.dir': '/mnt/chk' } }, {});
    expect(own.defaultConfiguration['state.checkpoints.dir']).toBe('/mnt/chk');
    expect(own.defaultConfiguration['state.savepoints.dir']).toBe('s3://ha-bucket/p/default/savepoints');
    // A local storageDir: no S3 storage, the shared data directory as before; without HA neither.
    expect(compileDispatcherOptions({ haType: 'redis', haStorageDir: '/tmp/s' }, {}).haStorage).toBeUndefined();
    expect(compileDispatcherOptions({ haStorageDir: 's3://ha-bucket/p' }, {}).haStorage).toBeUndefined();
    expect(() => compileDispatcherOptions({ haType: 'redis', haStorageDir: 's3://Bad_Bucket/p' }, {})).toThrow(/EBBFLOW_HA_STORAGE_DIR \(high-availability\.storageDir\): .*is not a bucket name/);
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
