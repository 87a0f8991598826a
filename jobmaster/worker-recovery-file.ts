/**
 * The job's registered TaskManagers and their registration secrets, kept for the next job process of
 * the job (`<data-dir>/logs/<jobid>/worker-secrets`, 0600 in the job's 0700 log directory, replaced
 * atomically at every change). A TaskManager that lost its job process re-registers with the next one
 * by proving the same secret, so that one must know it; the secrets go in no Redis key, spec, argv or
 * log line. Beside them, the pid each one registered with and this host's name: a next job process on
 * the same host stops, by pid, one that does not re-register (on another host the pids mean nothing and
 * are dropped). The file is removed when the job ends.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { RecoverableWorkers } from '../resourcemanager/index.js';

/** Where a job's recoverable workers are kept. */
export function workerRecoveryFile(dataDir: string, jobId: string): string {
  return join(dataDir, 'logs', jobId, 'worker-secrets');
}

interface FileShape {
  lastIndex: number;
  workers: Record<string, string>;
  /** Where the pids below are processes. */
  host?: string;
  pids?: Record<string, number>;
}

/** What the earlier job process left; undefined when there is no (readable) file. */
export function readRecoverableWorkers(file: string): RecoverableWorkers | undefined {
  let parsed: Partial<FileShape>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<FileShape>;
  } catch {
    return undefined;
  }
  const workers = Object.entries(parsed.workers ?? {})
    .filter(([id, hex]) => typeof id === 'string' && typeof hex === 'string' && /^[0-9a-f]{64}$/i.test(hex))
    .map(([resourceId, hex]) => {
      const pid = parsed.host === hostname() ? parsed.pids?.[resourceId] : undefined;
      return { resourceId, secret: Buffer.from(hex, 'hex'), ...(Number.isSafeInteger(pid) && pid! > 0 ? { pid } : {}) };
    });
  return { workers, lastIndex: Number.isSafeInteger(parsed.lastIndex) ? parsed.lastIndex! : 0 };
}

/** Replaces the file with `w` (written beside it, then renamed: a reader never sees half of it). */
export function writeRecoverableWorkers(file: string, w: RecoverableWorkers): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const body: FileShape = {
    lastIndex: w.lastIndex,
    workers: Object.fromEntries(w.workers.map((x) => [x.resourceId, x.secret.toString('hex')])),
    host: hostname(),
    pids: Object.fromEntries(w.workers.filter((x) => x.pid).map((x) => [x.resourceId, x.pid!])),
  };
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
  renameSync(tmp, file);
}

export function removeRecoverableWorkers(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.tmp`, { force: true });
}
