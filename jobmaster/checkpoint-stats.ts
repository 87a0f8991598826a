/**
 * Checkpoint statistics in the shape of Flink's `GET /jobs/:jobid/checkpoints`
 * (CheckpointingStatistics): counts, summary, latest, history.
 */
import type { CheckpointStatistics } from '../rest/index.js';

/** Who takes part in a checkpoint (the coordinator's CheckpointTarget). */
export interface StatsTarget { executionId: string; vertexId: string; subtask?: number }

/** One vertex's part of a checkpoint (Flink's TaskCheckpointStatistics). */
export interface TaskCheckpointRecord {
  id: number; status: string; latest_ack_timestamp: number; checkpointed_size: number; state_size: number; end_to_end_duration: number;
  alignment_buffered: number; processed_data: number; persisted_data: number; num_subtasks: number; num_acknowledged_subtasks: number;
}

/** One subtask's acknowledgement (Flink's SubtaskCheckpointStatistics: pending_or_failed until acknowledged). */
export interface SubtaskCheckpointRecord {
  index: number; status: 'completed' | 'pending_or_failed'; ack_timestamp?: number; end_to_end_duration?: number; state_size?: number;
  checkpointed_size?: number; alignment_duration?: number;
}

/**
 * One checkpoint as this module records it: openapi.yaml's `CheckpointStatistics` (the generated
 * type), with the three fields the spec leaves optional always set.
 */
export type CheckpointRecord = CheckpointStatistics & { alignment_buffered: number; processed_data: number; persisted_data: number; tasks: Record<string, TaskCheckpointRecord> };

interface Summary { min: number; max: number; avg: number; p50: number; p90: number; p95: number; p99: number; p999: number }

function summarize(values: number[]): Summary {
  if (values.length === 0) return { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { min: s[0]!, max: s[s.length - 1]!, avg: Math.round(s.reduce((a, b) => a + b, 0) / s.length), p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99), p999: q(0.999) };
}

const HISTORY = 10;
const SUMMARY_WINDOW = 100;

export class CheckpointStats {
  private readonly history: CheckpointRecord[] = [];
  private readonly completedDurations: number[] = [];
  private readonly completedSizes: number[] = [];
  private readonly alignments: number[] = [];
  /** Checkpoint id → vertex id → its subtasks' acknowledgements (checkpoints of the history only). */
  private readonly subtasks = new Map<number, Record<string, SubtaskCheckpointRecord[]>>();
  /** Checkpoint id → execution id → where its acknowledgement goes. */
  private readonly targets = new Map<number, Map<string, { vertexId: string; index: number }>>();
  private counts = { restored: 0, total: 0, in_progress: 0, completed: 0, failed: 0 };
  private latest: { completed: CheckpointRecord | null; savepoint: CheckpointRecord | null; failed: CheckpointRecord | null; restored: unknown } = {
    completed: null, savepoint: null, failed: null, restored: null,
  };

  started(id: number, isSavepoint: boolean, targets: StatsTarget[], now = Date.now()): void {
    this.counts.total++;
    this.counts.in_progress++;
    const subtasks = targets.length;
    const tasks: Record<string, TaskCheckpointRecord> = {};
    const perVertex: Record<string, SubtaskCheckpointRecord[]> = {};
    const where = new Map<string, { vertexId: string; index: number }>();
    for (const t of targets) {
      tasks[t.vertexId] ??= { id, status: 'IN_PROGRESS', latest_ack_timestamp: -1, checkpointed_size: 0, state_size: 0, end_to_end_duration: 0,
        alignment_buffered: 0, processed_data: 0, persisted_data: 0, num_subtasks: 0, num_acknowledged_subtasks: 0 };
      tasks[t.vertexId]!.num_subtasks++;
      const list = (perVertex[t.vertexId] ??= []);
      const index = t.subtask ?? list.length;
      list.push({ index, status: 'pending_or_failed' });
      where.set(t.executionId, { vertexId: t.vertexId, index });
    }
    for (const list of Object.values(perVertex)) list.sort((a, b) => a.index - b.index);
    this.subtasks.set(id, perVertex);
    this.targets.set(id, where);
    this.history.unshift({
      className: 'in_progress', id, status: 'IN_PROGRESS', is_savepoint: isSavepoint, checkpoint_type: isSavepoint ? 'SAVEPOINT' : 'CHECKPOINT',
      trigger_timestamp: now, latest_ack_timestamp: -1, state_size: 0, end_to_end_duration: 0, alignment_buffered: 0, processed_data: 0,
      persisted_data: 0, num_subtasks: subtasks, num_acknowledged_subtasks: 0, tasks,
    });
    this.history.length = Math.min(this.history.length, HISTORY);
    const kept = new Set(this.history.map((h) => h.id));
    for (const old of this.subtasks.keys()) if (!kept.has(old)) { this.subtasks.delete(old); this.targets.delete(old); }
  }

  acknowledged(id: number, size: number, alignmentMs: number, now = Date.now(), executionId?: string): void {
    const r = this.history.find((h) => h.id === id);
    if (!r) return;
    r.num_acknowledged_subtasks++;
    r.state_size += size;
    r.latest_ack_timestamp = now;
    r.end_to_end_duration = now - r.trigger_timestamp;
    const at = executionId !== undefined ? this.targets.get(id)?.get(executionId) : undefined;
    const task = at && r.tasks[at.vertexId];
    if (at && task) {
      Object.assign(task, { latest_ack_timestamp: now, end_to_end_duration: now - r.trigger_timestamp, state_size: task.state_size + size, checkpointed_size: task.checkpointed_size + size });
      task.num_acknowledged_subtasks++;
      if (task.num_acknowledged_subtasks === task.num_subtasks) task.status = 'COMPLETED';
      const sub = this.subtasks.get(id)?.[at.vertexId]?.find((x) => x.index === at.index);
      if (sub) Object.assign(sub, { status: 'completed', ack_timestamp: now, end_to_end_duration: now - r.trigger_timestamp, state_size: size, checkpointed_size: size, alignment_duration: alignmentMs });
    }
    this.alignments.push(alignmentMs);
    if (this.alignments.length > SUMMARY_WINDOW) this.alignments.shift();
  }

  completed(id: number, path: string, metadataSize: number, now = Date.now()): void {
    const r = this.history.find((h) => h.id === id);
    if (!r) return;
    this.counts.in_progress--;
    this.counts.completed++;
    Object.assign(r, { className: 'completed', status: 'COMPLETED', external_path: path, discarded: false, end_to_end_duration: now - r.trigger_timestamp });
    r.state_size += metadataSize;
    this.completedDurations.push(r.end_to_end_duration);
    this.completedSizes.push(r.state_size);
    if (this.completedDurations.length > SUMMARY_WINDOW) { this.completedDurations.shift(); this.completedSizes.shift(); }
    if (r.is_savepoint) this.latest.savepoint = r; else this.latest.completed = r;
  }

  failed(id: number, message: string, now = Date.now()): void {
    const r = this.history.find((h) => h.id === id);
    if (!r || r.status !== 'IN_PROGRESS') return;
    this.counts.in_progress--;
    this.counts.failed++;
    Object.assign(r, { className: 'failed', status: 'FAILED', failure_timestamp: now, failure_message: message, end_to_end_duration: now - r.trigger_timestamp });
    for (const t of Object.values(r.tasks)) if (t.status === 'IN_PROGRESS') t.status = 'FAILED';
    this.latest.failed = r;
  }

  discarded(id: number): void {
    const r = this.history.find((h) => h.id === id);
    if (r) r.discarded = true;
  }

  restored(id: number, path: string, isSavepoint: boolean, now = Date.now()): void {
    this.counts.restored++;
    this.latest.restored = { id, restore_timestamp: now, is_savepoint: isSavepoint, external_path: path };
  }

  /** Flink's job-level checkpoint metrics (lastCheckpoint*: -1 before the first completed checkpoint). */
  jobMetrics(): Record<string, number> {
    const last = this.latest.completed;
    return {
      numberOfCompletedCheckpoints: this.counts.completed,
      numberOfFailedCheckpoints: this.counts.failed,
      numberOfInProgressCheckpoints: this.counts.in_progress,
      totalNumberOfCheckpoints: this.counts.total,
      lastCheckpointDuration: last ? last.end_to_end_duration : -1,
      lastCheckpointSize: last ? last.state_size : -1,
    };
  }

  toJSON() {
    const sizes = summarize(this.completedSizes);
    return {
      counts: { ...this.counts },
      summary: {
        state_size: sizes, checkpointed_size: sizes, end_to_end_duration: summarize(this.completedDurations), alignment_buffered: summarize([]),
        processed_data: summarize([]), persisted_data: summarize([]), alignment_duration: summarize(this.alignments),
      },
      latest: this.latest,
      history: this.history,
      // ebbflow: per-subtask acknowledgements of the checkpoints in the history, for
      // /checkpoints/details/:id/subtasks/:vertexid (not part of GET /checkpoints's answer).
      subtaskDetails: Object.fromEntries(this.subtasks),
    };
  }
}
