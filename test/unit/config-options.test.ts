/**
 * The option reader: types, range checks (NaN, negative, over the maximum), durations, and the error
 * codes and messages that name the key, env var or flag; unknown keys and the closest known key.
 */
import { describe, expect, it } from 'vitest';
import {
  closestKey, compileOptions, ConfigError, DISPATCHER_OPTIONS, JOB_OPTIONS, MAX_DURATION_MS, opt, parseDuration, readOption, unknownKeyWarning,
} from '../../config/index.js';
import { DISPATCHER_OPTION_TABLE } from '../../dispatcher/dispatcher-options.js';
import { compileJobConfig, configurationWarnings, knownConfigurationKeys } from '../../jobmaster/job-config.js';

/** The ConfigError `fn` throws. */
function configError(fn: () => unknown): ConfigError {
  try { fn(); } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('reading one option', () => {
  const slots = opt.int({ key: 'slots', scope: 'dispatcher', env: 'EBBFLOW_SLOTS', min: 1, max: 64, doc: '' });

  it('parses integers from numbers and strings, refusing NaN, fractions, negatives and values over the maximum', () => {
    expect(readOption(slots, 3)).toBe(3);
    expect(readOption(slots, ' 64 ')).toBe(64);
    for (const bad of ['NaN', NaN, 'abc', '', 2.5, '1e3', -1, 0, 65, '65']) {
      const e = configError(() => readOption(slots, bad, 'EBBFLOW_SLOTS'));
      expect(e.message).toMatch(/^EBBFLOW_SLOTS must be an integer from 1 to 64, got /);
      expect(e.setting).toBe('EBBFLOW_SLOTS');
      expect(['EBBFLOW_CONFIG_TYPE', 'EBBFLOW_CONFIG_RANGE']).toContain(e.code);
    }
    expect(configError(() => readOption(slots, 65)).code).toBe('EBBFLOW_CONFIG_RANGE');
    expect(configError(() => readOption(slots, 'NaN')).code).toBe('EBBFLOW_CONFIG_TYPE');
  });

  it('reads durations as milliseconds or with a unit, within their range', () => {
    expect(parseDuration('k', 1500)).toBe(1500);
    expect(parseDuration('k', '500 ms')).toBe(500);
    expect(parseDuration('k', '2 s')).toBe(2000);
    expect(parseDuration('k', '1 min')).toBe(60000);
    expect(parseDuration('k', '1.5s')).toBe(1500);
    expect(() => parseDuration('k', 'soon')).toThrow(/k must be a duration \(milliseconds, or e.g. "500 ms", "2 s"\), got "soon"/);
    expect(() => parseDuration('k', -5)).toThrow(/must be a duration/);
    expect(() => parseDuration('k', '600 h')).toThrow(`k must be at most ${MAX_DURATION_MS} ms (about 24.8 days)`);
    const hb = JOB_OPTIONS.heartbeatTimeout;
    expect(readOption(hb, '1 s')).toBe(1000);
    expect(configError(() => readOption(hb, 50)).message).toBe('heartbeat.timeout must be at least 100 ms, got 50');
  });

  it('reads enums with their aliases, lists, booleans and maps', () => {
    expect(readOption(JOB_OPTIONS.restartStrategy, 'FixedDelay')).toBe('fixed-delay');
    expect(readOption(JOB_OPTIONS.restartStrategy, 'off')).toBe('none');
    expect(configError(() => readOption(JOB_OPTIONS.restartStrategy, 'sometimes')).message)
      .toBe('restart-strategy.type must be none, fixed-delay or exponential-delay, got "sometimes"');
    expect(readOption(DISPATCHER_OPTIONS.allowedHosts, ' a.example, b.example ,')).toEqual(['a.example', 'b.example']);
    expect(readOption(DISPATCHER_OPTIONS.cancelJobsOnClose, 'false')).toBe(false);
    expect(() => readOption(DISPATCHER_OPTIONS.defaultConfiguration, [1])).toThrow(/must be an object of key → value/);
  });
});

describe('compiling the dispatcher options from the table', () => {
  it('takes a given value, else the env var, else the default, and names the env var of a bad value', () => {
    const env = { EBBFLOW_PORT: '9000', EBBFLOW_JOB_PROCESS_RESTARTS: '' };
    const c = compileOptions(DISPATCHER_OPTIONS, { host: '127.0.0.2' }, env);
    expect(c.host).toBe('127.0.0.2');
    expect(c.port).toBe(9000);
    expect(c.jobProcessRestarts).toBe(3);
    expect(c.maxTaskManagers).toBeGreaterThanOrEqual(16);
    expect(c.token).toBeUndefined();
    const cases: Array<[string, string, RegExp]> = [
      ['EBBFLOW_TASKMANAGER_SLOTS', 'NaN', /^EBBFLOW_TASKMANAGER_SLOTS must be an integer from 1 to 1024, got "NaN"$/],
      ['EBBFLOW_JOB_PROCESS_RESTARTS', '-1', /^EBBFLOW_JOB_PROCESS_RESTARTS must be an integer from 0 to 1000/],
      ['EBBFLOW_PLANNING_TIMEOUT_MS', 'NaN', /^EBBFLOW_PLANNING_TIMEOUT_MS must be a duration/],
      ['EBBFLOW_CANCEL_GRACE_MS', 'abc', /^EBBFLOW_CANCEL_GRACE_MS must be a duration/],
      ['EBBFLOW_MAX_TASKMANAGERS', '0', /^EBBFLOW_MAX_TASKMANAGERS must be an integer from 1 to/],
      ['EBBFLOW_MAX_TASKMANAGERS_PER_JOB', 'many', /^EBBFLOW_MAX_TASKMANAGERS_PER_JOB must be an integer/],
      ['EBBFLOW_REQUEST_TIMEOUT_MS', '10', /^EBBFLOW_REQUEST_TIMEOUT_MS must be at least 1000 ms/],
      ['EBBFLOW_LOCAL_MAX_TASKMANAGERS', '2.5', /^EBBFLOW_LOCAL_MAX_TASKMANAGERS must be an integer from 0/],
      ['EBBFLOW_MAX_UPLOAD_BYTES', '0', /^EBBFLOW_MAX_UPLOAD_BYTES must be an integer from 1/],
      ['EBBFLOW_MAX_CONCURRENT_UPLOADS', '1e99', /^EBBFLOW_MAX_CONCURRENT_UPLOADS must be an integer from 1 to 10000/],
      ['EBBFLOW_PORT', '65536', /^EBBFLOW_PORT must be an integer from 0 to 65535, got "65536"$/],
      ['EBBFLOW_MESOS_CONTENT_TYPE', 'xml', /^EBBFLOW_MESOS_CONTENT_TYPE must be protobuf or json, got "xml"$/],
      ['EBBFLOW_LOG_LEVEL', 'loud', /^EBBFLOW_LOG_LEVEL must be fatal, error, warn, info, debug, trace or silent/],
    ];
    for (const [name, value, message] of cases) {
      // The table with the providers' dispatcher options (EBBFLOW_MESOS_CONTENT_TYPE).
      const e = configError(() => compileOptions(DISPATCHER_OPTION_TABLE, {}, { [name]: value }));
      expect(e.message).toMatch(message);
      expect(e.setting).toBe(name);
    }
    // A value given in code is checked too, naming the option.
    expect(configError(() => compileOptions(DISPATCHER_OPTIONS, { planningTimeoutMs: Number.NaN }, {})).message).toMatch(/^planningTimeoutMs must be a duration/);
  });

  it('declares every numeric dispatcher option with a range', () => {
    for (const d of Object.values(DISPATCHER_OPTION_TABLE)) {
      if (d.type === 'int' || d.type === 'number' || d.type === 'duration') {
        expect(d.max, d.key).toBeDefined();
        expect(d.min, d.key).toBeDefined();
      }
    }
  });
});

describe('unknown configuration keys', () => {
  it('names the closest known key, or none when nothing is near', () => {
    const known = knownConfigurationKeys();
    expect(closestKey('heartbeat.timout', known)).toBe('heartbeat.timeout');
    expect(closestKey('execution.checkpointing.intervall', known)).toBe('execution.checkpointing.interval');
    expect(closestKey('mesos.resourcemanager.tasks.cpu', known)).toBe('mesos.resourcemanager.tasks.cpus');
    expect(closestKey('taskmanager.heartbeat.timeout', known)).toBe('heartbeat.timeout');
    expect(closestKey('rpc.address', known)).toBe('jobmanager.rpc.address');
    expect(closestKey('taskmanager.numberOfTaskSlots', known)).toBeUndefined();
    expect(unknownKeyWarning('heartbeat.timout', known)).toBe('unknown configuration key "heartbeat.timout" ignored; did you mean "heartbeat.timeout"?');
  });

  it('ignores unknown keys with a warning but refuses bad values of known keys, naming the key', () => {
    const conf = { 'taskmanager.numberOfTaskSlots': 4, 'heartbeat.timout': '2 s', 'heartbeat.timeout': '2 s', 'mesos.master': 'm:5050' };
    expect(compileJobConfig(conf).heartbeatTimeoutMs).toBe(2000);
    expect(configurationWarnings(conf)).toEqual([
      'unknown configuration key "taskmanager.numberOfTaskSlots" ignored',
      'unknown configuration key "heartbeat.timout" ignored; did you mean "heartbeat.timeout"?',
    ]);
    expect(configurationWarnings({ 'heartbeat.timeout': 1000 })).toEqual([]);
    const e = configError(() => compileJobConfig({ 'execution.checkpointing.interval': 5 }));
    expect(e.message).toBe('execution.checkpointing.interval must be 0 (off) or at least 10 ms, got 5');
    expect(e.code).toBe('EBBFLOW_CONFIG_RANGE');
    expect(configError(() => compileJobConfig({ 'restart-strategy.fixed-delay.attempts': 1e12 })).message)
      .toBe('restart-strategy.fixed-delay.attempts must be an integer from 0 to 1000000, got 1000000000000');
    expect(configError(() => compileJobConfig({ 'jobmanager.rpc.address': { a: 1 } })).setting).toBe('jobmanager.rpc.address');
  });
});
