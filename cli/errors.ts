/**
 * Errors of the `ebbflow` command, each with a stable `code` (never reused for another meaning).
 * main.ts prints their message alone (no stack) and exits with status 1; each message names the
 * flag or the command that fixes it.
 */
import { EbbflowError } from '../runtime/errors.js';

/** A usage mistake (flags that do not go together, a vertex that does not exist). */
export class CliError extends EbbflowError {
  override readonly code: string = 'EBBFLOW_CLI_USAGE';
}

/** The dispatcher answered a request with an error status (`status`); the message holds its `errors`. */
export class RestError extends EbbflowError {
  override readonly code: string = 'EBBFLOW_CLI_REST';
  constructor(readonly status: number, message: string) { super(message); }
}

/** The dispatcher could not be reached at all (`status` 0): the message names --url and `ebbflow dispatcher`. */
export class DispatcherUnreachableError extends RestError {
  override readonly code = 'EBBFLOW_CLI_DISPATCHER_UNREACHABLE';
  constructor(readonly baseUrl: string, cause: unknown) {
    const reason = cause instanceof Error ? (cause.cause ?? cause.message) : String(cause);
    super(0, `cannot reach the dispatcher at ${baseUrl}: ${reason}. Is it running (ebbflow dispatcher)? Its address is --url (env EBBFLOW_URL; several dispatchers comma-separated).`);
  }
}
