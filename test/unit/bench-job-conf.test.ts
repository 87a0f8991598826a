/** The throughput benchmark's `--job-conf`: configuration given to every job run. */
import { describe, expect, it } from 'vitest';
import { parseJobConf } from '../../bench/options.js';

describe('bench --job-conf', () => {
  it('reads key=value pairs, values keeping their spaces and = signs', () => {
    expect(parseJobConf('')).toEqual({});
    expect(parseJobConf('taskmanager.node.max-semi-space-size=32, execution.checkpointing.interval=2 s,a=b=c'))
      .toEqual({ 'taskmanager.node.max-semi-space-size': '32', 'execution.checkpointing.interval': '2 s', a: 'b=c' });
  });

  it('refuses a pair without a key', () => {
    expect(() => parseJobConf('nokey')).toThrow(/--job-conf: expected key=value, got "nokey"/);
    expect(() => parseJobConf('=3')).toThrow(/expected key=value/);
  });
});
