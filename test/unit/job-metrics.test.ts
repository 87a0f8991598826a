/**
 * The JobMaster's metrics collector (jobmaster/job-metrics.ts) against a planned JobRuntime and the
 * testing registry: rates from the deltas of two heartbeats, fencing (only current executions, on
 * the TaskManager hosting them), per-vertex aggregation, job-level metrics, the five-minute history
 * ring, and the publish through the status writer. Plus the subtask side's pieces: the time
 * accounts (IoCounters) and a source's backlog bookkeeping (StreamBacklog).
 */
import Long from 'long';
import { describe, expect, it } from 'vitest';
import { HISTORY_MS, JobMetricsCollector, MAX_WATERMARK, NO_WATERMARK } from '../../jobmaster/job-metrics.js';
import type { JobRuntime } from '../../jobmaster/job-runtime.js';
import type { ebbflow } from '../../proto/generated/rpc.js';
import { compareIds, parseStreamInfo, StreamBacklog } from '../../runtime/connectors/stream-backlog.js';
import { IoCounters, sourcePollIdleMs } from '../../runtime/subtask-metrics.js';
import { TestingJobRegistry } from '../helpers/testing-job-registry.js';
import { testingJobRuntime } from '../helpers/testing-job-runtime.js';

function setup() {
  const runtime = testingJobRuntime(2, 4);
  const [source, keyed] = runtime.plan.graph.vertices.map((v) => v.id) as [string, string];
  // Subtask i of every vertex on tm-i.
  for (const e of runtime.graph.all()) { e.resourceId = `tm-${e.subtaskIndex}`; e.state = 'RUNNING'; }
  const exec = (vertexId: string, i: number) => runtime.graph.ofVertex(vertexId)[i]!;
  const registry = new TestingJobRegistry(runtime.jobId);
  let now = 1_000_000;
  const writes: string[] = [];
  const writer = {
    refresh: async (what: string, _record: string, write: (r: TestingJobRegistry) => Promise<unknown>) => { writes.push(what); await write(registry); },
  };
  const checkpoints = { numberOfCompletedCheckpoints: 3, numberOfFailedCheckpoints: 1, numberOfInProgressCheckpoints: 0, lastCheckpointDuration: 42, lastCheckpointSize: 1234 };
  const collector = new JobMetricsCollector({ runtime, writer: writer as never, checkpoints: () => checkpoints, intervalMs: 1000, now: () => now });
  return { runtime, source, keyed, exec, registry, collector, writes, advance: (ms: number) => { now += ms; }, get now() { return now; } };
}

const hb = (at: number, subtasks: ebbflow.rpc.ISubtaskMetrics[], process?: ebbflow.rpc.IProcessMetrics): ebbflow.rpc.IHeartbeat =>
  ({ timestamp: Long.fromNumber(at), runningTasks: subtasks.length, subtasks, process });

describe('JobMetricsCollector', () => {
  it('turns two reports into per-second rates over the interval between them', () => {
    const t = setup();
    const e = t.exec(t.keyed, 0);
    t.collector.onHeartbeat('tm-0', hb(10_000, [{ executionId: e.id, recordsIn: 100, recordsOut: 10, bytesIn: 5000, busyMs: 500, idleMs: 400, backPressuredMs: 100, inputWatermark: 77, outputWatermark: -Infinity }]));
    t.collector.onHeartbeat('tm-0', hb(12_000, [{ executionId: e.id, recordsIn: 1100, recordsOut: 30, bytesIn: 25_000, busyMs: 1700, idleMs: 600, backPressuredMs: 900, inputWatermark: 99, outputWatermark: Infinity }]));
    const s = t.collector.snapshot().subtasks.find((x) => x.subtask === 0 && x.vertexId === t.keyed)!;
    expect(s.taskManagerId).toBe('tm-0');
    expect(s.metrics).toMatchObject({
      numRecordsIn: 1100, numRecordsOut: 30, numRecordsInPerSecond: 500, numRecordsOutPerSecond: 10, numBytesIn: 25_000, numBytesInPerSecond: 10_000,
      busyTimeMsPerSecond: 600, idleTimeMsPerSecond: 100, backPressuredTimeMsPerSecond: 400,
      accumulatedBusyTime: 1700, accumulatedIdleTime: 600, accumulatedBackPressuredTime: 900,
      currentInputWatermark: 99, currentOutputWatermark: MAX_WATERMARK,
    });
    expect(s.metrics.pendingRecords).toBeUndefined();
  });

  it('rates of a first report are over the subtask\'s life; a counter that went back gives 0, not a negative rate', () => {
    const t = setup();
    const e = t.exec(t.keyed, 1);
    t.collector.onHeartbeat('tm-1', hb(5000, [{ executionId: e.id, recordsIn: 3000, busyMs: 1000, idleMs: 500, backPressuredMs: 500 }]));
    expect(t.collector.snapshot().subtasks[0]!.metrics.numRecordsInPerSecond).toBe(1500);
    t.collector.onHeartbeat('tm-1', hb(6000, [{ executionId: e.id, recordsIn: 10, busyMs: 1100, idleMs: 500, backPressuredMs: 500 }]));
    expect(t.collector.snapshot().subtasks[0]!.metrics.numRecordsInPerSecond).toBe(0);
  });

  it('drops reports of executions that are not current or not hosted on the reporting TaskManager', () => {
    const t = setup();
    const e = t.exec(t.source, 0);
    t.collector.onHeartbeat('tm-1', hb(1000, [{ executionId: e.id, recordsIn: 5 }]));
    t.collector.onHeartbeat('tm-0', hb(1000, [{ executionId: 'not-an-execution', recordsIn: 5 }]));
    expect(t.collector.snapshot().subtasks).toEqual([]);
    expect(t.collector.dropped).toBe(2);
    t.collector.onHeartbeat('tm-0', hb(1000, [{ executionId: e.id, recordsIn: 5 }]));
    expect(t.collector.snapshot().subtasks).toHaveLength(1);
    // A restart replaces the executions: the old one's latest report goes with it.
    t.runtime.graph.remove(e.id);
    expect(t.collector.snapshot().subtasks).toEqual([]);
  });

  it('sums a source\'s backlog only when every split is known, with per-split read rates', () => {
    const t = setup();
    const e = t.exec(t.source, 0);
    const report = (at: number, a: [number, number], b: [number, number]) => t.collector.onHeartbeat('tm-0', hb(at, [{
      executionId: e.id, isSource: true, recordsIn: a[0] + b[0],
      splits: [{ stream: 's0', recordsRead: a[0], pendingRecords: a[1] }, { stream: 's2', recordsRead: b[0], pendingRecords: b[1] }],
    }]));
    report(1000, [100, 5], [0, -1]);
    t.collector.onHeartbeat('tm-0', hb(1000, []));
    let s = t.collector.snapshot().subtasks[0]!;
    expect(s.metrics.pendingRecords).toBeUndefined();
    expect(s.splits!.map((x) => x.pendingRecords)).toEqual([5, -1]);
    report(3000, [300, 7], [50, 3]);
    s = t.collector.snapshot().subtasks[0]!;
    expect(s.metrics.pendingRecords).toBe(10);
    expect(s.splits).toEqual([{ stream: 's0', pendingRecords: 7, numRecordsInPerSecond: 100 }, { stream: 's2', pendingRecords: 3, numRecordsInPerSecond: 25 }]);
  });

  it('aggregates vertices in the history: rates summed, busy and back-pressure at their max, the input watermark at its min, backlog summed', () => {
    const t = setup();
    const [s0, s1] = [t.exec(t.source, 0), t.exec(t.source, 1)];
    const [k0, k1] = [t.exec(t.keyed, 0), t.exec(t.keyed, 1)];
    t.collector.onHeartbeat('tm-0', hb(0, [
      { executionId: s0.id, isSource: true, splits: [{ stream: 's0', recordsRead: 0, pendingRecords: 0 }] },
      { executionId: k0.id, inputWatermark: -Infinity },
    ]));
    t.collector.onHeartbeat('tm-1', hb(0, [
      { executionId: s1.id, isSource: true, splits: [{ stream: 's1', recordsRead: 0, pendingRecords: 0 }] },
      { executionId: k1.id, inputWatermark: 0 },
    ]));
    t.collector.onHeartbeat('tm-0', hb(1000, [
      { executionId: s0.id, isSource: true, recordsIn: 100, recordsOut: 100, busyMs: 300, splits: [{ stream: 's0', recordsRead: 100, pendingRecords: 4 }] },
      { executionId: k0.id, recordsIn: 60, busyMs: 900, backPressuredMs: 0, inputWatermark: 500 },
    ]));
    t.collector.onHeartbeat('tm-1', hb(1000, [
      { executionId: s1.id, isSource: true, recordsIn: 50, recordsOut: 50, busyMs: 100, backPressuredMs: 700, splits: [{ stream: 's1', recordsRead: 50, pendingRecords: 6 }] },
      { executionId: k1.id, recordsIn: 90, busyMs: 200, inputWatermark: 300 },
    ]));
    const snap = t.collector.snapshot();
    const point = snap.history.at(-1)!;
    expect(point.timestamp).toBe(t.now);
    expect(point.vertices[t.source]).toEqual({
      numRecordsInPerSecond: 150, numRecordsOutPerSecond: 150, busyTimeMsPerSecond: 300, backPressuredTimeMsPerSecond: 700, currentInputWatermark: NO_WATERMARK, pendingRecords: 10,
    });
    expect(point.vertices[t.keyed]).toEqual({
      numRecordsInPerSecond: 150, numRecordsOutPerSecond: 0, busyTimeMsPerSecond: 900, backPressuredTimeMsPerSecond: 0, currentInputWatermark: 300,
    });
  });

  it('keeps five minutes of history, one point per snapshot', () => {
    const t = setup();
    for (let i = 0; i < 400; i++) { t.collector.snapshot(); t.advance(1000); }
    const h = t.collector.snapshot().history;
    expect(h.length).toBe(HISTORY_MS / 1000 + 1);
    expect(h[0]!.timestamp).toBe(t.now - HISTORY_MS);
    expect(h.at(-1)!.timestamp).toBe(t.now);
  });

  it('job-level metrics: uptime while running, restarts, checkpoint counts; process metrics per TaskManager with a CPU load', async () => {
    const t = setup();
    let snap = t.collector.snapshot();
    expect(snap.job).toEqual({ uptime: 0, numRestarts: 0, numberOfCompletedCheckpoints: 3, numberOfFailedCheckpoints: 1, numberOfInProgressCheckpoints: 0, lastCheckpointDuration: 42, lastCheckpointSize: 1234 });
    (t.runtime as JobRuntime).enterRunning();
    t.collector.snapshot();
    t.advance(2500);
    t.runtime.attempt = 2;
    t.collector.onHeartbeat('tm-0', hb(10_000, [], { heapUsed: 10, heapTotal: 20, rss: 30, cpuMicros: 1_000_000 }));
    t.collector.onHeartbeat('tm-0', hb(12_000, [], { heapUsed: 11, heapTotal: 20, rss: 31, cpuMicros: 2_000_000 }));
    snap = t.collector.snapshot();
    expect(snap.job.uptime).toBe(2500);
    expect(snap.job.numRestarts).toBe(2);
    expect(snap.taskManagers['tm-0']).toEqual({
      'Status.JVM.Memory.Heap.Used': 11, 'Status.JVM.Memory.Heap.Committed': 20, 'Status.JVM.Memory.RSS': 31, 'Status.JVM.CPU.Load': 0.5, 'Status.JVM.CPU.Time': 2_000_000_000,
    });
    t.collector.taskManagerGone('tm-0');
    expect(t.collector.snapshot().taskManagers).toEqual({});
    // Published through the writer (one attempt), where the registry keeps it.
    await t.collector.publish();
    expect(t.writes).toEqual(['record the job metrics']);
    expect(t.registry.metrics?.jobId).toBe(t.runtime.jobId);
    expect(t.registry.metrics?.job.numRestarts).toBe(2);
  });
});

describe('IoCounters', () => {
  it('busy is the wall time that is neither idle nor back-pressured; overlapping blocked waits count once; a wait in progress counts up to now', () => {
    let now = 1000;
    const c = new IoCounters(() => now);
    now += 100; // busy
    c.idleStart(); now += 50; c.idleEnd();
    c.addIdle(20); now += 20;
    c.blockedStart(); now += 10;
    c.blockedStart(); now += 30; c.blockedEnd(); // a second channel blocked meanwhile: still one wait
    now += 5; c.blockedEnd();
    expect(c.times()).toEqual({ idleMs: 70, backPressuredMs: 45, busyMs: 100 });
    c.idleStart(); now += 15;
    expect(c.times()).toEqual({ idleMs: 85, backPressuredMs: 45, busyMs: 100 });
  });
});

describe('sourcePollIdleMs', () => {
  it('a poll that read nothing is idle throughout; one that read something is idle for the time it waited for its first entry', () => {
    expect(sourcePollIdleMs(false, 200, 0)).toBe(200);
    expect(sourcePollIdleMs(false, 200, 195)).toBe(200);
    // Blocked 150 ms for the entry that then arrived, 10 ms reading and processing it.
    expect(sourcePollIdleMs(true, 160, 150)).toBe(150);
    // Input was there: no wait, all busy.
    expect(sourcePollIdleMs(true, 40, 0)).toBe(0);
    // Never more than the poll took, never negative.
    expect(sourcePollIdleMs(true, 100, 130)).toBe(100);
    expect(sourcePollIdleMs(true, 100, -5)).toBe(0);
  });
});

describe('StreamBacklog', () => {
  it('reads XINFO STREAM replies and compares entry ids', () => {
    expect(parseStreamInfo(['length', 3, 'entries-added', 10, 'first-entry', ['5-1', ['a', '1']]])).toEqual({ entriesAdded: 10, length: 3, firstEntryId: '5-1' });
    expect(parseStreamInfo(['length', 3])).toBeUndefined(); // Redis < 7
    expect(compareIds('5-1', '5-2')).toBeLessThan(0);
    expect(compareIds('10-0', '9-99')).toBeGreaterThan(0);
  });

  it('is unknown until anchored, then exact: entries-added minus what the position covers', () => {
    const b = new StreamBacklog();
    // Restored mid-stream with no count: a full batch says nothing about the rest.
    b.probed('s', { entriesAdded: 5000, length: 5000, firstEntryId: '1-0' }, '2000-0', 1000, 1000);
    b.read('s', 1000);
    expect(b.reports(['s'])).toEqual([{ stream: 's', recordsRead: 1000, pendingRecords: -1 }]);
    // A probe that read to the end anchors it: nothing is ahead.
    b.probed('s', { entriesAdded: 5100, length: 5100, firstEntryId: '1-0' }, '4000-0', 300, 1000);
    b.read('s', 300);
    expect(b.reports(['s'])[0]!.pendingRecords).toBe(0);
    // Later entries are counted ahead at the next probe, and come down as they are read.
    b.probed('s', { entriesAdded: 7100, length: 7100, firstEntryId: '1-0' }, '5100-0', 1000, 1000);
    b.read('s', 1000);
    expect(b.reports(['s'])[0]!.pendingRecords).toBe(1000);
    b.read('s', 400);
    expect(b.reports(['s'])[0]!.pendingRecords).toBe(600);
    expect(b.consumedAt('s')).toBe(6500);
    expect(b.total).toBe(2700);
  });

  it('from the start of a trimmed stream: everything present is ahead', () => {
    const b = new StreamBacklog();
    b.probed('s', { entriesAdded: 900, length: 400, firstEntryId: '500-0' }, '0-0', 100, 100);
    b.read('s', 100);
    expect(b.reports(['s'])[0]!.pendingRecords).toBe(300);
    // A stream nobody wrote yet has nothing ahead; a restored count carries on.
    b.probed('t', 'no such key', '0-0', 0, 100);
    expect(b.reports(['t'])[0]!.pendingRecords).toBe(0);
    // Redis < 7 (no entries-added): unknown, not 0.
    b.probed('u', parseStreamInfo(['length', 3]), '0-0', 3, 100);
    b.read('u', 3);
    expect(b.reports(['u'])[0]).toEqual({ stream: 'u', recordsRead: 3, pendingRecords: -1 });
    const c = new StreamBacklog();
    c.restore('s', 850);
    c.probed('s', { entriesAdded: 900, length: 400, firstEntryId: '500-0' }, '880-0', 50, 50);
    c.read('s', 50);
    expect(c.reports(['s'])[0]!.pendingRecords).toBe(0);
  });
});
