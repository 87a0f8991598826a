/**
 * Errors of the Mesos resource provider, each with a stable `code` (never reused for another
 * meaning). Where a user can fix the cause, the message names the setting (`mesos.master`,
 * `mesos.resourcemanager.tasks.*`) or the command (`npm run build`) that does.
 */
import { EbbflowError } from '../../runtime/errors.js';

/** A message that does not parse or lacks a required field (a master answers 400). */
export class MesosWireError extends EbbflowError {
  override readonly code = 'EBBFLOW_MESOS_WIRE';
}

/** The SUBSCRIBE stream's RecordIO framing is corrupt (the client reconnects). */
export class RecordIOError extends EbbflowError {
  override readonly code = 'EBBFLOW_MESOS_RECORDIO';
}

/** A call the master refused (`status`) or that could not be delivered (no status). */
export class MesosCallError extends EbbflowError {
  override readonly code: string = 'EBBFLOW_MESOS_CALL';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/**
 * A call not sent because the scheduler is not subscribed to a master (yet, or any more): the
 * message says which call and, if known, why the last attempt failed.
 */
export class MesosNotSubscribedError extends MesosCallError {
  override readonly code = 'EBBFLOW_MESOS_NOT_SUBSCRIBED';
}

/** No answer from the master (a call) or no event and no heartbeat (the SUBSCRIBE stream) in time. */
export class MesosTimeoutError extends EbbflowError {
  override readonly code = 'EBBFLOW_MESOS_TIMEOUT';
}

/** Another scheduler subscribed with this job's framework id: this one stops. */
export class MesosFrameworkFailedOverError extends EbbflowError {
  override readonly code = 'EBBFLOW_MESOS_FAILED_OVER';
  constructor(readonly masterMessage: string) {
    super(`another scheduler took over this job's Mesos framework (${masterMessage})`);
  }
}

/** A `mesos.constraints.hard.hostattribute` entry that is not `key:value`. */
export class MesosConstraintError extends EbbflowError {
  override readonly code = 'EBBFLOW_MESOS_CONSTRAINT';
  constructor(readonly part: string) {
    super(`bad hard constraint "${part}": expected key:value`);
  }
}

/** The bundled TaskManager runtime the artifact server hands to agents is not built. */
export class MesosRuntimeMissingError extends EbbflowError {
  override readonly code = 'EBBFLOW_MESOS_RUNTIME_MISSING';
  constructor(readonly runtimeFile: string) {
    super(`the TaskManager runtime ${runtimeFile} is missing: run npm run build`);
  }
}
