/**
 * Flink's job configuration, checkpoint configuration and details, and TaskManager shapes for the web
 * dashboard. Configuration values are masked on the way out (Flink's sensitive keys, URL user-info).
 */
import { freemem, totalmem, cpus } from 'node:os';
import { maskConfiguration, maskDeep, maskUrl } from '../../config/index.js';
import type { TaskManagerView } from '../../dispatcher/dashboard-service.js';
import type { JobConfig, RestartStrategy } from '../../jobmaster/job-config.js';
import type { JobRecord, TaskManagerRecord } from '../../metadata/index.js';
import { NotFound } from '../../dispatcher/index.js';

function restartText(r: RestartStrategy): string {
  if (r.type === 'none') return 'Restart deactivated.';
  if (r.type === 'fixed-delay') return `Restart with fixed delay (${r.delayMs} ms). #${r.attempts} restart attempts.`;
  return `Restart with exponential delay: initial ${r.initialBackoffMs} ms, max ${r.maxBackoffMs} ms, multiplier ${r.multiplier}. #${r.attempts} restart attempts.`;
}

/** GET /jobs/:jobid/config (Flink's JobConfigInfo); `user-config` is the configuration given at submission. */
export function jobConfigInfo(job: JobRecord, config: JobConfig) {
  const user = Object.fromEntries(Object.entries(maskConfiguration(job.configuration)).map(([k, v]) => [k, maskUrl(typeof v === 'string' ? v : JSON.stringify(v))]));
  return {
    jid: job.id, name: job.name,
    'execution-config': {
      'execution-mode': 'PIPELINED', 'restart-strategy': restartText(config.restartStrategy), 'job-parallelism': job.parallelism,
      'object-reuse-mode': false, 'user-config': user,
    },
  };
}

/** GET /jobs/:jobid/checkpoints/config (Flink's CheckpointConfigInfo): exactly-once, aligned, one at a time, retained on cancel. */
export function checkpointConfigInfo(config: JobConfig) {
  return {
    mode: 'exactly_once', interval: config.checkpointIntervalMs, timeout: config.checkpointTimeoutMs, min_pause: 0, max_concurrent: 1,
    externalization: { enabled: true, delete_on_cancellation: false },
    state_backend: 'ebbflow', checkpoint_storage: 'filesystem', unaligned_checkpoints: false,
    tolerable_failed_checkpoints: config.tolerableCheckpointFailures, aligned_checkpoint_timeout: 0,
    checkpoints_after_tasks_finish: false, state_changelog_enabled: false, changelog_periodic_materialization_interval: 0, changelog_storage: 'memory',
    // ebbflow: completed checkpoints kept.
    num_retained: config.checkpointsRetained,
  };
}

interface RecordedCheckpoint { id: number; tasks?: Record<string, Record<string, unknown> & { num_subtasks: number }> }
interface RecordedStats { history?: RecordedCheckpoint[]; subtaskDetails?: Record<string, Record<string, Record<string, unknown>[]>> }

function findCheckpoint(recorded: unknown, id: number): { cp: RecordedCheckpoint; stats: RecordedStats } {
  const stats = (recorded ?? {}) as RecordedStats;
  const cp = stats.history?.find((h) => h.id === id);
  if (!cp) throw new NotFound(`Checkpoint ${id} is not among the job's recent checkpoints`);
  return { cp, stats };
}

/** GET /jobs/:jobid/checkpoints/details/:checkpointid: the history entry with its per-vertex `tasks`. */
export function checkpointDetails(recorded: unknown, id: number) {
  const { cp } = findCheckpoint(recorded, id);
  return maskDeep({ ...cp, tasks: cp.tasks ?? {} });
}

interface Summary { min: number; max: number; avg: number; p50: number; p90: number; p95: number; p99: number; p999: number }
function summary(values: number[]): Summary {
  if (!values.length) return { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { min: s[0]!, max: s.at(-1)!, avg: Math.round(s.reduce((a, b) => a + b, 0) / s.length), p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99), p999: q(0.999) };
}

/** GET /jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid (Flink's TaskCheckpointStatisticsWithSubtaskDetails). */
export function checkpointSubtaskDetails(recorded: unknown, id: number, vertexId: string) {
  const { cp, stats } = findCheckpoint(recorded, id);
  const task = cp.tasks?.[vertexId];
  if (!task) throw new NotFound(`Checkpoint ${id} has no vertex ${vertexId}`);
  const recordedSubs = stats.subtaskDetails?.[String(id)]?.[vertexId] ?? [];
  const subtasks = recordedSubs.map((s) => (s.status !== 'completed' ? { index: s.index as number, status: 'pending_or_failed' } : {
    index: s.index as number, status: 'completed', ack_timestamp: s.ack_timestamp as number, end_to_end_duration: s.end_to_end_duration as number,
    state_size: s.state_size as number, checkpointed_size: s.checkpointed_size as number, checkpoint: { sync: 0, async: 0 },
    alignment: { buffered: 0, processed: 0, persisted: 0, duration: (s.alignment_duration as number | undefined) ?? 0 }, start_delay: 0,
    unaligned_checkpoint: false, aborted: false,
  }));
  const done = subtasks.filter((s): s is Extract<typeof s, { ack_timestamp: number }> => s.status === 'completed');
  const of = (f: (s: (typeof done)[number]) => number) => summary(done.map(f));
  return {
    ...task,
    summary: {
      checkpointed_size: of((s) => s.checkpointed_size), state_size: of((s) => s.state_size), end_to_end_duration: of((s) => s.end_to_end_duration),
      checkpoint_duration: { sync: summary([]), async: summary([]) },
      alignment: { buffered: summary([]), processed: summary([]), persisted: summary([]), duration: of((s) => s.alignment.duration) },
      start_delay: summary([]),
    },
    subtasks,
  };
}

/** The parts of Flink's TaskManagerInfo ebbflow has (memory it does not account: 0). */
export function taskManagerInfo(t: TaskManagerRecord, metrics?: Record<string, number>) {
  const heapMax = metrics?.['Status.JVM.Memory.Heap.Max'] ?? 0;
  const resource = { cpuCores: 1, taskHeapMemory: heapMax, taskOffHeapMemory: 0, managedMemory: 0, networkMemory: 0, extendedResources: {} };
  return {
    id: t.id, jobId: t.jobId, pid: t.pid, path: `${t.host}:${t.dataPort} (pid ${t.pid})`, dataPort: t.dataPort, jmxPort: -1,
    // Flink's name, but a timestamp: when the last heartbeat arrived (ms since the epoch).
    timeSinceLastHeartbeat: t.lastHeartbeat, slotsNumber: t.slotsNumber, freeSlots: t.freeSlots,
    totalResource: { ...resource, cpuCores: t.slotsNumber }, freeResource: { ...resource, cpuCores: t.freeSlots },
    hardware: { cpuCores: cpus().length, physicalMemory: totalmem(), freeMemory: freemem(), managedMemory: 0 },
    memoryConfiguration: {
      frameworkHeap: 0, taskHeap: heapMax, frameworkOffHeap: 0, taskOffHeap: 0, networkMemory: 0, managedMemory: 0,
      jvmMetaspace: 0, jvmOverhead: 0, totalFlinkMemory: heapMax, totalProcessMemory: metrics?.['Status.JVM.Memory.RSS'] ?? heapMax,
    },
    blocked: false,
  };
}

/** GET /taskmanagers/:taskmanagerid (Flink's TaskManagerDetailsInfo). */
export function taskManagerDetails({ tm, metrics }: TaskManagerView) {
  const m = (k: string) => metrics?.[`Status.JVM.Memory.${k}`] ?? 0;
  return {
    ...taskManagerInfo(tm, metrics),
    allocatedSlots: Array.from({ length: tm.slotsNumber - tm.freeSlots }, () => ({ jobId: tm.jobId, resource: { cpuCores: 1, taskHeapMemory: 0, taskOffHeapMemory: 0, managedMemory: 0, networkMemory: 0, extendedResources: {} } })),
    metrics: {
      heapUsed: m('Heap.Used'), heapCommitted: m('Heap.Committed'), heapMax: m('Heap.Max'),
      nonHeapUsed: m('NonHeap.Used'), nonHeapCommitted: m('NonHeap.Committed'), nonHeapMax: m('NonHeap.Max'),
      directCount: m('Direct.Count'), directUsed: m('Direct.MemoryUsed'), directMax: m('Direct.TotalCapacity'),
      mappedCount: m('Mapped.Count'), mappedUsed: m('Mapped.MemoryUsed'), mappedMax: m('Mapped.TotalCapacity'),
      memorySegmentsAvailable: 0, memorySegmentsTotal: 0, nettyShuffleMemorySegmentsAvailable: 0, nettyShuffleMemorySegmentsUsed: 0,
      nettyShuffleMemorySegmentsTotal: 0, nettyShuffleMemoryAvailable: 0, nettyShuffleMemoryUsed: 0, nettyShuffleMemoryTotal: 0,
      garbageCollectors: [] as { name: string; count: number; time: number }[],
    },
  };
}
