/**
 * The token rules of compileDispatcherOptions: beyond loopback a token of at least 16 characters
 * (surrounding whitespace not counted) is required; a whitespace-only token is refused anywhere;
 * the messages name EBBFLOW_TOKEN / --token and the rule, and never quote the token.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/index.js';
import { compileDispatcherOptions } from '../../dispatcher/dispatcher-options.js';

/** The ConfigError compiling these options throws (fails the test when none is thrown). */
function refusal(o: Parameters<typeof compileDispatcherOptions>[0], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    compileDispatcherOptions(o, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('compileDispatcherOptions accepted the options');
}

describe('dispatcher token rules', () => {
  it('refuses a short or whitespace-padded short token for a non-loopback bind, naming the setting and the rule', () => {
    for (const [host, token] of [['0.0.0.0', 'Q'], ['::', 'QZabcdefghijklm'], ['10.1.2.3', '   QZ-short-tok    '], ['dispatcher.example', 'QZx']]) {
      const e = refusal({ host, token });
      expect(e.code).toBe('EBBFLOW_CONFIG_RANGE');
      expect(e.setting).toBe('EBBFLOW_TOKEN');
      expect(e.message).toMatch(/EBBFLOW_TOKEN \(--token\) must have at least 16 \(not counting surrounding whitespace\)/);
      expect(e.message).toContain(host);
      expect(e.message).not.toContain(token.trim());
    }
    // From the environment, the same.
    expect(refusal({}, { EBBFLOW_HOST: '0.0.0.0', EBBFLOW_TOKEN: 'tiny' }).code).toBe('EBBFLOW_CONFIG_RANGE');
  });

  it('refuses a whitespace-only token on any bind, and a missing one beyond loopback', () => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      const e = refusal({ host, token: ' \t  '.repeat(8) });
      expect(e.code).toBe('EBBFLOW_CONFIG_INVALID');
      expect(e.message).toMatch(/EBBFLOW_TOKEN \(--token\) is whitespace only/);
    }
    const missing = refusal({ host: '0.0.0.0' });
    expect(missing.code).toBe('EBBFLOW_CONFIG_MISSING');
    expect(missing.message).toMatch(/without a token.*EBBFLOW_TOKEN \(or --token\) to at least 16 characters/);
  });

  it('takes a long token beyond loopback, and short tokens or none on loopback', () => {
    expect(compileDispatcherOptions({ host: '0.0.0.0', token: '0123456789abcdef' }, {}).token).toBe('0123456789abcdef');
    expect(compileDispatcherOptions({ host: '0.0.0.0' }, { EBBFLOW_TOKEN: 'a-token-of-24-characters' }).token).toBe('a-token-of-24-characters');
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) {
      expect(compileDispatcherOptions({ host, token: 's3cret' }, {}).token).toBe('s3cret');
      expect(compileDispatcherOptions({ host }, {}).token).toBeUndefined();
    }
  });
});
