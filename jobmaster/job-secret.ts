/**
 * The job's secret, created by the dispatcher for each launch of a job process (a 0600 file beside
 * the spec file, named by EBBFLOW_JOB_SECRET_FILE). The job process reads it once and deletes the
 * file; the secret then lives only in its memory and in its registered TaskManagers' (sent in the
 * registration answer), where it authenticates their data connections.
 */
import { readFileSync, rmSync } from 'node:fs';
import { newSecret } from '../runtime/network/handshake.js';

/** The environment variable naming the file of the job's secret. */
export const JOB_SECRET_FILE_ENV = 'EBBFLOW_JOB_SECRET_FILE';

/**
 * The job's secret from the file the dispatcher wrote; a fresh random one when this process was not
 * started by a dispatcher (then no other process knows it either, which is all it needs).
 */
export function readJobSecret(env: NodeJS.ProcessEnv = process.env): Buffer {
  const file = env[JOB_SECRET_FILE_ENV];
  delete env[JOB_SECRET_FILE_ENV];
  if (!file) return newSecret();
  const hex = readFileSync(file, 'utf8').trim();
  rmSync(file, { force: true });
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${JOB_SECRET_FILE_ENV} names a file that does not hold a job secret`);
  return Buffer.from(hex, 'hex');
}
