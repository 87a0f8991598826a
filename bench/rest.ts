/** The few dispatcher REST calls the benchmark makes (Flink's shapes; the bodies are openapi.yaml's generated types). */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type {
  CheckpointStatistics, GetCheckpointStatisticsResponse, GetJobResponse, GetRescalingStatusResponse, GetSavepointStatusResponse,
  ListTaskManagersResponse, RunJarRequest, RunJarResponse, TriggerRescalingResponse, UploadJarResponse,
} from '../rest/index.js';

async function check(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

/** POST /jars/upload with the bundle in the multipart field `jarfile`; returns the jar id. */
export async function uploadJar(api: string, path: string): Promise<string> {
  const form = new FormData();
  form.append('jarfile', new Blob([await readFile(path)]), basename(path));
  const res = await check(await fetch(`${api}/jars/upload`, { method: 'POST', body: form }), 'upload');
  return ((await res.json()) as UploadJarResponse).filename;
}

/** POST /jars/:id/run (from a savepoint if `savepointPath`); returns the job id once the dispatcher answers (the job is planned). */
export async function runJar(api: string, jarId: string, parallelism: number, programArgsList: string[], flinkConfiguration?: Record<string, string>, savepointPath?: string): Promise<string> {
  const res = await check(await fetch(`${api}/jars/${jarId}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ parallelism, programArgsList, ...(flinkConfiguration ? { flinkConfiguration } : {}), ...(savepointPath ? { savepointPath } : {}) } satisfies RunJarRequest),
  }), 'run');
  return ((await res.json()) as RunJarResponse).jobid;
}

/** GET /jobs/:id. */
export async function getJob(api: string, jobId: string): Promise<GetJobResponse> {
  const res = await check(await fetch(`${api}/jobs/${jobId}`), 'job details');
  return (await res.json()) as GetJobResponse;
}

const FINAL = new Set(['FAILED', 'CANCELED', 'FINISHED']);

/** Polls until the job is in `state`; throws if it ends in another final state or on time-out. */
export async function waitForState(api: string, jobId: string, state: string, timeoutMs: number): Promise<GetJobResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(api, jobId);
    if (job.state === state) return job;
    if (FINAL.has(job.state)) throw new Error(`job ${jobId} is ${job.state} while waiting for ${state}${job['failure-cause'] ? `: ${job['failure-cause']}` : ''}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for job ${jobId} to be ${state} (it is ${job.state})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** PATCH /jobs/:id?mode=cancel, then wait for CANCELED. */
export async function cancelJob(api: string, jobId: string, timeoutMs = 60_000): Promise<void> {
  const res = await fetch(`${api}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
  if (!res.ok && res.status !== 409) throw new Error(`cancel: HTTP ${res.status} ${await res.text()}`);
  await waitForState(api, jobId, 'CANCELED', timeoutMs);
}

/** GET /jobs/:id/checkpoints; undefined when the endpoint does not exist (404). */
export async function getCheckpoints(api: string, jobId: string): Promise<GetCheckpointStatisticsResponse | undefined> {
  const res = await fetch(`${api}/jobs/${jobId}/checkpoints`);
  if (res.status === 404) return undefined;
  await check(res, 'checkpoints');
  return (await res.json()) as GetCheckpointStatisticsResponse;
}

/** The latest completed checkpoint's `state_size` (openapi.yaml: `latest.completed` is a CheckpointStatistics entry, or null). */
export function latestCompletedBytes(stats: GetCheckpointStatisticsResponse | undefined): number | null {
  return (stats?.latest?.completed as CheckpointStatistics | null | undefined)?.state_size ?? null;
}

/** `alignment`: the job's own summary of barrier alignment (ms, over the checkpoints it keeps statistics of), when it has one. */
export interface CheckpointSummary {
  count: number; avgMs: number; maxMs: number; failed: number; avgStateBytes: number; maxStateBytes: number;
  alignment?: { p50: number; p99: number; max: number };
}

/** Collects completed checkpoints over the run (the history holds only the newest few). */
export class CheckpointCollector {
  private readonly completed = new Map<number, CheckpointStatistics>();
  available = false;
  failed = 0;
  private alignment: CheckpointSummary['alignment'];

  async poll(api: string, jobId: string): Promise<void> {
    try {
      const stats = await getCheckpoints(api, jobId);
      if (!stats) return;
      this.available = true;
      this.failed = stats.counts?.failed ?? this.failed;
      const a = (stats.summary as { alignment_duration?: { p50?: number; p99?: number; max?: number } } | undefined)?.alignment_duration;
      if (a && typeof a.max === 'number') this.alignment = { p50: a.p50 ?? NaN, p99: a.p99 ?? NaN, max: a.max };
      for (const h of stats.history ?? []) {
        if (h.status === 'COMPLETED' && !h.is_savepoint) this.completed.set(h.id, h);
      }
    } catch {
      // a missed poll only loses statistics
    }
  }

  /** Completed checkpoints seen, by id: [id, trigger time, end-to-end ms, state bytes]. */
  list(): Array<[number, number, number, number]> {
    return [...this.completed.values()].sort((a, b) => a.id - b.id).map((h) => [h.id, h.trigger_timestamp ?? 0, h.end_to_end_duration, h.state_size ?? 0]);
  }

  summary(): CheckpointSummary | null {
    if (!this.available) return null;
    const done = [...this.completed.values()];
    if (done.length === 0) return { count: 0, avgMs: NaN, maxMs: NaN, failed: this.failed, avgStateBytes: NaN, maxStateBytes: NaN };
    const d = done.map((h) => h.end_to_end_duration);
    const sizes = done.map((h) => h.state_size ?? 0);
    const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    return {
      count: d.length, avgMs: avg(d), maxMs: Math.max(...d), failed: this.failed, avgStateBytes: avg(sizes), maxStateBytes: Math.max(...sizes),
      ...(this.alignment ? { alignment: this.alignment } : {}),
    };
  }
}

/** Flink's AsynchronousOperationResult as the savepoint, stop and rescaling status routes answer it. */
export type OperationStatus = GetRescalingStatusResponse | GetSavepointStatusResponse;

async function trigger(res: Response, what: string): Promise<string> {
  await check(res, what);
  // The rescaling and stop routes answer the same Trigger response (openapi.yaml: components/responses/Trigger).
  return ((await res.json()) as TriggerRescalingResponse)['request-id'];
}

/** PATCH /jobs/:id/rescaling?parallelism=N; returns the request id. */
export async function requestRescale(api: string, jobId: string, parallelism: number): Promise<string> {
  return trigger(await fetch(`${api}/jobs/${jobId}/rescaling?parallelism=${parallelism}`, { method: 'PATCH' }), 'rescaling');
}

/** GET /jobs/:id/rescaling/:trigger. */
export async function rescaleStatus(api: string, jobId: string, triggerId: string): Promise<GetRescalingStatusResponse> {
  return (await (await check(await fetch(`${api}/jobs/${jobId}/rescaling/${triggerId}`), 'rescaling status')).json()) as GetRescalingStatusResponse;
}

/** POST /jobs/:id/stop (stop with a savepoint); returns the request id. */
export async function requestStop(api: string, jobId: string): Promise<string> {
  return trigger(await fetch(`${api}/jobs/${jobId}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 'stop');
}

/** POST /jobs/:id/savepoints into `targetDirectory` (the job keeps running); returns the request id. */
export async function requestSavepoint(api: string, jobId: string, targetDirectory: string): Promise<string> {
  return trigger(await fetch(`${api}/jobs/${jobId}/savepoints`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ 'target-directory': targetDirectory, 'cancel-job': false }),
  }), 'savepoint');
}

/** GET /jobs/:id/savepoints/:trigger. */
export async function savepointStatus(api: string, jobId: string, triggerId: string): Promise<GetSavepointStatusResponse> {
  return (await (await check(await fetch(`${api}/jobs/${jobId}/savepoints/${triggerId}`), 'savepoint status')).json()) as GetSavepointStatusResponse;
}

/** A TaskManager as GET /taskmanagers lists it. */
export type TaskManagerInfo = ListTaskManagersResponse['taskmanagers'][number];

/** GET /taskmanagers, those of `jobId`. */
export async function taskManagersOf(api: string, jobId: string): Promise<TaskManagerInfo[]> {
  const body = (await (await check(await fetch(`${api}/taskmanagers`), 'taskmanagers')).json()) as ListTaskManagersResponse;
  return body.taskmanagers.filter((t) => t.jobId === jobId);
}
