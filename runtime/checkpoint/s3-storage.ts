/**
 * Checkpoint storage on S3 or an S3-compatible store (MinIO, Ceph RGW), through the AWS SDK v3.
 * An object store has no directories, and its objects appear whole:
 *   - ensureDir is a no-op, list is a prefix listing (one level, like readdir), removeDir deletes
 *     every object under the prefix;
 *   - writeAtomically is one PUT (a reader sees no object or all of it), so `_metadata` existing
 *     still means "complete";
 *   - a file being written is buffered and sent as one PUT when closed, or, once it passes
 *     PART_SIZE, as a multipart upload (parts of PART_SIZE, completed at close, aborted on failure);
 *     bytes of a file still open are not readable (`appendVisible` false, see StateFileWriter);
 *   - a positioned read is a ranged GET, so a restore or rescale fetches only its key groups.
 * Failed requests (throttling such as 503 SlowDown, 5xx, dropped connections) are retried by the
 * SDK's standard strategy with exponential back-off and jitter, up to MAX_ATTEMPTS per call; the
 * storage deadline (DeadlineStorage) bounds the whole call and aborts its HTTP request.
 * The SDK is loaded on first use: processes that never touch `s3://` do not pay for it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { cleanupFailed } from '../cleanup.js';
import type { CheckpointStorage, StorageReader, StorageWriter } from './checkpoint-storage.js';
import { parseS3Path, type S3Location } from './s3-location.js';
import type { S3Settings } from './s3-settings.js';

type Sdk = typeof import('@aws-sdk/client-s3');

/** Multipart part size: S3's minimum is 5 MiB (except the last part). */
export const PART_SIZE = 8 * 1024 * 1024;
/** Attempts per request (the first and up to 5 retries). */
export const MAX_ATTEMPTS = 6;
/** At most this many keys per DeleteObjects request (S3's limit). */
const DELETE_BATCH = 1000;

let sdk: Promise<Sdk> | undefined;
const loadSdk = (): Promise<Sdk> => (sdk ??= import('@aws-sdk/client-s3'));

/** An S3 error as a message naming the call, the object and the store's answer; "not found" keeps ENOENT as its code. */
function s3Error(err: unknown, operation: string, loc: S3Location): Error {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const status = e.$metadata?.httpStatusCode;
  const notFound = status === 404 || e.name === 'NoSuchKey' || e.name === 'NotFound' || e.name === 'NoSuchBucket';
  const what = `${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}${e.message && e.message !== e.name && e.message !== 'UnknownError' ? `: ${e.message}` : ''}`;
  const out = new Error(`S3 ${operation} s3://${loc.bucket}/${loc.key} failed: ${what}`, { cause: err });
  return Object.assign(out, { code: notFound ? 'ENOENT' : (e.code ?? e.name) });
}

export class S3Storage implements CheckpointStorage {
  readonly appendVisible = false;
  private client: Promise<S3Client> | undefined;

  constructor(private readonly settings: S3Settings) {}

  private async s3(): Promise<{ client: S3Client; sdk: Sdk }> {
    const m = await loadSdk();
    this.client ??= Promise.resolve(this.createClient(m));
    return { client: await this.client, sdk: m };
  }

  private createClient(m: Sdk): S3Client {
    const s = this.settings;
    return new m.S3Client({
      endpoint: s.endpoint,
      forcePathStyle: s.pathStyle,
      region: s.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      // Explicit keys, else the SDK's default chain (environment, shared files, …).
      credentials: s.accessKey && s.secretKey ? { accessKeyId: s.accessKey, secretAccessKey: s.secretKey } : undefined,
      maxAttempts: MAX_ATTEMPTS,
      retryMode: 'standard',
      // Checksums only where S3 demands them: S3-compatible stores do not all understand the
      // SDK's default trailing checksums (aws-chunked uploads).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5000 },
    });
  }

  async ensureDir(): Promise<void> { /* prefixes need not exist */ }

  async create(path: string): Promise<StorageWriter> {
    return new S3Writer(this, parseS3Path(path));
  }

  async openRead(path: string): Promise<StorageReader> {
    return new S3Reader(this, parseS3Path(path));
  }

  async readAll(path: string, signal?: AbortSignal): Promise<Buffer> {
    const loc = parseS3Path(path);
    const { client, sdk: m } = await this.s3();
    try {
      const r = await client.send(new m.GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }), { abortSignal: signal });
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (err) {
      throw s3Error(err, 'read', loc);
    }
  }

  /** Bytes `position`..`position + into.length - 1` of an object into `into`; how many there were. */
  async readRange(loc: S3Location, into: Buffer, position: number, signal?: AbortSignal): Promise<number> {
    if (into.length === 0) return 0;
    const { client, sdk: m } = await this.s3();
    let body: AsyncIterable<Uint8Array>;
    try {
      const r = await client.send(new m.GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, Range: `bytes=${position}-${position + into.length - 1}` }), { abortSignal: signal });
      body = r.Body as unknown as AsyncIterable<Uint8Array>;
    } catch (err) {
      // A range that starts at or past the end: nothing there, as a read past a file's end.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return 0;
      throw s3Error(err, 'read', loc);
    }
    let n = 0;
    try {
      for await (const chunk of body) {
        const take = Math.min(chunk.length, into.length - n);
        into.set(take === chunk.length ? chunk : chunk.subarray(0, take), n);
        n += take;
      }
    } catch (err) {
      throw s3Error(err, 'read', loc);
    }
    return n;
  }

  async size(path: string, signal?: AbortSignal): Promise<number> {
    const loc = parseS3Path(path);
    const { client, sdk: m } = await this.s3();
    try {
      return Number((await client.send(new m.HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }), { abortSignal: signal })).ContentLength ?? 0);
    } catch (err) {
      throw s3Error(err, 'stat', loc);
    }
  }

  /** The names one level below the prefix `dir` (objects and "subdirectories"); [] when there are none. */
  async list(dir: string, signal?: AbortSignal): Promise<string[]> {
    const loc = parseS3Path(dir);
    const prefix = loc.key ? `${loc.key}/` : '';
    const { client, sdk: m } = await this.s3();
    const names: string[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await client.send(new m.ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }), { abortSignal: signal });
        for (const o of r.Contents ?? []) if (o.Key && o.Key.length > prefix.length) names.push(o.Key.slice(prefix.length));
        for (const p of r.CommonPrefixes ?? []) if (p.Prefix) names.push(p.Prefix.slice(prefix.length).replace(/\/$/, ''));
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw s3Error(err, 'list', loc);
    }
    return names;
  }

  async writeAtomically(path: string, bytes: Uint8Array, abandoned?: () => boolean, signal?: AbortSignal): Promise<void> {
    const loc = parseS3Path(path);
    await this.put(loc, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), signal);
    // Its caller gave up while the PUT went through after all: the object must not stay.
    if (abandoned?.()) await this.deleteKeys(loc.bucket, [loc.key]);
  }

  async put(loc: S3Location, body: Buffer, signal?: AbortSignal): Promise<void> {
    const { client, sdk: m } = await this.s3();
    try {
      await client.send(new m.PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: body, ContentLength: body.length }), { abortSignal: signal });
    } catch (err) {
      throw s3Error(err, 'write', loc);
    }
  }

  /** Deletes one object; a missing one is no error. */
  async removeObject(path: string, signal?: AbortSignal): Promise<void> {
    const loc = parseS3Path(path);
    if (!loc.key) throw new Error(`refusing to delete the whole bucket ${path}`);
    await this.deleteKeys(loc.bucket, [loc.key], signal);
  }

  /** Deletes every object under the prefix `dir`; nothing there is no error. */
  async removeDir(dir: string, signal?: AbortSignal): Promise<void> {
    const loc = parseS3Path(dir);
    if (!loc.key) throw new Error(`refusing to delete the whole bucket ${dir}`);
    const { client, sdk: m } = await this.s3();
    for (;;) {
      let keys: string[];
      try {
        const r = await client.send(new m.ListObjectsV2Command({ Bucket: loc.bucket, Prefix: `${loc.key}/`, MaxKeys: DELETE_BATCH }), { abortSignal: signal });
        keys = (r.Contents ?? []).map((o) => o.Key!).filter(Boolean);
      } catch (err) {
        throw s3Error(err, 'list', loc);
      }
      if (!keys.length) return;
      await this.deleteKeys(loc.bucket, keys, signal);
    }
  }

  private async deleteKeys(bucket: string, keys: string[], signal?: AbortSignal): Promise<void> {
    const { client, sdk: m } = await this.s3();
    const loc = { bucket, key: keys[0]! };
    let errors: Array<{ Key?: string; Code?: string; Message?: string }>;
    try {
      const r = await client.send(new m.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }), { abortSignal: signal });
      errors = r.Errors ?? [];
    } catch (err) {
      throw s3Error(err, 'delete', loc);
    }
    if (errors.length) throw new Error(`S3 delete of ${errors.length} object(s) in s3://${bucket} failed, e.g. ${errors[0]!.Key}: ${errors[0]!.Code} ${errors[0]!.Message ?? ''}`);
  }

  /** The multipart calls of S3Writer. */
  async startMultipart(loc: S3Location, signal?: AbortSignal): Promise<string> {
    const { client, sdk: m } = await this.s3();
    try {
      const r = await client.send(new m.CreateMultipartUploadCommand({ Bucket: loc.bucket, Key: loc.key }), { abortSignal: signal });
      if (!r.UploadId) throw new Error('no UploadId in the answer');
      return r.UploadId;
    } catch (err) {
      throw s3Error(err, 'start multipart upload of', loc);
    }
  }

  async uploadPart(loc: S3Location, uploadId: string, partNumber: number, body: Buffer, signal?: AbortSignal): Promise<string> {
    const { client, sdk: m } = await this.s3();
    try {
      const r = await client.send(new m.UploadPartCommand({ Bucket: loc.bucket, Key: loc.key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }), { abortSignal: signal });
      return r.ETag ?? '';
    } catch (err) {
      throw s3Error(err, `upload part ${partNumber} of`, loc);
    }
  }

  async completeMultipart(loc: S3Location, uploadId: string, etags: string[], signal?: AbortSignal): Promise<void> {
    const { client, sdk: m } = await this.s3();
    try {
      await client.send(new m.CompleteMultipartUploadCommand({
        Bucket: loc.bucket, Key: loc.key, UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }), { abortSignal: signal });
    } catch (err) {
      throw s3Error(err, 'complete multipart upload of', loc);
    }
  }

  async abortMultipart(loc: S3Location, uploadId: string): Promise<void> {
    const { client, sdk: m } = await this.s3();
    try {
      await client.send(new m.AbortMultipartUploadCommand({ Bucket: loc.bucket, Key: loc.key, UploadId: uploadId }));
    } catch (err) {
      throw s3Error(err, 'abort multipart upload of', loc);
    }
  }
}

/**
 * A file being written: bytes are buffered; past PART_SIZE they go out as parts of a multipart
 * upload, the rest at close (one PUT when the file stayed small). `abort` drops what was written.
 */
class S3Writer implements StorageWriter {
  private pending: Buffer[] = [];
  private buffered = 0;
  private uploadId: string | undefined;
  private readonly etags: string[] = [];
  private done = false;

  constructor(private readonly s3: S3Storage, private readonly loc: S3Location) {}

  async writev(chunks: Uint8Array[], signal?: AbortSignal): Promise<void> {
    if (this.done) throw new Error(`s3://${this.loc.bucket}/${this.loc.key} is closed`);
    for (const c of chunks) {
      this.pending.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
      this.buffered += c.byteLength;
    }
    while (this.buffered >= PART_SIZE) await this.sendPart(this.take(PART_SIZE), signal);
  }

  /** The first `n` buffered bytes as one buffer. */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = this.pending[0]!;
      const k = Math.min(head.length, n - filled);
      head.copy(out, filled, 0, k);
      filled += k;
      if (k === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(k);
    }
    this.buffered -= n;
    return out;
  }

  private async sendPart(body: Buffer, signal?: AbortSignal): Promise<void> {
    this.uploadId ??= await this.s3.startMultipart(this.loc, signal);
    this.etags.push(await this.s3.uploadPart(this.loc, this.uploadId, this.etags.length + 1, body, signal));
  }

  async close(signal?: AbortSignal): Promise<void> {
    if (this.done) return;
    this.done = true;
    const rest = this.take(this.buffered);
    this.pending = [];
    if (this.uploadId === undefined) return this.s3.put(this.loc, rest, signal);
    try {
      if (rest.length) await this.sendPart(rest, signal);
      await this.s3.completeMultipart(this.loc, this.uploadId, this.etags, signal);
    } catch (err) {
      // Parts left behind by a failed abort cost space only (a bucket lifecycle rule removes them); the write's error is what matters.
      await this.abortUpload().catch(cleanupFailed('aborting a failed multipart upload (its parts stay until a bucket lifecycle rule removes them)', undefined, { key: this.loc.key }));
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.pending = [];
    this.buffered = 0;
    await this.abortUpload();
  }

  private async abortUpload(): Promise<void> {
    if (this.uploadId !== undefined) await this.s3.abortMultipart(this.loc, this.uploadId);
    this.uploadId = undefined;
  }
}

/** An object read by ranges. Nothing to close: every read is its own request. */
class S3Reader implements StorageReader {
  constructor(private readonly s3: S3Storage, private readonly loc: S3Location) {}
  read(into: Buffer, position: number, signal?: AbortSignal): Promise<number> { return this.s3.readRange(this.loc, into, position, signal); }
  async close(): Promise<void> { /* nothing held */ }
}
