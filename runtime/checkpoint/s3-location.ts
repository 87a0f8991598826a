/**
 * `s3://bucket/prefix` locations of checkpoints and savepoints. An object store has no directories:
 * a "directory" is a key prefix, and a file in it the object `<prefix>/<name>`. Locations are kept
 * normalised (no trailing slash, no empty, `.` or `..` segment), so that a prefix comparison is a
 * containment check (storage targets) and two spellings of one place are one string.
 */

const S3_URL = /^s3:\/\//i;

/** Whether a checkpoint path is an `s3://` URL. */
export function isS3Path(path: string): boolean { return S3_URL.test(path); }

export interface S3Location {
  bucket: string;
  /** The object key, or the key prefix of a "directory" (without a trailing slash); '' for the bucket itself. */
  key: string;
}

/** Bucket names as S3 (and MinIO) accept them: 3–63 of lower-case letters, digits, '.', '-'. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses an `s3://bucket/key` URL; throws a message naming what is wrong (`..` and `.` segments are
 * refused rather than resolved: an object store would take them literally, a filesystem would not).
 */
export function parseS3Path(path: string): S3Location {
  if (!isS3Path(path)) throw new Error(`${path} is not an s3:// URL`);
  const rest = path.slice('s3://'.length).replace(/\/+$/, '');
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (!BUCKET.test(bucket)) throw new Error(`${path}: "${bucket}" is not a bucket name (3-63 lower-case letters, digits, '.' and '-')`);
  if (key !== '' && key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`${path}: a key may not have empty, '.' or '..' segments`);
  }
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new Error(`${path}: a key may not hold control characters`);
  return { bucket, key };
}

/** The normalised form of an `s3://` URL (throws like parseS3Path). */
export function normalizeS3Path(path: string): string {
  const { bucket, key } = parseS3Path(path);
  return key ? `s3://${bucket}/${key}` : `s3://${bucket}`;
}

/** `<dir>/<name>/…` for an `s3://` directory; names are single segments or relative paths. */
export function joinS3(dir: string, ...names: string[]): string {
  return [dir.replace(/\/+$/, ''), ...names.map((n) => n.replace(/^\/+|\/+$/g, ''))].join('/');
}

/** Whether `path` is `dir` or lies inside it (both normalised `s3://` URLs, same bucket, whole segments). */
export function isUnderS3(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}
