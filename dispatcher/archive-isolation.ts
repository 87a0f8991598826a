/**
 * Runs archive checking and extraction in a worker thread with a time limit
 * and a heap limit: the API stays responsive while an archive is inspected,
 * and an archive that takes too long is refused (the worker is terminated).
 */
import { Worker } from 'node:worker_threads';
import { processEntry } from '../runtime/install-paths.js';
import { BundleRejectedError, type ArchiveFormat, type ExtractLimits } from './archive.js';

const WORKER = processEntry('dispatcher/archive-worker.js');

export interface IsolationLimits extends ExtractLimits {
  /** @default 60000 */
  timeoutMs?: number;
}

export function extractArchiveIsolated(format: ArchiveFormat, file: string, dest: string, limits: IsolationLimits): Promise<void> {
  const { timeoutMs = 60_000, ...extractLimits } = limits;
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: { format, file, dest, limits: extractLimits }, resourceLimits: { maxOldGenerationSizeMb: 256 } });
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (err) reject(err); else resolve();
    };
    const timer = setTimeout(() => settle(new BundleRejectedError(`the archive could not be checked within ${timeoutMs} ms; it is refused`)), timeoutMs);
    worker.once('message', (m: { ok: boolean; rejected?: boolean; message?: string; statusCode?: number; code?: string }) => {
      if (m.ok) return settle();
      if (m.rejected) return settle(new BundleRejectedError(m.message ?? 'archive rejected', m.statusCode ?? 400));
      settle(Object.assign(new Error(m.message ?? 'archive extraction failed'), { code: m.code }));
    });
    worker.once('error', (err) => settle(/memory|heap/i.test(err.message) ? new BundleRejectedError('checking the archive needed more memory than allowed; it is refused') : err));
    worker.once('exit', (code) => settle(new BundleRejectedError(`checking the archive stopped (worker exit ${code}); it is refused`)));
  });
}
