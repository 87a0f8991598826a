/**
 * Reads the registration secret a driver handed this TaskManager (resourcemanager/launch-secrets.ts):
 * from `EBBFLOW_WORKER_SECRET` (Mesos; then dropped from `process.env`, so processes started from
 * here do not inherit it — `/proc/self/environ` still holds it), else one JSON line on stdin (local
 * driver), read to its end.
 */
import { SSL_KEY_PASSWORD_ENV, WORKER_SECRET_ENV, type LaunchSecrets } from '../resourcemanager/launch-secrets.js';

/** Longest stdin the secrets may take: a JSON line of a few fields. */
const MAX_STDIN_BYTES = 16 * 1024;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN_BYTES) throw new Error(`more than ${MAX_STDIN_BYTES} bytes on stdin: not the launch secrets`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const fromHex = (hex: string | undefined, where: string): Buffer => {
  if (!hex || !/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`no worker secret in ${where} (this process is started by a job's ResourceManager)`);
  return Buffer.from(hex, 'hex');
};

export async function readLaunchSecrets(): Promise<{ workerSecret: Buffer; keyPassword?: string }> {
  const env = process.env[WORKER_SECRET_ENV];
  if (env !== undefined) {
    const keyPassword = process.env[SSL_KEY_PASSWORD_ENV];
    delete process.env[WORKER_SECRET_ENV];
    delete process.env[SSL_KEY_PASSWORD_ENV];
    return { workerSecret: fromHex(env, WORKER_SECRET_ENV), ...(keyPassword ? { keyPassword } : {}) };
  }
  let parsed: Partial<LaunchSecrets>;
  try {
    parsed = JSON.parse(await readStdin()) as Partial<LaunchSecrets>;
  } catch (err) {
    throw new Error(`no launch secrets on stdin (${(err as Error).message}); this process is started by a job's ResourceManager`);
  }
  return { workerSecret: fromHex(parsed.workerSecret, 'stdin'), ...(typeof parsed.keyPassword === 'string' ? { keyPassword: parsed.keyPassword } : {}) };
}
