/**
 * One parallelism change of a running job, done in place (PATCH /jobs/:id/rescaling) or the old way
 * (stop with a savepoint, resubmit from it at the new parallelism), with what the benchmark records
 * about it: when it was asked for and done, the product's statistics, the key-group picture from
 * checkpoint metadata, the TaskManagers before and after, and when released ones exited.
 */
import { join } from 'node:path';
import { keyGroupPicture, minimumMove, movedKeyGroups, type KeyGroupPicture } from './rescale-analysis.js';
import type { Method } from './rescale-options.js';
import { waitForExits } from './procs.js';
import {
  getCheckpoints, getJob, latestCompletedBytes, requestRescale, requestStop, rescaleStatus, runJar, savepointStatus, taskManagersOf, waitForState, type OperationStatus,
} from './rest.js';
import type { GetRescalingStatusResponse, OperationFailure, RescaleResult } from '../rest/index.js';

export interface PhaseContext {
  api: string;
  jarId: string;
  dataDir: string;
  args: string[];
  flinkConfiguration: Record<string, string> | undefined;
  /** The job running now (stop-and-resubmit replaces it at every step). */
  jobId: string;
  /** Every job the phase started. */
  jobs: string[];
  stepTimeoutMs: number;
  log: (s: string) => void;
  signal: AbortSignal;
}

/** The product's rescale statistics (GET /jobs/:id/rescaling/:trigger, operation): openapi.yaml's RescaleResult. */
export type RescaleOperation = RescaleResult;

export interface StepRecord {
  method: Method;
  from: number;
  to: number;
  jobBefore: string;
  jobAfter: string;
  /** Request sent / step done (rescale COMPLETED; resubmitted job RUNNING), Date.now() ms. */
  tRequest: number;
  tDone: number;
  /** The first alert read after the step was done (set by the phase; the measured interval ends `afterSeconds` later). */
  tFirstAlertAfter?: number;
  /** Progress phases as polled, ms after the request. */
  phases: Array<{ ms: number; phase: string }>;
  /** State size (state_size) of the latest completed checkpoint before the request. */
  checkpointBytesBefore: number | null;
  operation: RescaleOperation | null;
  /** Key-group owners and bytes per key group: the rescale checkpoint, or the savepoint. */
  picture: KeyGroupPicture | null;
  /** Key groups that changed owner (in place) or that were reloaded (all of them, stop-and-resubmit). */
  moved: number[];
  movedBytes: number | null;
  minimum: { keyGroups: number; bytes: number } | null;
  taskManagersBefore: number[];
  taskManagersAfter: number[];
  released: number[];
  /** Until the last released TaskManager process exited: ms after the request and after done (null: none released; NaN: not within 60 s). */
  releasedExitedMs: number | null;
  releasedExitedAfterDoneMs: number | null;
  /** Stop-and-resubmit: ms after the request at which the savepoint completed and the new job was planned. */
  savepointMs?: number;
  submittedMs?: number;
  savepointPath?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function latestCheckpointBytes(api: string, jobId: string): Promise<number | null> {
  // A failed request reads as "not known yet" (the caller polls again), but is said on stderr.
  const stats = await getCheckpoints(api, jobId).catch((err: Error) => { process.stderr.write(`[bench] checkpoint statistics of ${jobId}: ${err.message}\n`); return undefined; });
  return latestCompletedBytes(stats);
}

/** Polls an operation every 50 ms until COMPLETED; throws its failure cause. */
async function pollOperation(get: () => Promise<OperationStatus>, what: string, c: PhaseContext, t0: number, phases: StepRecord['phases'], onPhase?: (p: string) => void): Promise<Record<string, unknown>> {
  const deadline = Date.now() + c.stepTimeoutMs;
  for (;;) {
    c.signal.throwIfAborted();
    const s = await get();
    if (s.status.id === 'COMPLETED') {
      // Both routes answer a failed operation with Flink's `failure-cause` (openapi.yaml: OperationFailure).
      const fail = (s.operation as Partial<OperationFailure> | null)?.['failure-cause'];
      if (fail) throw new Error(`${what} failed: ${fail['stack-trace']}`);
      return s.operation ?? {};
    }
    // ebbflow's `progress` while IN_PROGRESS (openapi.yaml documents it on the rescaling route; a stop's may carry it too).
    const phase = (s as Pick<GetRescalingStatusResponse, 'progress'>).progress?.phase;
    if (phase && phases[phases.length - 1]?.phase !== phase) {
      phases.push({ ms: Date.now() - t0, phase });
      onPhase?.(phase);
    }
    if (Date.now() > deadline) throw new Error(`${what} did not complete within ${c.stepTimeoutMs / 1000} s (last phase: ${phase ?? 'none'})`);
    await sleep(50);
  }
}

async function releasedExit(released: number[], tRequest: number, tDone: number): Promise<Pick<StepRecord, 'releasedExitedMs' | 'releasedExitedAfterDoneMs'>> {
  if (released.length === 0) return { releasedExitedMs: null, releasedExitedAfterDoneMs: null };
  const exits = await waitForExits(released, 60_000);
  if (exits.size < released.length) return { releasedExitedMs: NaN, releasedExitedAfterDoneMs: NaN };
  const last = Math.max(...exits.values());
  return { releasedExitedMs: last - tRequest, releasedExitedAfterDoneMs: last - tDone };
}

/**
 * The key-group picture of the job's latest completed checkpoint: the owners a rescale starts from
 * (read before the request) or ends at (read after it). A fallback for a batch checkpoint's metadata
 * that periodic checkpoints completing in between made the job delete before it was read.
 */
async function latestPicture(c: PhaseContext, jobId: string): Promise<KeyGroupPicture | null> {
  const stats = await getCheckpoints(c.api, jobId).catch(() => undefined);
  const path = (stats?.latest?.completed as { external_path?: string } | null | undefined)?.external_path;
  return path ? keyGroupPicture(path).catch(() => null) : null;
}

/** PATCH /jobs/:id/rescaling?parallelism=to and follow it to COMPLETED. */
export async function rescaleInPlace(c: PhaseContext, from: number, to: number): Promise<StepRecord> {
  const jobId = c.jobId;
  const checkpointBytesBefore = await latestCheckpointBytes(c.api, jobId);
  const pictureBefore = await latestPicture(c, jobId);
  const before = (await taskManagersOf(c.api, jobId)).map((t) => t.pid);
  const phases: StepRecord['phases'] = [];
  const tRequest = Date.now();
  const trigger = await requestRescale(c.api, jobId, to);
  // Each rescale checkpoint's metadata (one per batch) is read as soon as it is complete: only the
  // newest 3 are retained. The first gives the owners before, the last the owners after.
  const pictures = new Map<number, Promise<KeyGroupPicture | null>>();
  const seen = new Set<number>();
  const read = (id: number) => keyGroupPicture(join(c.dataDir, 'checkpoints', jobId, `chk-${id}`)).catch((err: Error) => {
    c.log(`in-place ${from}→${to}: could not read checkpoint ${id}'s metadata: ${err.message}`);
    return null;
  });
  const op = (await pollOperation(() => rescaleStatus(c.api, jobId, trigger), `rescale ${from}→${to}`, c, tRequest, phases, (p) => {
    // A batch's "complete" phase may pass between two polls: once a later checkpoint is named, the
    // earlier ones seen are complete.
    const m = /^checkpoint (\d+)( complete)?/.exec(p);
    if (!m) return;
    const id = Number(m[1]);
    for (const s of seen) if (s < id && !pictures.has(s)) pictures.set(s, read(s));
    seen.add(id);
    if (m[2] && !pictures.has(id)) pictures.set(id, read(id));
  })) as unknown as RescaleOperation;
  const tDone = Date.now();
  if (op.checkpointId !== null && !pictures.has(op.checkpointId)) pictures.set(op.checkpointId, read(op.checkpointId));
  const pic = await acrossBatches(pictures, op, pictureBefore, () => latestPicture(c, jobId));
  const after = (await taskManagersOf(c.api, jobId)).map((t) => t.pid);
  const released = before.filter((p) => !after.includes(p));
  const moved = pic ? [...movedKeyGroups(pic.before, pic.after)].sort((a, b) => a - b) : [];
  return {
    method: 'in-place', from, to, jobBefore: jobId, jobAfter: jobId, tRequest, tDone, phases, checkpointBytesBefore, operation: op, picture: pic,
    moved, movedBytes: pic ? moved.reduce((s, kg) => s + pic.sizes[kg]!, 0) : null, minimum: pic ? minimumMove(pic.before, to, pic.sizes) : null,
    taskManagersBefore: before, taskManagersAfter: after, released, ...(await releasedExit(released, tRequest, tDone)),
  };
}

/**
 * One picture of a rescale done in batches: owners before from its first rescale checkpoint (and
 * the sizes at it), owners after from its last; either, if deleted before it was read, from the
 * latest checkpoint before / after the rescale. Null if neither could be read.
 */
async function acrossBatches(
  pictures: Map<number, Promise<KeyGroupPicture | null>>, op: RescaleOperation, before: KeyGroupPicture | null, latest: () => Promise<KeyGroupPicture | null>,
): Promise<KeyGroupPicture | null> {
  const read = new Map<number, KeyGroupPicture | null>();
  for (const [id, p] of pictures) read.set(id, await p);
  const firstId = op.batches?.[0]?.checkpointId ?? op.checkpointId;
  // Not read in time: the checkpoint before the request has the same owners (sizes a little older).
  const first = (firstId !== null ? read.get(firstId) : undefined) ?? (before ? { ...before, after: before.before } : undefined);
  // Nor the last batch's: any checkpoint after the rescale has its owners.
  const last = (op.checkpointId !== null ? read.get(op.checkpointId) : undefined) ?? await latest();
  if (!first || !last) return null;
  return { ...first, after: last.after };
}

/** POST /jobs/:id/stop, then POST /jars/:jarid/run from the savepoint at the new parallelism, until RUNNING. */
export async function stopAndResubmit(c: PhaseContext, from: number, to: number): Promise<StepRecord> {
  const jobId = c.jobId;
  const checkpointBytesBefore = await latestCheckpointBytes(c.api, jobId);
  const before = (await taskManagersOf(c.api, jobId)).map((t) => t.pid);
  const phases: StepRecord['phases'] = [];
  const tRequest = Date.now();
  const trigger = await requestStop(c.api, jobId);
  const op = await pollOperation(() => savepointStatus(c.api, jobId, trigger), `stop with savepoint of ${jobId}`, c, tRequest, phases);
  const savepointMs = Date.now() - tRequest;
  const location = op.location;
  if (typeof location !== 'string' || !location) throw new Error(`stop of ${jobId} completed without a savepoint location: ${JSON.stringify(op)}`);
  const next = await runJar(c.api, c.jarId, to, c.args, c.flinkConfiguration, location);
  const submittedMs = Date.now() - tRequest;
  c.jobs.push(next);
  c.jobId = next;
  await waitForState(c.api, next, 'RUNNING', c.stepTimeoutMs);
  const tDone = Date.now();
  const pic = await keyGroupPicture(location).catch((err: Error) => {
    c.log(`stop-resubmit ${from}→${to}: could not read the savepoint's metadata: ${err.message}`);
    return null;
  });
  const after = (await taskManagersOf(c.api, next)).map((t) => t.pid);
  const old = await getJob(c.api, jobId);
  if (old.state !== 'FINISHED') c.log(`stop-resubmit ${from}→${to}: the stopped job ${jobId} is ${old.state}, not FINISHED`);
  // Every key group is loaded again, by new processes, from the savepoint.
  const all = pic ? pic.sizes.map((_, kg) => kg) : [];
  return {
    method: 'stop-resubmit', from, to, jobBefore: jobId, jobAfter: next, tRequest, tDone, phases, checkpointBytesBefore, operation: null, picture: pic,
    moved: all, movedBytes: pic ? pic.totalBytes : null, minimum: pic ? minimumMove(pic.before, to, pic.sizes) : null,
    taskManagersBefore: before, taskManagersAfter: after, released: before, ...(await releasedExit(before, tRequest, tDone)),
    savepointMs, submittedMs, savepointPath: location,
  };
}

/** Waits until the latest completed checkpoint holds at least `bytes`; returns its state_size (or the last seen on time-out). */
export async function warmUp(c: PhaseContext, bytes: number, timeoutMs: number, label: string): Promise<{ stateBytes: number; reached: boolean; seconds: number }> {
  const t0 = Date.now();
  let last = 0;
  let lastLog = 0;
  while (Date.now() - t0 < timeoutMs) {
    c.signal.throwIfAborted();
    const job = await getJob(c.api, c.jobId);
    if (['FAILED', 'CANCELED', 'FINISHED'].includes(job.state)) throw new Error(`job ${c.jobId} ended ${job.state} while warming up${job['failure-cause'] ? `: ${job['failure-cause']}` : ''}`);
    last = (await latestCheckpointBytes(c.api, c.jobId)) ?? 0;
    if (last >= bytes) return { stateBytes: last, reached: true, seconds: (Date.now() - t0) / 1000 };
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      c.log(`${label}: warming up, checkpoint state ${(last / 1e6).toFixed(1)} of ${(bytes / 1e6).toFixed(0)} MB`);
    }
    await sleep(1000);
  }
  c.log(`${label}: state reached only ${(last / 1e6).toFixed(1)} MB within ${timeoutMs / 1000} s; going on (raise --ooo-ms or --rate for more)`);
  return { stateBytes: last, reached: false, seconds: (Date.now() - t0) / 1000 };
}
