/** Best-effort cleanup in the runtime (runtime/cleanup.ts): a failure is logged naming what was not cleaned up, never thrown. */
import { describe, expect, it } from 'vitest';
import { cleanupFailed } from '../../runtime/cleanup.js';

describe('cleanupFailed', () => {
  it('logs what was not cleaned up, with the error and the caller\'s fields, and resolves', async () => {
    const logged: Array<[string, Record<string, unknown>]> = [];
    const log = (msg: string, fields: Record<string, unknown>) => { logged.push([msg, fields]); };
    await expect(Promise.reject(new Error('EBADF')).catch(cleanupFailed('closing the state file of failed checkpoint 7', log, { subtask: 2 }))).resolves.toBeUndefined();
    expect(logged).toEqual([['best-effort cleanup failed, ignored: closing the state file of failed checkpoint 7', { subtask: 2, err: 'EBADF' }]]);
  });

  it('without a log, emits a process warning with code EBBFLOW_CLEANUP_FAILED', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      cleanupFailed('closing a channel', undefined)(new Error('socket hang up'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => [(w as Error & { code?: string }).code, w.message])).toEqual([['EBBFLOW_CLEANUP_FAILED', 'best-effort cleanup failed, ignored: closing a channel {"err":"socket hang up"}']]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
