/**
 * How a process reaches S3 (or an S3-compatible store: MinIO, Ceph RGW) for `s3://` checkpoint and
 * savepoint locations: the job's `s3.*` keys. The job process reads them from its spec, TaskManagers
 * from their registration answer (over the authenticated RPC channel, never argv or environment),
 * the dispatcher from its `-D` configuration merged with a job's. Without `s3.access-key` and
 * `s3.secret-key` the AWS SDK's default chain finds the credentials (AWS_ACCESS_KEY_ID and friends,
 * `~/.aws/credentials` and `~/.aws/config`, …).
 */

export interface S3Settings {
  /** `s3.endpoint`: an S3-compatible store's URL (e.g. `http://127.0.0.1:9000`); absent: AWS. */
  endpoint?: string;
  /** `s3.region`; absent: AWS_REGION, AWS_DEFAULT_REGION, else `us-east-1`. */
  region?: string;
  /** `s3.path.style.access`: `<endpoint>/<bucket>/<key>` instead of `<bucket>.<endpoint>/<key>` (MinIO, Ceph RGW). */
  pathStyle: boolean;
  /** `s3.access-key`. */
  accessKey?: string;
  /** `s3.secret-key` (a secret: masked wherever it could be shown). */
  secretKey?: string;
}

export const DEFAULT_S3_SETTINGS: S3Settings = { pathStyle: false };

let processSettings: S3Settings = DEFAULT_S3_SETTINGS;

/** Sets this process's S3 settings (the job's `s3.*` keys). */
export function setS3Settings(s: S3Settings): void { processSettings = { ...s }; }

export function s3Settings(): S3Settings { return processSettings; }

/** A stable key for a settings value (one client per distinct settings). */
export function s3SettingsKey(s: S3Settings): string {
  return JSON.stringify([s.endpoint ?? '', s.region ?? '', s.pathStyle, s.accessKey ?? '', s.secretKey ?? '']);
}
