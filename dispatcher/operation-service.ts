/**
 * Asynchronous operations on a job (savepoint, stop with savepoint, rescale): recorded in Redis and
 * queued for the job process, which takes them up in turn (so a request survives a dispatcher
 * restart); their status is read back from the same record.
 */
import { randomBytes } from 'node:crypto';
import type { JobRegistry, NewOperation, OperationKind, ResourceRequirements } from '../metadata/index.js';
import type { OperationView, RequestRefusal, SavepointRequest, ShapeProblem } from './dispatcher-gateway.js';
import type { CapacityService } from './capacity.js';
import { IdConflict, JobNotInState, NotFound } from './errors.js';
import { HEX_ID, type JobService } from './job-service.js';
import { checkStateTarget } from './storage-targets.js';
import { checkRescalable, checkRequirements, checkRescaleParallelism, currentRequirements } from './rescale-checks.js';

export class OperationService {
  constructor(
    private readonly registry: JobRegistry,
    private readonly jobs: JobService,
    private readonly taskManagerLimit: { max: number; slots: number },
    private readonly capacity: Pick<CapacityService, 'reserveForRescale' | 'reserveForRequirements'>,
    /** Directories a savepoint's target directory must lie under (storage-targets.ts). */
    private readonly allowedStateDirs: readonly string[],
  ) {}

  triggerSavepoint(jobId: string, req: SavepointRequest, refusal?: RequestRefusal): Promise<string> {
    return this.startSavepoint(jobId, 'savepoint', req, refusal);
  }

  stopWithSavepoint(jobId: string, req: SavepointRequest, refusal?: RequestRefusal): Promise<string> {
    return this.startSavepoint(jobId, 'stop', { ...req, cancelJob: false }, refusal);
  }

  savepointStatus(jobId: string, triggerId: string): Promise<OperationView> {
    return this.operation(jobId, triggerId, ['savepoint', 'stop'], 'savepoint');
  }

  async rescale(jobId: string, parallelism: number, refusal?: RequestRefusal): Promise<string> {
    const rec = await this.jobs.getJob(jobId);
    checkRescalable(rec);
    if (refusal) throw refusal;
    checkRescaleParallelism(parallelism, rec, this.taskManagerLimit);
    await this.capacity.reserveForRescale(rec, parallelism);
    return this.record({ jobId: rec.id, kind: 'rescale', targetDirectory: '', cancelJob: false, parallelism });
  }

  rescaleStatus(jobId: string, triggerId: string): Promise<OperationView> {
    return this.operation(jobId, triggerId, ['rescale'], 'rescaling');
  }

  async resourceRequirements(jobId: string): Promise<ResourceRequirements> {
    return currentRequirements(await this.jobs.getJob(jobId));
  }

  async setResourceRequirements(jobId: string, body: unknown, shapeProblems: ShapeProblem[]): Promise<string> {
    const rec = await this.jobs.getJob(jobId);
    checkRescalable(rec);
    // The lower bounds must fit the TaskManager limits (else 400); upper bounds beyond what is reserved are lowered to it.
    const requirements = await this.capacity.reserveForRequirements(rec, checkRequirements(body, rec, shapeProblems));
    return this.record({ jobId: rec.id, kind: 'rescale', targetDirectory: '', cancelJob: false, requirements });
  }

  private async startSavepoint(jobId: string, kind: OperationKind, req: SavepointRequest, refusal: RequestRefusal): Promise<string> {
    const rec = await this.jobs.getJob(jobId);
    if (refusal) throw refusal;
    const earlier = req.triggerId ? await this.registry.getOperation(rec.id, req.triggerId) : undefined;
    if (earlier?.kind === 'rescale') throw new IdConflict(`triggerId ${earlier.id} is already the id of a rescaling request of job ${rec.id}`);
    if (earlier) return earlier.id; // the same trigger twice is one operation
    if (rec.state !== 'RUNNING') throw new JobNotInState(`Job ${rec.id} is ${rec.state}; savepoints need a RUNNING job`);
    if (req.targetDirectory) await checkStateTarget('targetDirectory', req.targetDirectory, this.allowedStateDirs);
    return this.record({ id: req.triggerId, jobId: rec.id, kind, targetDirectory: req.targetDirectory ?? '', cancelJob: req.cancelJob === true });
  }

  /** Records the operation and queues it for the job process; returns its trigger id. */
  private async record(op: Omit<NewOperation, 'id'> & { id?: string }): Promise<string> {
    const id = op.id ?? randomBytes(16).toString('hex');
    await this.registry.createOperation({ ...op, id });
    return id;
  }

  /** The operation `triggerId` of the job if it is one of `kinds`; NotFound otherwise (also for another route's trigger). */
  private async operation(jobId: string, triggerId: string, kinds: readonly OperationKind[], what: string): Promise<OperationView> {
    const job = await this.jobs.getJob(jobId);
    const operation = HEX_ID.test(triggerId) ? await this.registry.getOperation(job.id, triggerId) : undefined;
    if (!operation || !kinds.includes(operation.kind)) throw new NotFound(`No ${what} operation ${triggerId} for job ${job.id}`);
    return { job, operation };
  }
}
