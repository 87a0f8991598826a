/**
 * What the job routes share: looking up a job, and the asynchronous operations
 * (savepoint, stop, rescale) that the dispatcher records in Redis for the job
 * process to run, with Flink's status shape for polling them.
 */
import { randomBytes } from 'node:crypto';
import type { Dispatcher } from '../../dispatcher/index.js';
import { isTerminal, type JobRecord, type NewOperation, type OperationKind, type OperationRecord } from '../../metadata/index.js';
import { notFound } from '../errors.js';

/** Job, vertex and trigger ids: 32 lowercase hex characters. */
export const HEX_ID = /^[0-9a-f]{32}$/;

export const newTriggerId = (): string => randomBytes(16).toString('hex');

export async function getJob(d: Dispatcher, id: string): Promise<JobRecord> {
  const rec = HEX_ID.test(id) ? await d.registry.get(id) : undefined;
  if (!rec) throw notFound(`Job ${id} does not exist`);
  return rec;
}

/** Records the operation and queues it for the job process; returns its trigger id. */
export async function recordOperation(d: Dispatcher, op: Omit<NewOperation, 'id'> & { id?: string }): Promise<string> {
  const id = op.id ?? newTriggerId();
  await d.registry.createOperation({ ...op, id });
  return id;
}

/** The operation `triggerId` of the job if it is one of `kinds`; 404 otherwise (also for another route's trigger). */
export async function getOperationOf(d: Dispatcher, rec: JobRecord, triggerId: string, kinds: readonly OperationKind[], what: string): Promise<OperationRecord> {
  const op = HEX_ID.test(triggerId) ? await d.registry.getOperation(rec.id, triggerId) : undefined;
  if (!op || !kinds.includes(op.kind)) throw notFound(`No ${what} operation ${triggerId} for job ${rec.id}`);
  return op;
}

const failure = (cls: string, stackTrace: string) => ({ 'failure-cause': { class: cls, 'stack-trace': stackTrace, 'serialized-throwable': null } });

/**
 * Flink's AsynchronousOperationResult: IN_PROGRESS with a null operation, or COMPLETED with
 * `success(op)` or a failure cause. `pending` ends the sentence "the job ended before …".
 */
export function operationStatus(rec: JobRecord, op: OperationRecord, pending: string, success: (op: OperationRecord) => Record<string, unknown>) {
  if (op.status === 'IN_PROGRESS') {
    // A job that ended before taking up the request will never answer it.
    if (isTerminal(rec.state)) return { status: { id: 'COMPLETED' }, operation: failure('JobEnded', `the job ended (${rec.state}) before ${pending}`) };
    return { status: { id: 'IN_PROGRESS' }, operation: null, ...(op.progress ? { progress: op.progress } : {}) };
  }
  return {
    status: { id: 'COMPLETED' },
    operation: op.failureCause ? failure(op.failureCause.split(/[:\n]/)[0]!, op.failureCause) : success(op),
  };
}
