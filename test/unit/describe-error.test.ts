/**
 * Failure causes keep the user's stack frames and drop ebbflow's own and Node's, so API answers show
 * where the job failed without the server's install paths.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeError, InvalidJobError } from '../../runtime/errors.js';
import { PROJECT_ROOT } from '../../runtime/install-paths.js';

describe('describeError', () => {
  it('keeps user frames, drops internal ones and server install paths', () => {
    const err = new Error('amount is not a number');
    err.stack = [
      'Error: amount is not a number',
      '    at parseAmount (file:///data/jars/abc_thrower.mjs.d/job.mjs:3:11)',
      `    at MapOperator.process (file://${join(PROJECT_ROOT, 'dist/runtime/operators/map.js')}:12:5)`,
      `    at Object.<anonymous> (${join(PROJECT_ROOT, 'node_modules/ioredis/built/Redis.js')}:1:1)`,
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    ].join('\n');
    const text = describeError(err);
    expect(text).toBe('Error: amount is not a number\n    at parseAmount (file:///data/jars/abc_thrower.mjs.d/job.mjs:3:11)');
    expect(text).not.toContain(PROJECT_ROOT);
    expect(describeError(new InvalidJobError('no sink'))).toBe('InvalidJobError: no sink');
    expect(describeError('boom')).toBe('non-Error thrown: boom');
  });
});
