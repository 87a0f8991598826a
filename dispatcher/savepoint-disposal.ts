/**
 * Savepoint disposal (`flink savepoint -d <path>`, Flink's POST /savepoint-disposal): deletes a
 * savepoint directory. It runs here in the dispatcher (no job, no user code is involved) and only
 * deletes what is certainly a savepoint inside the allowed state directories (storage-targets.ts):
 * the path must resolve (after `..` and symbolic links) under one of them, must not be one of them,
 * and must hold a `_metadata` that decodes as a savepoint's (a retained checkpoint is the job's
 * retention's to delete); anything else completes as a failed operation naming why. Every storage
 * call goes through `storageFor()`, and the whole disposal has the dispatcher's storage deadline
 * (`-D ebbflow.storage.timeout`), so a hung mount fails it instead of leaving it IN_PROGRESS forever.
 * A savepoint on `s3://` is reached with the dispatcher's `-D s3.*` settings and deleted by prefix.
 *
 * Like Flink's dispatcher, the operations live in memory (a dispatcher restart forgets them; a
 * poll for a forgotten id answers 404): completed ones are kept for COMPLETED_TTL_MS, at most
 * MAX_KEPT of them.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { describeError } from '../runtime/errors.js';
import { localPath, storageFor } from '../runtime/checkpoint/checkpoint-storage.js';
import { isS3Path, normalizeS3Path } from '../runtime/checkpoint/s3-location.js';
import type { S3Settings } from '../runtime/checkpoint/s3-settings.js';
import { METADATA_FILE, readMetadata } from '../runtime/checkpoint/snapshot-io.js';
import { withDeadline } from '../runtime/checkpoint/storage-deadline.js';
import { NotFound } from './errors.js';
import { HEX_ID } from './job-service.js';
import { checkStateTarget, realPathOf } from './storage-targets.js';

/** A disposal refused for a reason the user fixes; `name` is the cause's class as Flink's client shows it. */
class DisposalRefused extends Error {
  constructor(name: string, message: string) { super(message); this.name = name; }
}

const COMPLETED_TTL_MS = 5 * 60_000;
const MAX_KEPT = 1000;

/** A disposal's state: IN_PROGRESS, or COMPLETED with or without a failure cause. */
export interface DisposalStatus {
  status: 'IN_PROGRESS' | 'COMPLETED';
  /** `Class: message` when it failed. */
  failureCause?: string;
}

export class SavepointDisposalService {
  private readonly operations = new Map<string, DisposalStatus & { completedAt?: number }>();

  constructor(private readonly allowedStateDirs: readonly string[], private readonly storageTimeoutMs: number, private readonly log: Logger, private readonly s3: S3Settings = { pathStyle: false }) {}

  /** Starts deleting the savepoint at `path`; answers the trigger id (a repeated `triggerId` is one operation). */
  dispose(path: string, triggerId?: string): string {
    this.expire();
    if (triggerId && this.operations.has(triggerId)) return triggerId;
    const id = triggerId ?? randomBytes(16).toString('hex');
    const op: DisposalStatus & { completedAt?: number } = { status: 'IN_PROGRESS' };
    this.operations.set(id, op);
    let abandoned = false;
    void withDeadline(() => this.run(path, () => abandoned), 'dispose savepoint', path, undefined, this.storageTimeoutMs).catch((err: unknown) => {
      abandoned = true; // a slow call that returns after the deadline must not go on to delete what was reported as kept
      throw err;
    }).then(
      () => { this.log.info({ path }, 'savepoint disposed'); },
      (err: unknown) => { op.failureCause = err instanceof DisposalRefused ? `${err.name}: ${err.message}` : describeError(err); this.log.warn({ path, err: op.failureCause }, 'savepoint disposal failed'); },
    ).finally(() => { op.status = 'COMPLETED'; op.completedAt = Date.now(); });
    return id;
  }

  status(triggerId: string): DisposalStatus {
    const op = HEX_ID.test(triggerId) ? this.operations.get(triggerId) : undefined;
    if (!op) throw new NotFound(`No savepoint disposal ${triggerId} (disposals are kept ${COMPLETED_TTL_MS / 60_000} minutes after they complete, and not across dispatcher restarts)`);
    return op.failureCause ? { status: op.status, failureCause: op.failureCause } : { status: op.status };
  }

  private async run(path: string, abandoned: () => boolean): Promise<void> {
    if (typeof path !== 'string' || path.trim() === '') throw new DisposalRefused('IllegalArgumentException', 'savepoint-path is empty');
    // Inside an allowed directory (the same check as a savepoint's target), and not the directory itself.
    await checkStateTarget('savepoint-path', path, this.allowedStateDirs).catch((err: Error) => { throw new DisposalRefused('IllegalArgumentException', `${err.message}`); });
    const dir = isS3Path(path) ? normalizeS3Path(path) : await realPathOf(resolve(localPath(path)));
    for (const allowed of this.allowedStateDirs) {
      if (dir === (isS3Path(allowed) ? allowed : await realPathOf(allowed))) throw new DisposalRefused('IllegalArgumentException', `savepoint-path ${path} is an allowed state directory itself, not a savepoint; name the savepoint directory under it`);
    }
    const storage = storageFor(dir, this.s3);
    let names: string[];
    try {
      names = await storage.list(dir);
    } catch (err) {
      throw new DisposalRefused('FileNotFoundException', `savepoint-path ${path} is not a readable directory: ${describeError(err)}`);
    }
    if (!names.includes(METADATA_FILE)) throw new DisposalRefused('IllegalArgumentException', `${path} does not look like a savepoint (it has no ${METADATA_FILE} file); nothing was deleted`);
    let meta;
    try {
      meta = await readMetadata(dir, storage);
    } catch (err) {
      throw new DisposalRefused('IllegalArgumentException', `${path} does not look like a savepoint (${(err as Error).message}); nothing was deleted`);
    }
    if (!meta.isSavepoint) throw new DisposalRefused('IllegalArgumentException', `${path} is checkpoint ${meta.checkpointId} of job ${meta.jobId}, not a savepoint; retained checkpoints are deleted by the job's checkpoint retention. Nothing was deleted`);
    if (abandoned()) return;
    await storage.removeDir(dir);
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, op] of this.operations) {
      if (op.completedAt !== undefined && (now - op.completedAt > COMPLETED_TTL_MS || this.operations.size > MAX_KEPT)) this.operations.delete(id);
    }
  }
}
