/**
 * The job's rescale history in Flink 2.3's shapes (FLIP-495/FLIP-487: JobRescalesOverview,
 * JobRescalesSummary, JobRescalesHistory, JobRescaleDetails, JobRescaleConfigInfo), with ebbflow's
 * additions on each rescale (status, trigger, what moved, TaskManagers added and released).
 */
import { createHash } from 'node:crypto';
import { maskText } from '../../config/index.js';
import type { RescaleDetailsView, RescaleHistoryView, RescaleSettings } from '../../dispatcher/index.js';
import { isTerminal, type JobRecord, type RescaleRecord } from '../../metadata/index.js';
import type { JobRescaleConfigInfo, JobRescaleDetails, JobRescalesOverview, JobRescalesSummary, RescalesCounts, ResourceProfileInfo, StatsSummary } from '../../rest/index.js';
import { jobSecrets } from './job-views.js';

/** Every vertex runs in the one slot sharing group (subtask i of every vertex in slot i); its id is derived from the job's. */
const SLOT_SHARING_GROUP = 'default';
const slotSharingGroupId = (jobId: string): string => createHash('md5').update(`${jobId}:${SLOT_SHARING_GROUP}`).digest('hex');

/** Flink's UNKNOWN resource profile: ebbflow does not size slots. */
const UNKNOWN_PROFILE: ResourceProfileInfo = { cpuCores: -1, taskHeapMemory: -1, taskOffHeapMemory: -1, managedMemory: -1, networkMemory: -1, extendedResources: {} };

/** The record as the job's state makes it read: a rescale of an ended job never ends by itself (its job process is gone). */
function settled(r: RescaleRecord, job: JobRecord): RescaleRecord {
  if (r.status !== 'IN_PROGRESS' || !isTerminal(job.state)) return r;
  const end = job.endTime > 0 ? job.endTime : Date.now();
  return { ...r, status: 'FAILED', endTime: end, failureCause: `JobEnded: the job ended (${job.state}) before the rescale did` };
}

const TERMINATED: Record<Exclude<RescaleRecord['status'], 'IN_PROGRESS'>, JobRescaleDetails['terminatedReason']> = {
  COMPLETED: 'SUCCEEDED', FAILED: 'EXCEPTION_OCCURRED', IGNORED: 'NO_RESOURCES_OR_PARALLELISMS_CHANGE',
};

/** One rescale; `schedulerStates` only with `withStates` (Flink leaves them out of the history and overview). */
export function rescaleDetails(view: RescaleDetailsView, withStates = true): JobRescaleDetails {
  const { job } = view;
  const r = settled(view.rescale, job);
  const group = slotSharingGroupId(job.id);
  const ended = r.status !== 'IN_PROGRESS';
  return {
    rescaleUuid: r.id,
    resourceRequirementsUuid: r.requirementsId,
    rescaleAttemptId: r.attempt,
    vertices: Object.fromEntries(r.vertices.map((v) => [v.id, {
      jobVertexId: v.id, jobVertexName: v.name, slotSharingGroupId: group, slotSharingGroupName: SLOT_SHARING_GROUP,
      desiredParallelism: v.desired, sufficientParallelism: v.sufficient, preRescaleParallelism: v.before, postRescaleParallelism: v.after,
    }])),
    slots: {
      [group]: {
        slotSharingGroupId: group, slotSharingGroupName: SLOT_SHARING_GROUP, requestResourceProfile: UNKNOWN_PROFILE,
        desiredSlots: r.slots.desired, minimalRequiredSlots: r.slots.minimal, preRescaleSlots: r.slots.before, postRescaleSlots: r.slots.after,
        acquiredResourceProfile: UNKNOWN_PROFILE,
      },
    },
    schedulerStates: withStates ? r.phases.map((p) => ({
      state: p.phase, enterTimestampInMillis: p.enter, leaveTimestampInMillis: p.leave, durationInMillis: p.leave === null ? null : p.leave - p.enter,
      stringifiedException: p.error === null ? null : maskText(p.error, jobSecrets(job)),
    })) : null,
    startTimestampInMillis: r.startTime,
    endTimestampInMillis: r.endTime,
    terminalState: ended ? (r.status as Exclude<RescaleRecord['status'], 'IN_PROGRESS'>) : null,
    triggerCause: r.trigger === 'adaptive' ? 'NEW_RESOURCE_AVAILABLE' : 'UPDATE_REQUIREMENT',
    terminatedReason: ended ? TERMINATED[r.status as keyof typeof TERMINATED] : null,
    status: r.status,
    trigger: r.trigger,
    triggerId: r.triggerId,
    failureCause: r.failureCause === null ? null : maskText(r.failureCause, jobSecrets(job)),
    durationInMillis: r.endTime === null ? null : r.endTime - r.startTime,
    taskManagers: ended ? (r.taskManagers ?? { added: [], released: [] }) : null,
    statistics: r.status === 'COMPLETED' || r.status === 'IGNORED' ? r.statistics : null,
  };
}

function settledAll(v: RescaleHistoryView): RescaleRecord[] {
  return v.rescales.map((r) => settled(r, v.job));
}

function counts(v: RescaleHistoryView, rescales: RescaleRecord[]): RescalesCounts {
  // Ended ones are counted since the job started; a rescale the job's end cut off is one more failure.
  const cutOff = v.rescales.filter((r, i) => r.status === 'IN_PROGRESS' && rescales[i]!.status === 'FAILED').length;
  return {
    ignored: v.counts.IGNORED, inProgress: rescales.filter((r) => r.status === 'IN_PROGRESS').length,
    completed: v.counts.COMPLETED, failed: v.counts.FAILED + cutOff,
  };
}

/** GET /jobs/:jobid/rescales/history: newest first, without scheduler states. */
export function rescalesHistory(v: RescaleHistoryView): JobRescaleDetails[] {
  return v.rescales.map((rescale) => rescaleDetails({ job: v.job, rescale }, false));
}

/** GET /jobs/:jobid/rescales/overview. */
export function rescalesOverview(v: RescaleHistoryView): JobRescalesOverview {
  const rescales = settledAll(v);
  const latest = (status: RescaleRecord['status']) => {
    const i = rescales.findIndex((r) => r.status === status);
    return i < 0 ? null : rescaleDetails({ job: v.job, rescale: v.rescales[i]! }, false);
  };
  return { rescalesCounts: counts(v, rescales), latest: { completed: latest('COMPLETED'), failed: latest('FAILED'), ignored: latest('IGNORED') } };
}

/** Flink's StatsSummary of durations (ms): min, max and mean rounded down, percentiles interpolated, "NaN" without values. */
export function statsSummary(values: number[]): StatsSummary {
  if (values.length === 0) return { min: 0, max: 0, avg: 0, p50: 'NaN', p90: 'NaN', p95: 'NaN', p99: 'NaN', p999: 'NaN' };
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    const pos = p * (sorted.length - 1);
    const lo = Math.floor(pos);
    return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (pos - lo);
  };
  return {
    min: sorted[0]!, max: sorted.at(-1)!, avg: Math.floor(sorted.reduce((s, x) => s + x, 0) / sorted.length),
    p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99), p999: q(0.999),
  };
}

/** GET /jobs/:jobid/rescales/summary: durations over the kept rescales that ended. */
export function rescalesSummary(v: RescaleHistoryView): JobRescalesSummary {
  const rescales = settledAll(v);
  const durations = (ok: (r: RescaleRecord) => boolean) => rescales.filter((r) => r.endTime !== null && ok(r)).map((r) => r.endTime! - r.startTime);
  return {
    rescalesCounts: counts(v, rescales),
    rescalesDurationStatsInMillis: statsSummary(durations(() => true)),
    completedRescalesDurationStatsInMillis: statsSummary(durations((r) => r.status === 'COMPLETED')),
    ignoredRescalesDurationStatsInMillis: statsSummary(durations((r) => r.status === 'IGNORED')),
    failedRescalesDurationStatsInMillis: statsSummary(durations((r) => r.status === 'FAILED')),
  };
}

/** GET /jobs/:jobid/rescales/config. */
export function rescaleConfig(s: RescaleSettings): JobRescaleConfigInfo {
  return {
    rescaleHistoryMax: s.historySize,
    schedulerExecutionMode: null,
    submissionResourceWaitTimeoutInMillis: s.resourceWaitTimeoutMs,
    submissionResourceStabilizationTimeoutInMillis: s.resourceStabilizationTimeoutMs,
    slotIdleTimeoutInMillis: 0,
    executingCooldownTimeoutInMillis: 0,
    executingResourceStabilizationTimeoutInMillis: s.resourceStabilizationTimeoutMs,
    maximumDelayForTriggeringRescaleInMillis: s.resourceStabilizationTimeoutMs,
    rescaleOnFailedCheckpointCount: 1,
  };
}
