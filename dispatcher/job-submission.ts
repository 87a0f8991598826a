/**
 * Submitting a job: the run request's checks (parallelism, configuration, program arguments,
 * savepoint, TaskManager limits), the job record in state INITIALIZING, the queued submission, and
 * the wait until the job process has planned the job (or failed to).
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import { DISPATCHER_OPTIONS, JOB_OPTIONS, maskText, secretsOf } from '../config/index.js';
import { compileJobConfig, configurationWarnings, JobConfigError, readS3Settings } from '../jobmaster/job-config.js';
import type { JobRecord, JobRegistry } from '../metadata/index.js';
import { storageFor } from '../runtime/checkpoint/checkpoint-storage.js';
import { isS3Path, normalizeS3Path } from '../runtime/checkpoint/s3-location.js';
import { MAX_METADATA_BYTES, METADATA_FILE, readMetadata } from '../runtime/checkpoint/snapshot-io.js';
import { dispatcherConfiguration } from './dispatcher-options.js';
import { UPPER_BOUND_MAX_PARALLELISM } from '../state/key-groups.js';
import type { BundleStore } from './bundle-store.js';
import type { CapacityService } from './capacity.js';
import type { CompiledDispatcherOptions } from './dispatcher-options.js';
import type { RequestRefusal, SubmitJobRequest } from './dispatcher-gateway.js';
import { IdConflict, InvalidRequest, JarNotFound, JobNotInState, Unavailable } from './errors.js';
import { checkTaskManagerLimit } from './rescale-checks.js';
import { allowedStateDirs, checkStateTarget } from './storage-targets.js';
import type { SubmissionQueue } from './submission-queue.js';

/** What submitting needs of the dispatcher. */
export interface SubmissionDeps {
  registry: JobRegistry;
  bundles: BundleStore;
  submissions: Pick<SubmissionQueue, 'submit'>;
  options: CompiledDispatcherOptions;
  capacity: Pick<CapacityService, 'reserveForRun'>;
}

export function checkParallelism(v: number | string | undefined): number {
  if (v === undefined || v === '') return 1;
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > UPPER_BOUND_MAX_PARALLELISM) {
    throw new InvalidRequest(`parallelism must be a positive integer (1..${UPPER_BOUND_MAX_PARALLELISM}), got ${JSON.stringify(v)}`);
  }
  return n;
}

function checkConfiguration(configuration: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!configuration) return {};
  try {
    compileJobConfig(configuration);
  } catch (err) {
    if (err instanceof JobConfigError) throw new InvalidRequest(`flinkConfiguration: ${err.message}`);
    throw err;
  }
  return configuration;
}

/** A job's own checkpoint and savepoint directories must lie under the allowed ones (storage-targets.ts). */
async function checkStateDirs(d: SubmissionDeps, configuration: Record<string, unknown>): Promise<void> {
  const allowed = allowedStateDirs(d.options);
  for (const key of [JOB_OPTIONS.checkpointDir.key, JOB_OPTIONS.savepointDir.key]) {
    const dir = configuration[key];
    if (typeof dir === 'string') await checkStateTarget(`flinkConfiguration["${key}"]`, dir, allowed);
  }
}

/** `<dir>` of a savepoint path that names the directory or its `_metadata`; `s3://` locations normalised. */
function savepointDir(path: string): string {
  if (!isS3Path(path)) return resolve(basename(path) === METADATA_FILE ? dirname(path) : path);
  const dir = normalizeS3Path(path);
  return dir.endsWith(`/${METADATA_FILE}`) ? dir.slice(0, -METADATA_FILE.length - 1) : dir;
}

/**
 * Validates a savepoint before anything starts: it must exist, be readable and fit the parallelism.
 * One on `s3://` is read with the job's S3 settings (its configuration over the dispatcher's `-D`).
 */
async function checkSavepoint(path: string, parallelism: number, configuration: Record<string, unknown>, defaults: Record<string, unknown>): Promise<string> {
  let meta;
  let dir = path;
  try {
    dir = savepointDir(path);
    meta = await readMetadata(dir, storageFor(dir, readS3Settings({ ...defaults, ...configuration })));
  } catch {
    // One answer whatever the reason, so the API does not tell which paths exist on the server.
    throw new InvalidRequest(`savepointPath: no readable savepoint or retained checkpoint at ${path} (a directory holding a valid ${METADATA_FILE} of at most ${MAX_METADATA_BYTES} bytes)`);
  }
  if (parallelism > meta.maxParallelism) {
    throw new InvalidRequest(`parallelism ${parallelism} exceeds the savepoint's max parallelism ${meta.maxParallelism} (its number of key groups, fixed for the job's life)`);
  }
  const maxP = configuration['pipeline.max-parallelism'];
  if (maxP !== undefined && Number(maxP) !== meta.maxParallelism) {
    throw new InvalidRequest(`pipeline.max-parallelism ${maxP} differs from the savepoint's ${meta.maxParallelism}; key groups cannot change`);
  }
  return dir;
}

async function waitUntilAccepted(registry: JobRegistry, jobId: string, timeoutMs: number): Promise<JobRecord | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rec = await registry.get(jobId);
    if (rec && rec.state !== 'INITIALIZING') return rec;
    if (Date.now() >= deadline) return rec;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Queues a recorded job. When that fails (Redis going away between the two steps) the 503 names the
 * job: it starts once Redis is reachable again (the dispatcher's sweep), and a retry with its jobId
 * waits for it, where one without would make a second job.
 */
async function queueRecorded(d: SubmissionDeps, jobId: string): Promise<void> {
  try {
    await d.submissions.submit(jobId);
  } catch (err) {
    throw new Unavailable(`Job ${jobId} is recorded but could not be queued yet (${(err as Error).message}); it starts once Redis is reachable again. `
      + `Retry with "jobId": "${jobId}" to wait for it (without it, the retry would be a second job)`);
  }
}

/**
 * Checks the request, records and queues the job, and waits until the job process planned it. Answers
 * the job id and a warning per configuration key ebbflow does not know (ignored; the job's log lists them too).
 */
export async function submitJob(d: SubmissionDeps, jarId: string, req: SubmitJobRequest, refusal?: RequestRefusal): Promise<{ jobId: string; warnings: string[] }> {
  const jar = await d.bundles.get(jarId);
  if (!jar) throw new JarNotFound(jarId);
  if (refusal) throw refusal;
  const configuration = checkConfiguration(req.configuration);
  await checkStateDirs(d, configuration);
  const warnings = configurationWarnings(configuration);
  const parallelism = checkParallelism(req.parallelism);
  const jobId = req.jobId ?? randomBytes(16).toString('hex');
  checkTaskManagerLimit(parallelism, d.options.slotsPerTaskManager, d.options.maxTaskManagersPerJob);
  const argBytes = req.programArgs.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
  if (argBytes > d.options.maxProgramArgsBytes) throw new InvalidRequest(`the program arguments take ${argBytes} bytes; at most ${d.options.maxProgramArgsBytes} are accepted`);
  // Restored state is read only from where ebbflow may write state: a run cannot make a job read another
  // directory the dispatcher's user can read (another deployment's state, a file posing as one).
  if (req.savepointPath) await checkStateTarget('savepointPath', savepointDir(req.savepointPath), allowedStateDirs(d.options));
  const savepointPath = req.savepointPath ? await checkSavepoint(req.savepointPath, parallelism, configuration, dispatcherConfiguration(d.options)) : '';
  const now = Date.now();
  // Last of the checks: the TaskManagers are reserved atomically (or the run refused with 400), released if the record is not created.
  const created = await d.capacity.reserveForRun(jobId, parallelism, () => d.registry.create({
    id: jobId, name: jar.name, state: 'INITIALIZING', jarId: jar.id, bundlePath: jar.location ?? jar.bundlePath, entryClass: req.entryClass ?? '',
    programArgs: req.programArgs, parallelism, maxParallelism: 0, submitTime: now, startTime: now, configuration, savepointPath,
  }));
  if (!created) {
    const existing = await d.registry.get(jobId);
    if (existing?.jarId !== jar.id) throw new IdConflict(`Job ${jobId} already exists (from another jar)`);
    if (existing.state !== 'INITIALIZING') return { jobId, warnings };
    // A retry: the first request may have died between recording the job and queuing it (queue it
    // now; queuing is idempotent), or still be waiting; either way this one answers as it would.
    if (!existing.queuedAt && !existing.pid) await queueRecorded(d, jobId);
  } else {
    await queueRecorded(d, jobId);
  }
  // Planning ends within its timeout (the supervisor fails it then), so the answer is never a success for a job still planning.
  const waitMs = Math.max(d.options.runTimeoutMs, d.options.planningTimeoutMs + 5000);
  const rec = await waitUntilAccepted(d.registry, jobId, waitMs);
  // The cause may repeat the job's secret arguments or settings (a job function that prints them): masked.
  if (rec?.state === 'FAILED') throw new InvalidRequest(`Job ${jobId} failed to start: ${maskText(rec.failureCause, secretsOf(rec.configuration, rec.programArgs))}`);
  if (rec?.state === 'CANCELED' || rec?.state === 'CANCELLING') throw new JobNotInState(`Job ${jobId} was cancelled before it started`);
  if (!rec || rec.state === 'INITIALIZING') throw new Unavailable(`Job ${jobId} was not accepted within ${waitMs} ms; see GET /jobs/${jobId}`);
  return { jobId, warnings };
}
