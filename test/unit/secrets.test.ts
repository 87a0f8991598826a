/**
 * Masking of secrets (config/secrets.ts, config/log-masking.ts): Flink's sensitive-key rule, URL
 * user-info, program arguments, free text and whole pino log lines.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  MASK, isSensitiveKey, maskConfiguration, maskDeep, maskingLogOptions, maskProgramArgs, maskText, maskUrl, secretsOf,
} from '../../config/index.js';

describe('isSensitiveKey (Flink\'s rule)', () => {
  it.each([
    'mesos.resourcemanager.framework.secret', 'security.ssl.keystore-password', 'fs.azure.account.key.acct.blob.core.windows.net',
    'metrics.reporter.dghttp.apikey', 'datadog.api-key', 'kafka.sasl.jaas.config', 'rest.client.http-headers', 'gcs.service-key',
    'auth-params', 'basic-auth', 'TOKEN', 'redis-password', 'aws.credentials.provider', 'DelegationToken',
  ])('%s is sensitive', (k) => expect(isSensitiveKey(k)).toBe(true));

  it.each(['parallelism.default', 'mesos.master', 'keyPrefix', 'key-prefix', 'state.backend', 'redis', 'input', 'taskmanager.memory.process.size'])(
    '%s is not sensitive', (k) => expect(isSensitiveKey(k)).toBe(false));
});

describe('maskConfiguration', () => {
  it('masks the values of sensitive keys only and leaves the input as it was', () => {
    const conf = { 'mesos.resourcemanager.framework.secret': 's3cret', 'parallelism.default': '2', 'my.token': 7 };
    expect(maskConfiguration(conf)).toEqual({ 'mesos.resourcemanager.framework.secret': MASK, 'parallelism.default': '2', 'my.token': MASK });
    expect(conf['mesos.resourcemanager.framework.secret']).toBe('s3cret');
  });
});

describe('maskUrl', () => {
  it.each([
    ['redis://:s3cret@127.0.0.1:6379', `redis://:${MASK}@127.0.0.1:6379`],
    ['redis://alice:s3cret@host:6379/0', `redis://alice:${MASK}@host:6379/0`],
    ['https://ghp_abcdef@github.com/x', `https://${MASK}@github.com/x`],
    ['redis://:p@ss@host', `redis://:${MASK}@host`],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['at redis://:a@h1 and zk://u:b@h2/mesos.', `at redis://:${MASK}@h1 and zk://u:${MASK}@h2/mesos.`],
    ['mail me at bob@example.com', 'mail me at bob@example.com'],
  ])('%s → %s', (url, masked) => expect(maskUrl(url)).toBe(masked));
});

describe('maskProgramArgs', () => {
  it('masks values of sensitive flags and URL user-info, nothing else', () => {
    expect(maskProgramArgs(['--password', 's3cret', '--redis', 'redis://:s3cret@h:1', '--redis-password=pw', '--token', 'tk', '--input', 'in', '--window-ms', '1000']))
      .toEqual(['--password', MASK, '--redis', `redis://:${MASK}@h:1`, `--redis-password=${MASK}`, '--token', MASK, '--input', 'in', '--window-ms', '1000']);
  });

  it('does not take the next flag for a value, and copes with a trailing flag', () => {
    expect(maskProgramArgs(['--secret', '--verbose', '--api-key'])).toEqual(['--secret', '--verbose', '--api-key']);
    expect(maskProgramArgs(['-password', 'x'])).toEqual(['-password', MASK]);
  });
});

describe('secretsOf', () => {
  it('collects sensitive configuration values, sensitive argument values and URL passwords', () => {
    const found = secretsOf({ 'x.secret': 'conf-secret', 'mesos.master': 'zk://u:zkpass@h/m', plain: 'visible' },
      ['--password', 'argpass', '--redis', 'redis://:urlpass@h', '--token=tokpass', '--input', 'in']);
    expect(found.sort()).toEqual(['argpass', 'conf-secret', 'tokpass', 'urlpass', 'zkpass']);
  });
});

describe('maskText', () => {
  it('masks known secrets, URL user-info and sensitive assignments in a failure cause', () => {
    const cause = 'Error: cannot connect to redis://:s3cret@10.0.0.1:6379 with password=hunter22 (token: abc123)\n    at run (/opt/token-file.js:10:5)';
    const masked = maskText(cause, ['s3cret']);
    expect(masked).not.toMatch(/s3cret|hunter22|abc123/);
    expect(masked).toContain(`redis://:${MASK}@10.0.0.1:6379`);
    expect(masked).toContain(`password=${MASK}`);
    // A source position is no assignment.
    expect(masked).toContain('/opt/token-file.js:10:5');
  });

  it('leaves prose alone and masks a known secret wherever it appears', () => {
    expect(maskText('the token expired')).toBe('the token expired');
    expect(maskText('got xyzzy-42 back', ['xyzzy-42'])).toBe(`got ${MASK} back`);
    // Too short to search for in text.
    expect(maskText('a b', ['a'])).toBe('a b');
  });

  it('keeps JSON valid', () => {
    const line = JSON.stringify({ msg: 'x', conf: { 'a.secret': 'v v', 'my.token': 12, list: ['p'] }, credentials: { user: 'u' } });
    const parsed = JSON.parse(maskText(line)) as { conf: Record<string, unknown>; credentials: unknown };
    expect(parsed.conf).toEqual({ 'a.secret': MASK, 'my.token': MASK, list: ['p'] });
    expect(parsed.credentials).toEqual({ user: 'u' });
  });
});

describe('maskDeep', () => {
  it('masks strings at any depth and sensitive string fields whole', () => {
    const stats = { latest: { savepoint: { external_path: 's3://AKIA:sk@bucket/sp' } }, nested: [{ password: 'pw', n: 1 }] };
    expect(maskDeep(stats)).toEqual({ latest: { savepoint: { external_path: `s3://AKIA:${MASK}@bucket/sp` } }, nested: [{ password: MASK, n: 1 }] });
  });
});

describe('maskingLogOptions', () => {
  it('masks a pino line: message, fields, base fields and known secrets', () => {
    const lines: string[] = [];
    const log = pino({ base: { role: 'test', url: 'redis://:basepw@h' }, ...maskingLogOptions(['tok-123456']) }, { write: (s: string) => { lines.push(s); } });
    log.warn({ configuration: { 'mesos.resourcemanager.framework.secret': 'fw secret' }, auth: 'Bearer tok-123456' }, 'Redis at redis://:s3cret@127.0.0.1:1 is not reachable');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/basepw|fw secret|tok-123456|s3cret/);
    const entry = JSON.parse(lines[0]!) as { msg: string; configuration: Record<string, string> };
    expect(entry.msg).toBe(`Redis at redis://:${MASK}@127.0.0.1:1 is not reachable`);
    expect(entry.configuration['mesos.resourcemanager.framework.secret']).toBe(MASK);
    // Child loggers (the REST app's `component: api`) inherit the masking.
    log.child({ component: 'api' }).error({ url: '/jars/x/run?token=tok-123456' }, 'request failed');
    expect(lines[1]).not.toMatch(/tok-123456/);
  });
});
