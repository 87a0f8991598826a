/**
 * The job's settings a registration answer carries for the whole TaskManager process: frame
 * limits, the storage deadline and the `s3.*` settings. Separate from the TaskExecutor because they
 * are process-wide (the checkpoint storage reads them, not the executor) and each new JobMaster
 * sends them again.
 */
import type { ebbflow } from '../proto/generated/rpc.js';
import type { RpcConnection } from '../rpc/index.js';
import { setStorageTimeout } from '../runtime/checkpoint/storage-deadline.js';
import { setS3Settings } from '../runtime/checkpoint/s3-settings.js';
import type { DataServer } from '../runtime/network/data-server.js';

export interface JobSettingsTargets {
  rpc: RpcConnection;
  dataServer: DataServer;
  /** Told the S3 secret key, so the log masks it. */
  learnSecrets?: (secrets: string[]) => void;
}

/** Applies what registration answer `r` says; a setting it does not carry keeps its value. */
export function applyJobSettings(r: ebbflow.rpc.RegistrationResponse.$Properties, t: JobSettingsTargets): void {
  // The job's frame limits (ebbflow.rpc.max-frame-size, ebbflow.network.max-frame-size); until now the defaults held.
  if (r.rpcMaxFrameBytes) t.rpc.maxFrameBytes = r.rpcMaxFrameBytes;
  if (r.networkMaxFrameBytes) t.dataServer.maxFrameBytes = r.networkMaxFrameBytes;
  // Before any task deploys: its restore reads and snapshot writes have the job's storage deadline.
  if (r.storageTimeoutMs) setStorageTimeout(r.storageTimeoutMs);
  // And `s3://` state is reached with the job's s3.* settings (the secret key comes only this way).
  if (r.s3) {
    const s = r.s3;
    setS3Settings({
      pathStyle: s.pathStyle === true, ...(s.endpoint ? { endpoint: s.endpoint } : {}), ...(s.region ? { region: s.region } : {}),
      ...(s.accessKey && s.secretKey ? { accessKey: s.accessKey, secretKey: s.secretKey } : {}),
    });
    if (s.secretKey) t.learnSecrets?.([s.secretKey]);
  }
}
