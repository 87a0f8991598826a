/**
 * What a driver hands a TaskManager it starts, out of sight of `ps`: the registration secret the
 * JobMaster issued for it. The local driver writes it as one JSON line to the child's stdin; the
 * Mesos driver puts it in the task's environment (`EBBFLOW_WORKER_SECRET`). The TaskManager reads
 * it once at start (taskmanager/main.ts) and drops the variable from its environment.
 */
import type { WorkerSpec } from './driver.js';

/** The environment variable of the worker secret on Mesos. */
export const WORKER_SECRET_ENV = 'EBBFLOW_WORKER_SECRET';
/** The environment variable of the internal SSL key's passphrase on Mesos (`security.ssl.internal.key-password`). */
export const SSL_KEY_PASSWORD_ENV = 'EBBFLOW_SSL_KEY_PASSWORD';

/** The JSON line the local driver writes to a TaskManager's stdin. */
export interface LaunchSecrets {
  /** Hex of the 32-byte registration secret. */
  workerSecret: string;
  /** Passphrase of the internal SSL key, when it has one. */
  keyPassword?: string;
}

export function launchSecrets(spec: WorkerSpec): LaunchSecrets {
  return { workerSecret: spec.secret, ...(spec.ssl?.keyPassword ? { keyPassword: spec.ssl.keyPassword } : {}) };
}

/** The command-line flags of the internal SSL files (paths only: not secret). */
export function sslFlags(spec: WorkerSpec): string[] {
  return spec.ssl ? ['--ssl-keystore', spec.ssl.keystore, '--ssl-truststore', spec.ssl.truststore] : [];
}
