/**
 * GET /metrics: the dispatcher and its jobs in Prometheus's text format (prom-client).
 *
 * The dispatcher process's own metrics (prom-client's default set, prefixed `ebbflow_dispatcher_`)
 * live in one registry for the app's life; everything about jobs is built into a fresh registry on
 * every scrape from what Redis holds then, so an ended job's series are gone at the next scrape.
 * Only jobs that have not ended and have a metrics snapshot contribute job, task and TaskManager
 * series. Names follow Prometheus's conventions: snake_case, `_total` for counters, base units
 * (seconds, bytes, ratios instead of ms per second); see the README's metrics section and
 * `TASK_METRICS` below for Flink's name behind each.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DispatcherStatus, LeadershipView, StoredBundle } from '../dispatcher/index.js';
import { isNoWatermark, JOB_STATES, type JobMetricsSnapshot, type JobRecord, type SubtaskMetricName } from '../metadata/index.js';

export interface ScrapeInput {
  jobs: JobRecord[];
  /** Jobs that have not ended, with their latest snapshot. */
  running: Array<{ job: JobRecord; metrics: JobMetricsSnapshot }>;
  status: DispatcherStatus;
  jars: StoredBundle[];
  /** Who leads (HA); absent in older callers: no leadership series. */
  leadership?: LeadershipView;
}

type Kind = 'counter' | 'gauge';
/** A Flink subtask metric → its Prometheus name, kind and the factor to base units. */
interface Mapping { name: string; kind: Kind; help: string; scale?: number }

export const TASK_METRICS: Partial<Record<SubtaskMetricName, Mapping>> = {
  numRecordsIn: { name: 'ebbflow_task_records_in_total', kind: 'counter', help: 'Records the subtask received (Flink numRecordsIn)' },
  numRecordsOut: { name: 'ebbflow_task_records_out_total', kind: 'counter', help: 'Records the subtask emitted (Flink numRecordsOut)' },
  numRecordsInPerSecond: { name: 'ebbflow_task_records_in_per_second', kind: 'gauge', help: 'Records received per second (Flink numRecordsInPerSecond)' },
  numRecordsOutPerSecond: { name: 'ebbflow_task_records_out_per_second', kind: 'gauge', help: 'Records emitted per second (Flink numRecordsOutPerSecond)' },
  numBytesIn: { name: 'ebbflow_task_in_bytes_total', kind: 'counter', help: 'Bytes received (Flink numBytesIn)' },
  numBytesOut: { name: 'ebbflow_task_out_bytes_total', kind: 'counter', help: 'Bytes emitted (Flink numBytesOut)' },
  numBytesInPerSecond: { name: 'ebbflow_task_in_bytes_per_second', kind: 'gauge', help: 'Bytes received per second (Flink numBytesInPerSecond)' },
  numBytesOutPerSecond: { name: 'ebbflow_task_out_bytes_per_second', kind: 'gauge', help: 'Bytes emitted per second (Flink numBytesOutPerSecond)' },
  busyTimeMsPerSecond: { name: 'ebbflow_task_busy_ratio', kind: 'gauge', help: 'Share of time spent processing, 0..1 (Flink busyTimeMsPerSecond / 1000)', scale: 1e-3 },
  idleTimeMsPerSecond: { name: 'ebbflow_task_idle_ratio', kind: 'gauge', help: 'Share of time waiting for input, 0..1 (Flink idleTimeMsPerSecond / 1000)', scale: 1e-3 },
  backPressuredTimeMsPerSecond: { name: 'ebbflow_task_back_pressured_ratio', kind: 'gauge', help: 'Share of time blocked on output, 0..1 (Flink backPressuredTimeMsPerSecond / 1000)', scale: 1e-3 },
  accumulatedBusyTime: { name: 'ebbflow_task_busy_seconds_total', kind: 'counter', help: 'Time spent processing (Flink accumulatedBusyTime, ms / 1000)', scale: 1e-3 },
  accumulatedIdleTime: { name: 'ebbflow_task_idle_seconds_total', kind: 'counter', help: 'Time waiting for input (Flink accumulatedIdleTime, ms / 1000)', scale: 1e-3 },
  accumulatedBackPressuredTime: { name: 'ebbflow_task_back_pressured_seconds_total', kind: 'counter', help: 'Time blocked on output (Flink accumulatedBackPressuredTime, ms / 1000)', scale: 1e-3 },
  currentInputWatermark: { name: 'ebbflow_task_input_watermark_seconds', kind: 'gauge', help: 'Event time of the input watermark, epoch seconds (Flink currentInputWatermark / 1000); no sample before the first watermark', scale: 1e-3 },
  currentOutputWatermark: { name: 'ebbflow_task_output_watermark_seconds', kind: 'gauge', help: 'Event time of the output watermark, epoch seconds (Flink currentOutputWatermark / 1000); no sample before the first watermark', scale: 1e-3 },
  pendingRecords: { name: 'ebbflow_task_pending_records', kind: 'gauge', help: 'Source entries written to its streams but not yet read (Flink pendingRecords)' },
  stateSize: { name: 'ebbflow_task_state_size_bytes', kind: 'gauge', help: "The subtask's state in its last completed checkpoint" },
  heldRecords: { name: 'ebbflow_task_held_records', kind: 'gauge', help: 'Records held back by a rescale now' },
  lastCheckpointDuration: { name: 'ebbflow_task_last_checkpoint_duration_seconds', kind: 'gauge', help: "The subtask's part of the last checkpoint (ms / 1000)", scale: 1e-3 },
};

/** Flink's job-level names → Prometheus; other job-level numbers become `ebbflow_job_<snake_case>` gauges. */
export const JOB_METRICS: Record<string, Mapping> = {
  uptime: { name: 'ebbflow_job_uptime_seconds', kind: 'gauge', help: 'Time the job has been running (Flink uptime, ms / 1000)', scale: 1e-3 },
  numRestarts: { name: 'ebbflow_job_restarts_total', kind: 'counter', help: 'Restarts of the job (Flink numRestarts)' },
  numberOfCompletedCheckpoints: { name: 'ebbflow_job_checkpoints_completed_total', kind: 'counter', help: 'Completed checkpoints (Flink numberOfCompletedCheckpoints)' },
  numberOfFailedCheckpoints: { name: 'ebbflow_job_checkpoints_failed_total', kind: 'counter', help: 'Failed checkpoints (Flink numberOfFailedCheckpoints)' },
  numberOfInProgressCheckpoints: { name: 'ebbflow_job_checkpoints_in_progress', kind: 'gauge', help: 'Checkpoints in progress (Flink numberOfInProgressCheckpoints)' },
  lastCheckpointDuration: { name: 'ebbflow_job_last_checkpoint_duration_seconds', kind: 'gauge', help: 'Duration of the last completed checkpoint (Flink lastCheckpointDuration, ms / 1000)', scale: 1e-3 },
  lastCheckpointSize: { name: 'ebbflow_job_last_checkpoint_size_bytes', kind: 'gauge', help: 'Size of the last completed checkpoint (Flink lastCheckpointSize)' },
};

/** Below this a watermark is Long.MIN_VALUE: none yet. */

/** `Status.JVM.Memory.Heap.Used` → `status_jvm_memory_heap_used`; `numRecordsIn` → `num_records_in`. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9_]+/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '').toLowerCase();
}

/** A TaskManager metric's Prometheus name: memory figures in bytes, CPU time in seconds (from ns), the rest as named. */
export function taskManagerMetricName(name: string): { name: string; scale: number } {
  const base = `ebbflow_taskmanager_${snakeCase(name)}`;
  if (/Memory/.test(name) && !/Count$/.test(name)) return { name: `${base}_bytes`, scale: 1 };
  if (name === 'Status.JVM.CPU.Time') return { name: `${base}_seconds_total`, scale: 1e-9 };
  return { name: base, scale: 1 };
}

/** Series of one scrape, created on first use in that scrape's registry. */
class ScrapeRegistry {
  readonly registry = new Registry();
  private readonly metrics = new Map<string, Counter<string> | Gauge<string>>();

  set(m: { name: string; kind: Kind; help: string }, labels: Record<string, string>, value: number): void {
    if (!Number.isFinite(value)) return;
    let metric = this.metrics.get(m.name);
    if (!metric) {
      const spec = { name: m.name, help: m.help, labelNames: Object.keys(labels), registers: [this.registry] };
      // A counter value from the snapshot is set once into a fresh counter: inc by the total.
      metric = m.kind === 'counter' ? new Counter(spec) : new Gauge(spec);
      this.metrics.set(m.name, metric);
    }
    if (metric instanceof Counter) metric.inc(labels, Math.max(0, value));
    else metric.set(labels, value);
  }
}

export class PrometheusExporter {
  /** The dispatcher process: prom-client's defaults, kept for the app's life (some are histograms over time). */
  private readonly processRegistry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.processRegistry, prefix: 'ebbflow_dispatcher_' });
  }

  get contentType(): string {
    return this.processRegistry.contentType;
  }

  async scrape(input: ScrapeInput): Promise<string> {
    const r = new ScrapeRegistry();
    for (const state of JOB_STATES) {
      r.set({ name: 'ebbflow_jobs', kind: 'gauge', help: 'Jobs the dispatcher knows, by state' }, { state }, input.jobs.filter((j) => j.state === state).length);
    }
    for (const [state, n] of Object.entries(input.status.submissions)) {
      r.set({ name: 'ebbflow_submission_queue_jobs', kind: 'gauge', help: 'Submissions on the BullMQ queue, by BullMQ state' }, { state }, n);
    }
    r.set({ name: 'ebbflow_uploads_in_progress', kind: 'gauge', help: 'Bundle uploads being received now' }, {}, input.status.uploadsInProgress);
    r.set({ name: 'ebbflow_jars', kind: 'gauge', help: 'Stored bundles' }, {}, input.jars.length);
    if (input.leadership) {
      const l = input.leadership;
      r.set({ name: 'ebbflow_dispatcher_leader', kind: 'gauge', help: 'Whether this dispatcher leads (1) or stands by (0); always 1 without HA' }, {}, l.self.leader ? 1 : 0);
      r.set({ name: 'ebbflow_dispatcher_leader_epoch', kind: 'gauge', help: 'The fencing epoch of the leader this dispatcher knows (0 without HA or while none is known)' }, {}, l.leader?.epoch ?? 0);
      r.set({ name: 'ebbflow_dispatcher_fenced_writes_total', kind: 'counter', help: 'Writes of this dispatcher refused by the fence because it no longer led (HA)' }, {}, l.fencedWrites);
    }
    r.set({ name: 'ebbflow_jars_size_bytes', kind: 'gauge', help: 'Size of the stored bundles as uploaded' }, {}, input.jars.reduce((a, j) => a + j.size, 0));
    for (const { job, metrics } of input.running) this.addJob(r, job, metrics);
    return Registry.merge([this.processRegistry, r.registry]).metrics();
  }

  private addJob(r: ScrapeRegistry, job: JobRecord, s: JobMetricsSnapshot): void {
    const jobLabels = { job_id: job.id, job_name: job.name };
    for (const [k, v] of Object.entries(s.job)) {
      const m = JOB_METRICS[k] ?? { name: `ebbflow_job_${snakeCase(k)}`, kind: 'gauge' as const, help: `Flink job metric ${k}` };
      r.set(m, jobLabels, v * (m.scale ?? 1));
    }
    const names = new Map(job.vertices.map((v) => [v.id, v.name]));
    for (const t of s.subtasks) {
      const labels = { ...jobLabels, vertex_id: t.vertexId, task_name: names.get(t.vertexId) ?? '', subtask_index: String(t.subtask), tm_id: t.taskManagerId };
      for (const [k, v] of Object.entries(t.metrics)) {
        const m = TASK_METRICS[k as SubtaskMetricName];
        if (!m || typeof v !== 'number') continue;
        if ((k === 'currentInputWatermark' || k === 'currentOutputWatermark') && isNoWatermark(v)) continue;
        r.set(m, labels, v * (m.scale ?? 1));
      }
      for (const sp of t.splits ?? []) {
        r.set({ name: 'ebbflow_source_split_pending_records', kind: 'gauge', help: 'Entries of one source stream not yet read by its subtask' }, { ...labels, stream: sp.stream }, sp.pendingRecords);
        r.set({ name: 'ebbflow_source_split_records_in_per_second', kind: 'gauge', help: 'Entries read per second from one source stream' }, { ...labels, stream: sp.stream }, sp.numRecordsInPerSecond);
      }
    }
    for (const [tm, values] of Object.entries(s.taskManagers)) {
      for (const [k, v] of Object.entries(values)) {
        const { name, scale } = taskManagerMetricName(k);
        r.set({ name, kind: name.endsWith('_total') ? 'counter' : 'gauge', help: `TaskManager metric ${k}` }, { ...jobLabels, tm_id: tm }, v * scale);
      }
    }
  }
}
