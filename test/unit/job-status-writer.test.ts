/**
 * The JobMaster's write policy (jobmaster/job-status-writer.ts): a state change is retried while
 * the registry refuses writes, so it is not lost; a background refresh is tried once and, if it
 * fails, logged with the record it was for.
 */
import { describe, expect, it } from 'vitest';
import { JobStatusWriter } from '../../jobmaster/job-status-writer.js';
import { captureLog } from '../helpers/log-capture.js';
import { TestingJobRegistry } from '../helpers/testing-job-registry.js';

describe('job status writer', () => {
  it('retries a state change until the registry takes it', async () => {
    const registry = new TestingJobRegistry('job-1');
    const log = captureLog();
    const writer = new JobStatusWriter(registry, 'job-1', log.logger, () => undefined);
    registry.failWrites = 2;
    expect(await writer.transition('CREATED', { name: 'j' })).toBe(true);
    expect(registry.failedWrites).toBe(2);
    expect(registry.states).toEqual(['CREATED']);
    expect(log.matching('could not record CREATED in Redis; retrying')).toHaveLength(2);
  });

  it('tries a refresh once and logs the record it lost', async () => {
    const registry = new TestingJobRegistry('job-1');
    const log = captureLog();
    const writer = new JobStatusWriter(registry, 'job-1', log.logger, () => undefined);
    registry.failWrites = 1;
    await writer.writeStats({ counts: { completed: 1 } });
    expect(registry.checkpointStats).toBeUndefined();
    expect(log.matching('could not record the checkpoint statistics')).toEqual([
      expect.objectContaining({ record: 'job job-1: checkpoint statistics', err: 'testing registry: write refused' }),
    ]);
    await writer.writeStats({ counts: { completed: 2 } });
    expect(registry.checkpointStats).toEqual({ counts: { completed: 2 } });
  });
});
