/**
 * An operation queue for JobMaster tests: the test submits operations
 * (savepoint, stop, rescale) and gets their outcome. Each runs at once, so
 * whatever ordering is seen is the JobMaster's own (its scaler queues
 * rescales).
 */
import type { OperationRecord } from '../../metadata/index.js';
import type { OperationExecutor, OperationQueue } from '../../jobmaster/job-master-services.js';
import type { OperationOutcome } from '../../jobmaster/operation-runner.js';

export interface SubmittedOperation {
  op: OperationRecord;
  phases: string[];
  /** Resolves with the outcome or rejects with the failure, like the record the dispatcher serves. */
  done: Promise<OperationOutcome>;
  /** Set once done settled. */
  settled?: { outcome?: OperationOutcome; error?: Error };
}

export class TestingOperationQueue implements OperationQueue {
  started = false;
  abandonedCause: string | undefined;
  readonly submitted: SubmittedOperation[] = [];
  private n = 0;

  constructor(private readonly execute: OperationExecutor) {}

  start(): void { this.started = true; }
  stop(): void { this.started = false; }
  async failAbandoned(cause: string): Promise<number> { this.abandonedCause = cause; return 0; }

  /** Runs an operation now. */
  submit(fields: Partial<OperationRecord> & Pick<OperationRecord, 'kind'>): SubmittedOperation {
    if (!this.started) throw new Error('the operation queue was not started');
    const op = { id: `op-${++this.n}`, jobId: '', status: 'IN_PROGRESS', parallelism: 0, requirements: {}, targetDirectory: '', cancelJob: false, ...fields } as OperationRecord;
    const phases: string[] = [];
    const s: SubmittedOperation = { op, phases, done: this.execute(op, (p) => phases.push(p)) };
    s.done.then((outcome) => { s.settled = { outcome }; }, (error: Error) => { s.settled = { error }; });
    this.submitted.push(s);
    return s;
  }
}
