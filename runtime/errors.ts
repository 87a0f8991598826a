/** Errors of the runtime, each with a stable code. */
import { join } from 'node:path';
import { PROJECT_ROOT } from './install-paths.js';

/**
 * What job processes and TaskManagers log (at error) for a promise rejection nobody handled: a bug
 * to fix, never expected; tests scan job logs for it.
 */
export const UNHANDLED_REJECTION_MESSAGE = 'EBBFLOW_UNHANDLED_REJECTION: a promise rejection nobody handled (a bug; please report it)';

export class EbbflowError extends Error {
  readonly code: string = 'EBBFLOW_ERROR';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** The job function built an invalid dataflow (no source, no sink, bad arguments). */
export class InvalidJobError extends EbbflowError {
  override readonly code = 'EBBFLOW_INVALID_JOB';
}

/** The bundle could not be loaded: missing entry, no such export, or it threw on import. */
export class BundleLoadError extends EbbflowError {
  override readonly code = 'EBBFLOW_BUNDLE_LOAD';
}

/** Where ebbflow's own code runs from (its build and its dependencies): frames there are internals. */
const ROOT = PROJECT_ROOT;
const INTERNAL = [join(ROOT, 'dist'), join(ROOT, 'node_modules'), join(ROOT, 'runtime'), join(ROOT, 'jobmaster'), join(ROOT, 'taskmanager')];

/**
 * Keeps the stack frames of the user's code and drops ebbflow's own and Node's: a failure shows where
 * the job failed without revealing the server's install paths.
 */
function userFrames(stack: string): string {
  const lines = stack.split('\n');
  const head = lines.filter((l) => !/^\s+at /.test(l));
  const frames = lines.filter((l) => /^\s+at /.test(l) && !INTERNAL.some((p) => l.includes(p)) && !/\(node:|at node:|node:internal|ebbflow-taskmanager\.mjs/.test(l));
  return [...head, ...frames].join('\n');
}

/** Formats an unknown thrown value as "Name: message\nstack" (the user's frames only). */
export function describeError(err: unknown): string {
  // Our own errors explain themselves; their stack is about ebbflow internals, not the user's code.
  if (err instanceof EbbflowError) return `${err.name}: ${err.message}`;
  if (err instanceof Error) return userFrames(err.stack && err.stack.includes(err.message) ? err.stack : `${err.name}: ${err.message}\n${err.stack ?? ''}`);
  return `non-Error thrown: ${String(err)}`;
}

/**
 * A peer declared a frame longer than the limit: refused before its body is read, and the
 * connection closed. The message names the setting that raises the limit.
 */
export class FrameTooLargeError extends EbbflowError {
  override readonly code = 'EBBFLOW_FRAME_TOO_LARGE';
  /** `setting`: the job setting that raises the limit; '' for a fixed bound (`what` then says what the frame should have been). */
  constructor(readonly declared: number, readonly limit: number, setting: string, what = 'frame') {
    super(`a peer sent a ${what} of ${declared} bytes, over the limit of ${limit} bytes${setting ? ` (raise it with the job setting ${setting})` : ''}`);
  }
}

/** Bytes from a peer that are not a valid frame or message (bad length prefix, header, batch or envelope): that connection is closed. */
export class FrameDecodeError extends EbbflowError {
  override readonly code = 'EBBFLOW_FRAME_INVALID';
}

/**
 * A record reached a keyed subtask for a key group it does not own (a producer routed by another
 * key-group table, or a forged record): the subtask fails with this cause instead of applying it.
 */
export class KeyGroupNotOwnedError extends EbbflowError {
  override readonly code = 'EBBFLOW_KEY_GROUP_NOT_OWNED';
}

/**
 * A checkpoint storage call (mkdir, open, write, read, list, remove) did not return within
 * `ebbflow.storage.timeout`: a hung or very slow mount. The call is abandoned (the operation or
 * checkpoint that made it fails); the thread it occupies is freed only when the call returns.
 */
export class StorageTimeoutError extends EbbflowError {
  override readonly code = 'EBBFLOW_STORAGE_TIMEOUT';
  constructor(readonly operation: string, readonly path: string, readonly timeoutMs: number) {
    super(`checkpoint storage did not answer within ${timeoutMs} ms: ${operation} ${path} (a hung or very slow mount?); raise the job setting ebbflow.storage.timeout if the storage is only slow`);
  }
}

/**
 * Too many earlier storage calls of this process passed their deadline and still have not
 * returned: each holds one of Node's I/O threads, so no new storage call is started until some
 * return (the process keeps threads for its other work: DNS, sockets, logs).
 */
export class StorageHungError extends EbbflowError {
  override readonly code = 'EBBFLOW_STORAGE_HUNG';
  constructor(readonly hung: number, readonly oldest: string) {
    super(`${hung} earlier checkpoint storage calls never returned (the oldest: ${oldest}); no new storage call starts until they do`);
  }
}

/**
 * A peer of an internal channel (RPC or data) did not prove it holds the channel's secret: a wrong
 * or missing MAC, an unknown identity, a malformed or oversized handshake frame, or no answer in
 * time. The connection is closed before any frame of the channel's protocol is read.
 */
export class HandshakeError extends EbbflowError {
  override readonly code = 'EBBFLOW_HANDSHAKE_FAILED';
}
