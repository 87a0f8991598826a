/**
 * Deadlines for checkpoint storage calls. A call on a hung mount (NFS server gone, a FIFO where a
 * file should be) never returns, and everything awaiting it would wait forever: a savepoint stays
 * IN_PROGRESS and every later operation of the job queues behind it. Every call through
 * `storageFor()` therefore rejects with StorageTimeoutError after `ebbflow.storage.timeout`.
 *
 * Node cannot cancel a blocked file system call: it keeps one libuv threadpool thread
 * (UV_THREADPOOL_SIZE, 4 unless set; job processes and TaskManagers get 16) until it returns.
 * Calls past their deadline are counted; when so many are stuck that the pool would run dry, new
 * calls fail at once (StorageHungError) instead of taking the last threads. A late result that
 * holds a resource (an open file) is closed when it finally arrives.
 *
 * Calls that can be cancelled (an object store's HTTP requests) get an AbortSignal that fires at the
 * deadline: such a call ends right after it, so it is counted as stuck only for that moment.
 */
import { StorageHungError, StorageTimeoutError } from '../errors.js';

/** `ebbflow.storage.timeout`'s default. */
export const DEFAULT_STORAGE_TIMEOUT_MS = 60_000;

/** The threadpool size ebbflow starts its job processes and TaskManagers with, unless UV_THREADPOOL_SIZE is set. */
export const JOB_PROCESS_THREADPOOL_SIZE = 16;

let timeoutMs = DEFAULT_STORAGE_TIMEOUT_MS;

/** Sets this process's storage deadline (the job's `ebbflow.storage.timeout`). */
export function setStorageTimeout(ms: number): void {
  if (Number.isFinite(ms) && ms > 0) timeoutMs = ms;
}

export function storageTimeout(): number { return timeoutMs; }

/** Calls past their deadline that have not returned yet: "operation path" → since when. */
const hung = new Map<number, { what: string; since: number }>();
let nextCall = 0;

/** Descriptions of the storage calls of this process that passed their deadline and are still blocked. */
export function hungStorageCalls(): string[] { return [...hung.values()].map((h) => h.what); }

/** How many stuck calls are tolerated: the threadpool minus two threads kept for everything else. */
function maxHung(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, pool - 2);
}

/**
 * `start()`'s promise, or a StorageTimeoutError after `ms`. `onLate` receives a value that arrives
 * after the deadline (to close it); a late rejection is dropped (nobody awaits it any more). The
 * signal given to `start` aborts at the deadline (with the StorageTimeoutError as its reason).
 */
export function withDeadline<T>(start: (signal: AbortSignal) => Promise<T>, operation: string, path: string, onLate?: (value: T) => void, ms = timeoutMs): Promise<T> {
  if (hung.size >= maxHung()) {
    const oldest = [...hung.values()][0]!;
    return Promise.reject(new StorageHungError(hung.size, `${oldest.what}, blocked since ${new Date(oldest.since).toISOString()}`));
  }
  const abort = new AbortController();
  const work = start(abort.signal);
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const id = nextCall++;
    const timer = setTimeout(() => {
      late = true;
      hung.set(id, { what: `${operation} ${path}`, since: Date.now() - ms });
      const err = new StorageTimeoutError(operation, path, ms);
      reject(err);
      abort.abort(err);
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        if (!late) return resolve(value);
        hung.delete(id);
        onLate?.(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (!late) return reject(err);
        hung.delete(id);
      },
    );
  });
}
