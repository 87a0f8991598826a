/**
 * Job records in Flink's REST shapes: JobDetails, JobDetailsInfo, the exception history, checkpoint
 * statistics. Secrets are masked here, on the way out (Flink's sensitive keys, program arguments,
 * URL user-info, and the job's secret values wherever a failure cause repeats them); the record in
 * Redis keeps the real values for the job process.
 */
import { maskConfiguration, maskDeep, maskProgramArgs, maskText, maskUrl, secretsOf } from '../../config/index.js';
import { EXECUTION_STATES, JOB_STATES, type JobMetricsSnapshot, type JobRecord } from '../../metadata/index.js';
import { jobVertices, planNodes } from './dashboard-views.js';
import type { GetCheckpointStatisticsResponse, GetJobExceptionsResponse, GetJobResponse, JobDetails } from '../../rest/index.js';

function taskCounts(rec: JobRecord): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(EXECUTION_STATES.map((s) => [s.toLowerCase(), 0]));
  let total = 0;
  for (const v of rec.vertices) {
    for (const [s, n] of Object.entries(v.tasks)) counts[s.toLowerCase()] = (counts[s.toLowerCase()] ?? 0) + n;
    total += v.parallelism;
  }
  return { ...counts, total };
}

function duration(rec: JobRecord, now: number): number {
  return (rec.endTime > 0 ? rec.endTime : now) - rec.startTime;
}

/** One entry of /jobs/overview. */
export function jobOverview(rec: JobRecord, now = Date.now()): JobDetails {
  return {
    jid: rec.id, name: rec.name, state: rec.state, 'start-time': rec.startTime, 'end-time': rec.endTime,
    duration: duration(rec, now), 'last-modification': rec.lastModification, tasks: taskCounts(rec),
  };
}

/** GET /jobs/:jobid. */
export function jobDetails(rec: JobRecord, now = Date.now(), snapshot?: JobMetricsSnapshot): GetJobResponse {
  const statusCounts: Record<string, number> = Object.fromEntries(EXECUTION_STATES.map((s) => [s, 0]));
  for (const v of rec.vertices) for (const [s, n] of Object.entries(v.tasks)) statusCounts[s] = (statusCounts[s] ?? 0) + n;
  const timestamps: Record<string, number> = Object.fromEntries(JOB_STATES.map((s) => [s, rec.timestamps[s] ?? 0]));
  return {
    jid: rec.id, name: rec.name, isStoppable: rec.state === 'RUNNING', state: rec.state, 'start-time': rec.startTime, 'end-time': rec.endTime,
    duration: duration(rec, now), maxParallelism: rec.maxParallelism, now, timestamps, vertices: jobVertices(rec, snapshot, now), 'status-counts': statusCounts,
    plan: { jid: rec.id, name: rec.name, type: 'STREAMING', nodes: planNodes(rec) },
    // ebbflow additions: how the job was submitted and why it failed.
    parallelism: rec.parallelism, jarId: rec.jarId, entryClass: rec.entryClass, programArgs: maskProgramArgs(rec.programArgs),
    flinkConfiguration: maskConfiguration(rec.configuration), savepointPath: rec.savepointPath ? maskUrl(rec.savepointPath) : null,
    'failure-cause': rec.failureCause ? maskText(rec.failureCause, jobSecrets(rec)) : null,
  };
}

/** The secret values a job was submitted with, to mask where its failure causes repeat them. */
export function jobSecrets(rec: Pick<JobRecord, 'configuration' | 'programArgs'>): string[] {
  return secretsOf(rec.configuration, rec.programArgs);
}

/** GET /jobs/:jobid/exceptions: the history newest first; the root exception of a FAILED job. */
export function jobExceptions(rec: JobRecord): GetJobExceptionsResponse {
  const history = [...rec.exceptions];
  // A job that failed before it ran (bad bundle) has only its failure cause.
  if (rec.state === 'FAILED' && rec.failureCause && !history.some((e) => e.cause === rec.failureCause)) {
    history.push({ timestamp: rec.timestamps.FAILED ?? rec.endTime, cause: rec.failureCause, taskName: null, location: null });
  }
  const secrets = jobSecrets(rec);
  const entries = history.reverse().map((e) => {
    const cause = maskText(e.cause, secrets);
    return { exceptionName: cause.split(/[:\n]/)[0]!.slice(0, 200), stacktrace: cause, timestamp: e.timestamp, taskName: e.taskName, location: e.location, concurrentExceptions: [] };
  });
  const root = rec.state === 'FAILED' ? entries[0] : undefined;
  return {
    'root-exception': root?.stacktrace ?? null,
    timestamp: root?.timestamp ?? null,
    'all-exceptions': [],
    truncated: false,
    exceptionHistory: { entries, truncated: false },
  };
}

/** GET /jobs/:jobid/checkpoints: what the job process recorded, or empty statistics. */
export function checkpointStatistics(recorded: unknown): GetCheckpointStatisticsResponse {
  // Paths may be URLs with user-info (s3://key:secret@bucket/…).
  if (recorded) {
    // The per-subtask acknowledgements are for the details endpoints, not this answer.
    const { subtaskDetails: _details, ...stats } = recorded as GetCheckpointStatisticsResponse & { subtaskDetails?: unknown };
    return maskDeep(stats);
  }
  return {
    counts: { restored: 0, total: 0, in_progress: 0, completed: 0, failed: 0 },
    summary: {}, latest: { completed: null, savepoint: null, failed: null, restored: null }, history: [],
  };
}
