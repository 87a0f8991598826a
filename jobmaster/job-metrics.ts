/**
 * The JobMaster's metrics collector: TaskManagers send their running subtasks' cumulative counters
 * and their process's resource use on every heartbeat (ebbflow.metrics.enabled); this part keeps
 * each current execution's latest report, turns the deltas between two reports into per-second rates
 * (over the last report interval), and every `metrics.fetcher.update-interval` publishes one
 * JobMetricsSnapshot (metadata/job-metrics.ts) through the status writer: per subtask, per
 * TaskManager, job-level (uptime, restarts, checkpoint counts) and a ring of per-vertex points
 * covering the last five minutes. It reads the same JobRuntime view as the other parts; reports of
 * executions that are not current, or not hosted on the reporting TaskManager, are dropped.
 */
import type { JobMetricsSnapshot, SplitMetrics, SubtaskMetricName, SubtaskMetricsSnapshot, VertexHistoryPoint } from '../metadata/job-metrics.js';
import { MAX_WATERMARK, NO_WATERMARK } from '../metadata/job-metrics.js';
import type { ebbflow } from '../proto/generated/rpc.js';
import { toNumber } from '../rpc/index.js';
import type { JobRuntime } from './job-runtime.js';
import type { JobStatusWriter } from './job-status-writer.js';

/** How far back the per-vertex history goes. */
export const HISTORY_MS = 5 * 60_000;
export { NO_WATERMARK, MAX_WATERMARK };

interface Counters {
  recordsIn: number; recordsOut: number; bytesIn: number; bytesOut: number; idleMs: number; backPressuredMs: number; busyMs: number;
  inputWatermark: number; outputWatermark: number; stateSize: number; heldRecords: number; lastCheckpointDuration: number; isSource: boolean;
  splits: Array<{ stream: string; recordsRead: number; pendingRecords: number }>;
}

interface Latest {
  vertexId: string;
  subtask: number;
  attempt: number;
  taskManagerId: string;
  /** The TaskManager's clock when the counters were read (ms). */
  at: number;
  c: Counters;
  rates: { recordsIn: number; recordsOut: number; bytesIn: number; bytesOut: number; busy: number; idle: number; backPressured: number };
  splitRates: Map<string, number>;
}

export interface JobMetricsDeps {
  runtime: JobRuntime;
  writer: Pick<JobStatusWriter, 'refresh'>;
  /** Flink's checkpoint metrics (CheckpointStats.jobMetrics). */
  checkpoints: () => Record<string, number>;
  intervalMs: number;
  /** Restarts before this job process (an earlier job process died): counted in numRestarts. */
  earlierRestarts?: number;
  /** Called with each snapshot as it is published (the autoscaler evaluates on it). */
  published?: (snapshot: JobMetricsSnapshot) => void;
  now?: () => number;
}

const watermark = (w: number): number => (w === Infinity ? MAX_WATERMARK : w === -Infinity || Number.isNaN(w) ? NO_WATERMARK : w);
const perSecond = (delta: number, seconds: number): number => (seconds > 0 ? Math.max(0, delta) / seconds : 0);

function counters(m: ebbflow.rpc.ISubtaskMetrics): Counters {
  return {
    recordsIn: m.recordsIn ?? 0, recordsOut: m.recordsOut ?? 0, bytesIn: m.bytesIn ?? 0, bytesOut: m.bytesOut ?? 0,
    idleMs: m.idleMs ?? 0, backPressuredMs: m.backPressuredMs ?? 0, busyMs: m.busyMs ?? 0,
    inputWatermark: m.inputWatermark ?? -Infinity, outputWatermark: m.outputWatermark ?? -Infinity,
    stateSize: m.stateSize ?? 0, heldRecords: m.heldRecords ?? 0, lastCheckpointDuration: m.lastCheckpointDuration ?? 0, isSource: m.isSource ?? false,
    splits: (m.splits ?? []).map((s) => ({ stream: s.stream ?? '', recordsRead: s.recordsRead ?? 0, pendingRecords: s.pendingRecords ?? -1 })),
  };
}

export class JobMetricsCollector {
  private readonly latest = new Map<string, Latest>();
  private readonly taskManagers = new Map<string, { at: number; cpuMicros: number; metrics: Record<string, number> }>();
  private readonly history: JobMetricsSnapshot['history'] = [];
  private timer: NodeJS.Timeout | undefined;
  private runningSince: number | undefined;
  private readonly now: () => number;
  /** Reports dropped because their execution was not current or not hosted on the reporter. */
  dropped = 0;

  constructor(private readonly d: JobMetricsDeps) {
    this.now = d.now ?? Date.now;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.publish(), this.d.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A heartbeat of TaskManager `resourceId` (already fenced by the pool: its current registration). */
  onHeartbeat(resourceId: string, hb: ebbflow.rpc.IHeartbeat): void {
    const at = hb.timestamp ? toNumber(hb.timestamp) : this.now();
    if (hb.process) this.processReport(resourceId, at, hb.process);
    const { graph, attempt } = this.d.runtime;
    for (const m of hb.subtasks ?? []) {
      const e = graph.executions.get(m.executionId ?? '');
      if (!e || e.resourceId !== resourceId) { this.dropped++; continue; }
      const c = counters(m);
      const prev = this.latest.get(e.id);
      // Over the last report interval; the first report: over the subtask's life so far.
      const seconds = prev ? (at - prev.at) / 1000 : (c.busyMs + c.idleMs + c.backPressuredMs) / 1000;
      if (prev && seconds <= 0) continue; // a repeated or reordered report
      const p = prev?.c;
      const d = (k: 'recordsIn' | 'recordsOut' | 'bytesIn' | 'bytesOut' | 'busyMs' | 'idleMs' | 'backPressuredMs') => perSecond(c[k] - (p ? p[k] : 0), seconds);
      const prevSplits = new Map(p?.splits.map((s) => [s.stream, s.recordsRead]));
      this.latest.set(e.id, {
        vertexId: e.vertexId, subtask: e.subtaskIndex, attempt, taskManagerId: resourceId, at, c,
        rates: {
          recordsIn: d('recordsIn'), recordsOut: d('recordsOut'), bytesIn: d('bytesIn'), bytesOut: d('bytesOut'),
          busy: Math.min(1000, d('busyMs')), idle: Math.min(1000, d('idleMs')), backPressured: Math.min(1000, d('backPressuredMs')),
        },
        splitRates: new Map(c.splits.map((s) => [s.stream, perSecond(s.recordsRead - (prevSplits.get(s.stream) ?? 0), seconds)])),
      });
    }
  }

  private processReport(resourceId: string, at: number, p: ebbflow.rpc.IProcessMetrics): void {
    const prev = this.taskManagers.get(resourceId);
    const cpuMicros = p.cpuMicros ?? 0;
    // CPU load: CPU time over wall time since the last report (1 = one core busy; the dispatcher's own
    // Status.JVM.CPU.Load is a share of all its cores, as it knows them). RSS under the dispatcher's name for it.
    const load = prev && at > prev.at ? Math.max(0, cpuMicros - prev.cpuMicros) / ((at - prev.at) * 1000) : 0;
    this.taskManagers.set(resourceId, {
      at, cpuMicros,
      metrics: {
        'Status.JVM.Memory.Heap.Used': p.heapUsed ?? 0, 'Status.JVM.Memory.Heap.Committed': p.heapTotal ?? 0,
        'Status.JVM.Memory.RSS': p.rss ?? 0, 'Status.JVM.CPU.Load': load, 'Status.JVM.CPU.Time': cpuMicros * 1000,
      },
    });
  }

  /** A TaskManager left: its process metrics go. */
  taskManagerGone(resourceId: string): void { this.taskManagers.delete(resourceId); }

  /** Builds the snapshot of now (and adds its point to the history). */
  snapshot(): JobMetricsSnapshot {
    const { runtime } = this.d;
    const now = this.now();
    // Forget executions that are no longer current (a restart, a rescale's rollback or retirement).
    for (const [id, l] of this.latest) {
      const e = runtime.graph.executions.get(id);
      if (!e || e.resourceId !== l.taskManagerId) this.latest.delete(id);
    }
    const subtasks = [...this.latest.values()].sort((a, b) => a.vertexId.localeCompare(b.vertexId) || a.subtask - b.subtask).map((l) => this.subtaskSnapshot(l));
    if (runtime.running) this.runningSince ??= now;
    else this.runningSince = undefined;
    const job = {
      uptime: this.runningSince === undefined ? 0 : now - this.runningSince,
      numRestarts: runtime.attempt + (this.d.earlierRestarts ?? 0),
      ...this.d.checkpoints(),
    };
    this.history.push({ timestamp: now, vertices: vertexPoints(subtasks) });
    while (this.history.length && this.history[0]!.timestamp < now - HISTORY_MS) this.history.shift();
    const taskManagers: Record<string, Record<string, number>> = {};
    for (const [rid, t] of this.taskManagers) taskManagers[rid] = t.metrics;
    return { jobId: runtime.jobId, timestamp: now, job, subtasks, taskManagers, history: [...this.history] };
  }

  private subtaskSnapshot(l: Latest): SubtaskMetricsSnapshot {
    const { c, rates: r } = l;
    const metrics: Partial<Record<SubtaskMetricName, number>> = {
      numRecordsIn: c.recordsIn, numRecordsOut: c.recordsOut, numRecordsInPerSecond: r.recordsIn, numRecordsOutPerSecond: r.recordsOut,
      numBytesIn: c.bytesIn, numBytesOut: c.bytesOut, numBytesInPerSecond: r.bytesIn, numBytesOutPerSecond: r.bytesOut,
      busyTimeMsPerSecond: r.busy, idleTimeMsPerSecond: r.idle, backPressuredTimeMsPerSecond: r.backPressured,
      accumulatedBusyTime: c.busyMs, accumulatedIdleTime: c.idleMs, accumulatedBackPressuredTime: c.backPressuredMs,
      currentInputWatermark: watermark(c.inputWatermark), currentOutputWatermark: watermark(c.outputWatermark),
      stateSize: c.stateSize, heldRecords: c.heldRecords, lastCheckpointDuration: c.lastCheckpointDuration,
    };
    const out: SubtaskMetricsSnapshot = { vertexId: l.vertexId, subtask: l.subtask, attempt: l.attempt, taskManagerId: l.taskManagerId, metrics };
    if (c.isSource) {
      const splits: SplitMetrics[] = c.splits.map((s) => ({ stream: s.stream, pendingRecords: s.pendingRecords, numRecordsInPerSecond: l.splitRates.get(s.stream) ?? 0 }));
      out.splits = splits;
      // Only when every split's backlog is known (a sum over some would understate it).
      if (splits.every((s) => s.pendingRecords >= 0)) metrics.pendingRecords = splits.reduce((a, s) => a + s.pendingRecords, 0);
    }
    return out;
  }

  /** Publishes the snapshot of now (one attempt: the next interval writes a newer one). */
  publish(): Promise<void> {
    const snap = this.snapshot();
    this.d.published?.(snap);
    return this.d.writer.refresh('record the job metrics', `job ${snap.jobId}: metrics`, (r) => r.putMetrics(snap.jobId, snap));
  }
}

/** Per vertex: rates summed, busy and back-pressure at their maximum, the input watermark at its minimum, the backlog summed. */
export function vertexPoints(subtasks: SubtaskMetricsSnapshot[]): Record<string, VertexHistoryPoint> {
  const out: Record<string, VertexHistoryPoint> = {};
  for (const s of subtasks) {
    const m = s.metrics;
    const p = (out[s.vertexId] ??= {
      numRecordsInPerSecond: 0, numRecordsOutPerSecond: 0, busyTimeMsPerSecond: 0, backPressuredTimeMsPerSecond: 0, currentInputWatermark: MAX_WATERMARK,
    });
    p.numRecordsInPerSecond += m.numRecordsInPerSecond ?? 0;
    p.numRecordsOutPerSecond += m.numRecordsOutPerSecond ?? 0;
    p.busyTimeMsPerSecond = Math.max(p.busyTimeMsPerSecond, m.busyTimeMsPerSecond ?? 0);
    p.backPressuredTimeMsPerSecond = Math.max(p.backPressuredTimeMsPerSecond, m.backPressuredTimeMsPerSecond ?? 0);
    p.currentInputWatermark = Math.min(p.currentInputWatermark, m.currentInputWatermark ?? NO_WATERMARK);
    if (m.pendingRecords !== undefined) p.pendingRecords = (p.pendingRecords ?? 0) + m.pendingRecords;
  }
  return out;
}
