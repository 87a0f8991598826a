/**
 * The dashboard's metric-derived answers from a published metrics snapshot (the fake gateway's
 * `metrics` map): vertex I/O metrics and their completeness, watermarks, back pressure with Flink's
 * thresholds, TaskManager JVM metrics; and the zeros / `deprecated` answers before any snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobMetricsSnapshot, SubtaskMetricsSnapshot } from '../../metadata/index.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { buildTestingApp, TestingDispatcherGateway } from '../helpers/testing-dispatcher-gateway.js';

const SRC = 'a'.repeat(32);
const WIN = 'b'.repeat(32);
const tasks = { RUNNING: 2 };
const gw = new TestingDispatcherGateway();
const job = gw.addJob({
  parallelism: 2,
  vertices: [
    { id: SRC, name: 'Source', parallelism: 2, maxParallelism: 2, status: 'RUNNING', 'start-time': Date.now() - 5000, 'end-time': -1, duration: 0, tasks, operators: ['Source'] },
    { id: WIN, name: 'Window', parallelism: 2, maxParallelism: 128, status: 'RUNNING', 'start-time': Date.now() - 5000, 'end-time': -1, duration: 0, tasks, inputs: [{ id: SRC, shipStrategy: 'HASH' }], operators: ['Window', 'Sink'] },
  ],
  subtasks: Object.fromEntries([SRC, WIN].map((v) => [v, [0, 1].map((i) => ({ subtask: i, executionId: `${v}${i}`, status: 'RUNNING', attempt: 0, resourceId: `tm-${i}`, startTime: Date.now() - 5000, endTime: -1 }))])),
});
gw.taskManagerRecords.push(...[0, 1].map((i) => ({ id: `tm-${i}`, jobId: job.id, pid: 100 + i, host: '127.0.0.1', dataPort: 7000 + i, slotsNumber: 2, freeSlots: 0, lastHeartbeat: 1_700_000_000_000, registeredAt: 0 })));

const sub = (vertexId: string, subtask: number, metrics: SubtaskMetricsSnapshot['metrics']): SubtaskMetricsSnapshot => ({ vertexId, subtask, attempt: 0, taskManagerId: `tm-${subtask}`, metrics });
const snapshot: JobMetricsSnapshot = {
  jobId: job.id, timestamp: 1_700_000_123_000, job: {}, history: [],
  taskManagers: { 'tm-0': { 'Status.JVM.Memory.Heap.Used': 1000, 'Status.JVM.Memory.Heap.Max': 4000 } },
  subtasks: [
    sub(SRC, 0, { numRecordsOut: 10, numBytesOut: 100, backPressuredTimeMsPerSecond: 50, idleTimeMsPerSecond: 900, busyTimeMsPerSecond: 50, accumulatedBackPressuredTime: 7 }),
    sub(SRC, 1, { numRecordsOut: 5, numBytesOut: 50, backPressuredTimeMsPerSecond: 600, idleTimeMsPerSecond: 100, busyTimeMsPerSecond: 300, accumulatedBackPressuredTime: 3 }),
    // Only one window subtask reported: its counters are incomplete.
    sub(WIN, 0, { numRecordsIn: 15, currentInputWatermark: 12345, backPressuredTimeMsPerSecond: 200 }),
    sub(WIN, 1, { currentInputWatermark: -9223372036854776000 }),
  ],
};

let app: Awaited<ReturnType<typeof buildTestingApp>>['app'];
const get = async (url: string, spec: string) => {
  const res = await app.inject({ method: 'GET', url });
  expect(res.statusCode, res.body).toBe(200);
  await expectSpecResponse('get', spec, 200, res.json());
  return res.json();
};

beforeAll(async () => { ({ app } = await buildTestingApp(gw)); });
afterAll(async () => { await app.close(); });

describe('dashboard answers before any metrics snapshot', () => {
  it('reads zeros, incomplete counters, no watermarks, and deprecated back pressure', async () => {
    const j = await get(`/jobs/${job.id}`, '/jobs/{jobid}');
    expect(j.vertices[0].metrics).toMatchObject({ 'write-records': 0, 'write-records-complete': false, 'accumulated-busy-time': 0 });
    expect(j.plan.nodes[1].inputs).toEqual([{ num: 0, id: SRC, ship_strategy: 'HASH', exchange: 'pipelined_bounded' }]);
    expect(j.plan.nodes[1].description).toBe('Window -> Sink');
    expect(await get(`/jobs/${job.id}/vertices/${WIN}/watermarks`, '/jobs/{jobid}/vertices/{vertexid}/watermarks')).toEqual([]);
    expect(await get(`/jobs/${job.id}/vertices/${SRC}/backpressure`, '/jobs/{jobid}/vertices/{vertexid}/backpressure')).toMatchObject({ status: 'deprecated', subtasks: [] });
    expect((await get('/taskmanagers/tm-0', '/taskmanagers/{taskmanagerid}')).metrics.heapUsed).toBe(0);
  });
});

describe('dashboard answers from the job metrics snapshot', () => {
  beforeAll(() => { gw.metrics.set(job.id, snapshot); });

  it('sums vertex I/O metrics; a counter is complete only when every subtask reported it', async () => {
    const j = await get(`/jobs/${job.id}`, '/jobs/{jobid}');
    expect(j.vertices[0].metrics).toMatchObject({ 'write-records': 15, 'write-records-complete': true, 'write-bytes': 150, 'accumulated-backpressured-time': 10, 'read-records-complete': false });
    expect(j.vertices[1].metrics).toMatchObject({ 'read-records': 15, 'read-records-complete': false });
    // Durations run to now while the vertex runs.
    expect(j.vertices[0].duration).toBeGreaterThanOrEqual(5000);
    const v = await get(`/jobs/${job.id}/vertices/${SRC}`, '/jobs/{jobid}/vertices/{vertexid}');
    expect(v.subtasks.map((s: any) => s.metrics['write-records'])).toEqual([10, 5]);
    expect(v.subtasks[0].metrics['write-records-complete']).toBe(true);
  });

  it('watermarks per subtask, Long.MIN_VALUE before the first one', async () => {
    expect(await get(`/jobs/${job.id}/vertices/${WIN}/watermarks`, '/jobs/{jobid}/vertices/{vertexid}/watermarks')).toEqual([
      { id: '0.currentInputWatermark', value: '12345' }, { id: '1.currentInputWatermark', value: '-9223372036854775808' },
    ]);
  });

  it("back pressure with Flink's thresholds (ratio ≤ 0.1 ok, ≤ 0.5 low, above high), the vertex at its worst subtask", async () => {
    const src = await get(`/jobs/${job.id}/vertices/${SRC}/backpressure`, '/jobs/{jobid}/vertices/{vertexid}/backpressure');
    expect(src).toEqual({
      status: 'ok', 'backpressure-level': 'high', 'end-timestamp': snapshot.timestamp,
      subtasks: [
        { subtask: 0, 'attempt-number': 0, 'backpressure-level': 'ok', ratio: 0.05, idleRatio: 0.9, busyRatio: 0.05 },
        { subtask: 1, 'attempt-number': 0, 'backpressure-level': 'high', ratio: 0.6, idleRatio: 0.1, busyRatio: 0.3 },
      ],
    });
    const win = await get(`/jobs/${job.id}/vertices/${WIN}/backpressure`, '/jobs/{jobid}/vertices/{vertexid}/backpressure');
    expect(win['backpressure-level']).toBe('low');
  });

  it('TaskManager details carry its JVM metrics and its last heartbeat as a timestamp', async () => {
    const tm = await get('/taskmanagers/tm-0', '/taskmanagers/{taskmanagerid}');
    expect(tm.metrics).toMatchObject({ heapUsed: 1000, heapMax: 4000 });
    expect(tm.timeSinceLastHeartbeat).toBe(1_700_000_000_000);
    const list = await get('/taskmanagers', '/taskmanagers');
    expect(list.taskmanagers[0].timeSinceLastHeartbeat).toBe(1_700_000_000_000);
  });

  it('vertex TaskManagers group the subtasks with their metrics', async () => {
    const r = await get(`/jobs/${job.id}/vertices/${SRC}/taskmanagers`, '/jobs/{jobid}/vertices/{vertexid}/taskmanagers');
    expect(r.taskmanagers.map((t: any) => [t['taskmanager-id'], t.endpoint, t.metrics['write-records']])).toEqual([['tm-0', '127.0.0.1:7000', 10], ['tm-1', '127.0.0.1:7001', 5]]);
  });

  it('log tails and a missing log', async () => {
    gw.logs.set('tm-0', { 'tm-0.log': 'a\nb\nc\n' });
    const res = await app.inject({ method: 'GET', url: '/taskmanagers/tm-0/log?lines=2' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('b\nc\n');
    expect(gw.callsOf('taskManagerLog').at(-1)).toEqual(['tm-0', undefined, 2]);
    expect((await app.inject({ method: 'GET', url: '/taskmanagers/tm-0/log?lines=x' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/taskmanagers/tm-1/stdout' })).statusCode).toBe(404);
  });
});
