/**
 * Worker-thread entry that checks and extracts one uploaded archive, so that a
 * hostile archive (a tar followed by a gigabyte of zeros, a zip of millions of
 * tiny entries) can only cost this thread, never the dispatcher's event loop.
 * Started by extractArchiveIsolated (archive-isolation.ts) with the job in
 * workerData; answers with one message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BundleRejectedError, extractArchive, type ArchiveFormat, type ExtractLimits } from './archive.js';

const job = workerData as { format: ArchiveFormat; file: string; dest: string; limits: ExtractLimits };
try {
  await extractArchive(job.format, job.file, job.dest, job.limits);
  parentPort!.postMessage({ ok: true });
} catch (err) {
  const rejected = err instanceof BundleRejectedError;
  parentPort!.postMessage({ ok: false, rejected, message: (err as Error).message, statusCode: rejected ? err.statusCode : 500, code: (err as NodeJS.ErrnoException).code });
}
