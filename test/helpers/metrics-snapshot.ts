/**
 * A metrics snapshot with known numbers for the metric routes' tests: a source vertex (2 subtasks,
 * one stream each, no watermark yet on subtask 1) feeding a keyed vertex (3 subtasks), two
 * TaskManagers, three history points.
 */
import type { JobMetricsSnapshot, VertexInfo } from '../../metadata/index.js';

export const SOURCE = 'a'.repeat(32);
export const WINDOW = 'b'.repeat(32);
/** Java's Long.MIN_VALUE as a snapshot carries it. */
export const NO_WATERMARK = -9223372036854775808;

export function vertexInfos(): VertexInfo[] {
  const v = (id: string, name: string, parallelism: number): VertexInfo => ({
    id, name, parallelism, maxParallelism: 128, status: 'RUNNING', 'start-time': 1, 'end-time': -1, duration: 1, tasks: { running: parallelism },
  });
  return [v(SOURCE, 'Source: transactions', 2), v(WINDOW, 'Window(sum) -> Sink', 3)];
}

export function sampleSnapshot(jobId: string, timestamp = Date.now()): JobMetricsSnapshot {
  return {
    jobId, timestamp,
    job: { uptime: 12_500, numRestarts: 2, numberOfCompletedCheckpoints: 7, numberOfFailedCheckpoints: 1, numberOfInProgressCheckpoints: 0, lastCheckpointDuration: 250, lastCheckpointSize: 4096 },
    subtasks: [
      { vertexId: SOURCE, subtask: 0, attempt: 0, taskManagerId: 'taskmanager-00001', metrics: { numRecordsIn: 100, numRecordsOut: 100, numRecordsInPerSecond: 10, busyTimeMsPerSecond: 250, currentInputWatermark: 1_700_000_000_000, pendingRecords: 5 },
        splits: [{ stream: 'tx-0', pendingRecords: 5, numRecordsInPerSecond: 10 }] },
      { vertexId: SOURCE, subtask: 1, attempt: 0, taskManagerId: 'taskmanager-00002', metrics: { numRecordsIn: 300, numRecordsOut: 300, numRecordsInPerSecond: 30, busyTimeMsPerSecond: 750, currentInputWatermark: NO_WATERMARK, pendingRecords: 0 },
        splits: [{ stream: 'tx-1', pendingRecords: 0, numRecordsInPerSecond: 30 }] },
      { vertexId: WINDOW, subtask: 0, attempt: 0, taskManagerId: 'taskmanager-00001', metrics: { numRecordsIn: 0, numRecordsOut: 0, accumulatedBusyTime: 1500, stateSize: 2048 } },
      { vertexId: WINDOW, subtask: 1, attempt: 0, taskManagerId: 'taskmanager-00002', metrics: { numRecordsIn: 200, numRecordsOut: 20, accumulatedBusyTime: 500, stateSize: 1024 } },
      { vertexId: WINDOW, subtask: 2, attempt: 0, taskManagerId: 'taskmanager-00001', metrics: { numRecordsIn: 200, numRecordsOut: 20, accumulatedBusyTime: 1000, stateSize: 1024 } },
    ],
    taskManagers: {
      'taskmanager-00001': { 'Status.JVM.Memory.Heap.Used': 1000, 'Status.JVM.CPU.Time': 2_000_000_000 },
      'taskmanager-00002': { 'Status.JVM.Memory.Heap.Used': 3000, 'Status.JVM.CPU.Time': 4_000_000_000 },
    },
    history: [1, 2, 3].map((i) => ({
      timestamp: timestamp - (3 - i) * 1000,
      vertices: {
        [SOURCE]: { numRecordsInPerSecond: 10 * i, numRecordsOutPerSecond: 10 * i, busyTimeMsPerSecond: 100 * i, backPressuredTimeMsPerSecond: 0, currentInputWatermark: i === 1 ? NO_WATERMARK : 1000 * i, pendingRecords: 5 - i },
        ...(i === 1 ? {} : { [WINDOW]: { numRecordsInPerSecond: i, numRecordsOutPerSecond: 0, busyTimeMsPerSecond: 50, backPressuredTimeMsPerSecond: 5 * i, currentInputWatermark: 900 * i } }),
      },
    })),
  };
}
