/**
 * Errors of the dispatcher's use cases (the DispatcherGateway). Each has a stable `code` and the
 * HTTP status the REST API answers it with; api/errors.ts turns them into Flink's `{"errors":[...]}`.
 */
import { EbbflowError } from '../runtime/errors.js';

/** A refused request: `messages` holds one entry per problem (the `errors` array of the answer). */
export abstract class DispatcherError extends EbbflowError {
  /** The HTTP status the REST API answers with. */
  abstract readonly status: number;
  readonly messages: string[];

  constructor(message: string | string[]) {
    const messages = [message].flat();
    super(messages.join('; '));
    this.messages = messages;
  }
}

/** Bad input (400): a value out of range, a limit exceeded, an unreadable savepoint, a bundle that does not load. */
export class InvalidRequest extends DispatcherError {
  override readonly code: string = 'EBBFLOW_INVALID_REQUEST';
  readonly status = 400;
}

/** A run, rescale or resource-requirements lower bound past a TaskManager limit (400); nothing was started or recorded. */
export class CapacityExceeded extends InvalidRequest {
  override readonly code = 'EBBFLOW_CAPACITY_EXCEEDED';
}

/** No such job, jar, vertex or operation (404). */
export class NotFound extends DispatcherError {
  override readonly code: string = 'EBBFLOW_NOT_FOUND';
  readonly status = 404;
}

export class JobNotFound extends NotFound {
  override readonly code = 'EBBFLOW_JOB_NOT_FOUND';
  constructor(readonly jobId: string) { super(`Job ${jobId} does not exist`); }
}

export class JarNotFound extends NotFound {
  override readonly code = 'EBBFLOW_JAR_NOT_FOUND';
  constructor(readonly jarId: string) { super(`Jar "${jarId}" does not exist`); }
}

/** The job's state does not allow the request, or an id is already taken (409). */
export class JobNotInState extends DispatcherError {
  override readonly code: string = 'EBBFLOW_JOB_NOT_IN_STATE';
  readonly status = 409;
}

export class IdConflict extends JobNotInState {
  override readonly code = 'EBBFLOW_ID_CONFLICT';
}

/** An upload over the size limit (413), or a bundle the store refused with its own status. */
export class BundleRejected extends DispatcherError {
  override readonly code = 'EBBFLOW_BUNDLE_REJECTED';
  constructor(message: string, readonly status: number) { super(message); }
}

/** The dispatcher cannot take the request now (503); `retryAfterSeconds` says when to retry, if known. */
export class Unavailable extends DispatcherError {
  override readonly code = 'EBBFLOW_UNAVAILABLE';
  readonly status = 503;
  constructor(message: string, readonly retryAfterSeconds?: number) { super(message); }
}
