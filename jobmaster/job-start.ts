/**
 * What a job process starts from: for a recovery (a new job process for a job whose process died)
 * the record the earlier process left and the newest completed checkpoint on disk, else the
 * savepoint the job was submitted with; the job's plan; and, from those, the scale and resource
 * requirements its runtime starts with. Separate from the JobMaster because it all happens before
 * any part of the job exists, and decides only where the job resumes.
 */
import type { Logger } from 'pino';
import type { JobException, JobRecord } from '../metadata/index.js';
import { latestCompletedCheckpoint, readMetadata, type MetadataPlain } from '../runtime/checkpoint/snapshot-io.js';
import type { JobPlan } from '../runtime/plan.js';
import type { JobMasterServices } from './job-master-services.js';
import { JobRuntime } from './job-runtime.js';
import { planScale, restoredRequirements, scaleOfCheckpoint, uniformParallelism, vertexLimits } from './job-scale.js';
import type { CompiledJobSpec } from './job-spec.js';

export interface JobStart {
  plan: JobPlan;
  /** The metadata of the checkpoint or savepoint the job restores, if any. */
  restore: MetadataPlain | undefined;
  /** Where that is (the submitted savepoint when it restores none). */
  restorePath: CompiledJobSpec['savepointPath'];
  /** The job record of the earlier job process (a recovery whose record could be read). */
  prior: JobRecord | undefined;
  /** The exception history carried over from the earlier job process. */
  earlier: JobException[];
}

/**
 * Reads what the job resumes from and plans it. Rejects when the checkpoint storage does not
 * answer, the restored metadata cannot be read or the job cannot be planned: the job then fails
 * with that cause rather than restoring an older state. An unreadable prior record only costs the
 * exception history and the requirements (they start afresh).
 */
export async function prepareJobStart(spec: CompiledJobSpec, services: JobMasterServices, checkpointBaseDir: string, log: Logger): Promise<JobStart> {
  const earlier: JobException[] = [];
  let restore: MetadataPlain | undefined;
  let restorePath = spec.savepointPath;
  let prior: JobRecord | undefined;
  if (spec.recoveryAttempt > 0) {
    // A new job process for a job whose process died: carry on from the newest completed checkpoint
    // on disk (a checkpoint is complete once its _metadata exists), else from where the job started.
    prior = await services.registry.get(spec.jobId).catch((err: Error) => {
      log.warn({ err: err.message, record: `job ${spec.jobId}` }, 'could not read the job record: the exception history and the resource requirements start afresh');
      return undefined;
    });
    if (prior?.exceptions?.length) earlier.push(...prior.exceptions);
    // A storage that does not answer fails the job (with its cause) rather than restoring an older state.
    restorePath = (await latestCompletedCheckpoint(checkpointBaseDir)) ?? restorePath;
    log.info({ attempt: spec.recoveryAttempt, restorePath }, 'recovering the job in a new job process');
  }
  if (restorePath) {
    restore = await readMetadata(restorePath);
    spec.config.maxParallelism ??= restore.maxParallelism;
  }
  const plan = await services.planJob({
    bundlePath: spec.bundlePath, entryClass: spec.entryClass, programArgs: spec.programArgs,
    parallelism: spec.parallelism, maxParallelism: spec.config.maxParallelism, defaultName: spec.defaultName,
  });
  return { plan, restore, restorePath, prior, earlier };
}

/**
 * The runtime the job starts with: the scale of the restored checkpoint or savepoint (redistributed
 * by the same planner as a rescale when taken at another parallelism), and the resource
 * requirements and user bounds in force in the earlier job process.
 */
export function startRuntime(spec: CompiledJobSpec, start: JobStart, log: Logger): JobRuntime {
  const { plan, restore, prior } = start;
  const graph = plan.graph;
  const limits = vertexLimits(plan);
  const initial = uniformParallelism(graph, limits, spec.parallelism);
  const committed = restore ? scaleOfCheckpoint(restore, graph, limits) : planScale(graph, limits, initial);
  // A savepoint taken at another parallelism is redistributed by the same planner as a rescale.
  const scale = planScale(graph, limits, initial, committed);
  // A new job process keeps the requirements in force and the user's bounds of the one before it.
  const req = restoredRequirements(scale, prior?.resourceRequirements, prior?.userBounds);
  const runtime = new JobRuntime(spec, plan, limits, log, { scale, committed, requirements: req.requirements });
  runtime.userBounds = req.userBounds;
  if (Object.keys(req.userBounds).length) log.info({ requirements: req.requirements, userBounds: req.userBounds }, 'resource requirements of the earlier job process restored');
  return runtime;
}
