/**
 * Asynchronous operations on a job (savepoint, stop with savepoint, checkpoint, rescale): recorded in Redis and
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

  /** A checkpoint on request (every ebbflow checkpoint is full, so each of Flink's checkpoint types is one). */
  triggerCheckpoint(jobId: string, req: Pick<SavepointRequest, 'triggerId'>, refusal?: RequestRefusal): Promise<string> {
    return this.startSavepoint(jobId, 'checkpoint', { triggerId: req.triggerId, cancelJob: false }, refusal);
  }

  checkpointStatus(jobId: string, triggerId: string): Promise<OperationView> {
    return this.operation(jobId, triggerId, ['checkpoint'], 'checkpoint');
  }

  async rescale(jobId: string, parallelism: number, refusal?: RequestRefusal): Promise<string> {
    const rec = await this.jobs.getJob(jobId);
    checkRescalable(rec);
    if (refusal) throw refusal;
    checkRescaleParallelism(parallelism, rec, this.taskManagerLimit);
    await this.capacity.reserveForRescale(rec, parallelism);
    return (await this.record({ jobId: rec.id, kind: 'rescale', targetDirectory: '', cancelJob: false, parallelism }))!; // a fresh random id is never taken
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
    return (await this.record({ jobId: rec.id, kind: 'rescale', targetDirectory: '', cancelJob: false, requirements }))!;
  }

  private async startSavepoint(jobId: string, kind: OperationKind, req: SavepointRequest, refusal: RequestRefusal): Promise<string> {
    const rec = await this.jobs.getJob(jobId);
    if (refusal) throw refusal;
    const earlier = req.triggerId ? await this.sameTrigger(rec.id, req.triggerId, kind) : undefined;
    if (earlier) return earlier;
    if (rec.state !== 'RUNNING') throw new JobNotInState(`Job ${rec.id} is ${rec.state}; ${kind === 'checkpoint' ? 'checkpoints' : 'savepoints'} need a RUNNING job`);
    if (req.targetDirectory) await checkStateTarget('targetDirectory', req.targetDirectory, this.allowedStateDirs);
    const id = await this.record({ id: req.triggerId, jobId: rec.id, kind, targetDirectory: req.targetDirectory ?? '', cancelJob: req.cancelJob === true, drain: req.drain === true });
    // Another request with this triggerId claimed it between the look-up above and here: one operation, its id.
    return id ?? (await this.sameTrigger(rec.id, req.triggerId!, kind))!;
  }

  /** The id of the job's savepoint (or checkpoint) operation `triggerId` (the same trigger twice is one operation); 409 for another kind. */
  private async sameTrigger(jobId: string, triggerId: string, kind: OperationKind): Promise<string | undefined> {
    const earlier = await this.registry.getOperation(jobId, triggerId);
    const family = (k: OperationKind) => (k === 'stop' ? 'savepoint' : k);
    if (earlier && family(earlier.kind) !== family(kind)) throw new IdConflict(`triggerId ${earlier.id} is already the id of a ${earlier.kind === 'rescale' ? 'rescaling' : earlier.kind} request of job ${jobId}`);
    return earlier?.id;
  }

  /**
   * Records the operation and queues it for the job process, claiming its id atomically; returns the
   * id, or undefined when an operation with this id exists already (nothing was recorded).
   */
  private async record(op: Omit<NewOperation, 'id'> & { id?: string }): Promise<string | undefined> {
    const id = op.id ?? randomBytes(16).toString('hex');
    return (await this.registry.createOperation({ ...op, id })) ? id : undefined;
  }

  /** The operation `triggerId` of the job if it is one of `kinds`; NotFound otherwise (also for another route's trigger). */
  private async operation(jobId: string, triggerId: string, kinds: readonly OperationKind[], what: string): Promise<OperationView> {
    const job = await this.jobs.getJob(jobId);
    const operation = HEX_ID.test(triggerId) ? await this.registry.getOperation(job.id, triggerId) : undefined;
    if (!operation || !kinds.includes(operation.kind)) throw new NotFound(`No ${what} operation ${triggerId} for job ${job.id}`);
    return { job, operation };
  }
}
