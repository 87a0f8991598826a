/**
 * Flink's metric endpoints, the console's history and Prometheus's /metrics on an in-memory gateway
 * holding a snapshot with known numbers (test/helpers/metrics-snapshot.ts): list and `get` answers,
 * min/max/avg/sum/skew as Flink computes them, filters, 404s for unknown ids, and every JSON answer
 * against openapi.yaml.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aggregateMetrics, formatValue, metricCollection, parseList, skew, type MetricStore } from '../../api/views/index.js';
import type { JobRecord } from '../../metadata/index.js';
import { NO_WATERMARK, sampleSnapshot, SOURCE, vertexInfos, WINDOW } from '../helpers/metrics-snapshot.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { parseScrape } from '../helpers/prometheus.js';
import { buildTestingApp, type TestingDispatcherGateway } from '../helpers/testing-dispatcher-gateway.js';

let app: FastifyInstance;
let gw: TestingDispatcherGateway;
let job: JobRecord;
beforeEach(async () => {
  ({ app, gw } = await buildTestingApp());
  job = gw.addJob({ name: 'fraud', vertices: vertexInfos() });
  gw.metrics.set(job.id, sampleSnapshot(job.id));
});
afterEach(async () => { await app.close(); });

/** GETs `url`; a JSON answer is checked against the spec's schema for `specPath`. */
async function get(url: string, specPath: string): Promise<{ status: number; body: any }> {
  const res = await app.inject({ method: 'GET', url });
  const body = res.headers['content-type']?.toString().startsWith('application/json') ? JSON.parse(res.body) : res.body;
  await expectSpecResponse('get', specPath, res.statusCode, body);
  return { status: res.statusCode, body };
}

const ids = (body: Array<{ id: string }>) => body.map((m) => m.id).sort();

describe('aggregation as Flink computes it', () => {
  it("computes skew as Flink's DoubleDataSkew: mean absolute deviation over the mean, percent, capped at 100, 0 for a zero mean", () => {
    expect(skew([5, 5, 5])).toBe(0);
    expect(skew([100, 300])).toBe(50);
    expect(skew([0, 200, 200])).toBeCloseTo((((400 / 3) + 2 * (200 / 3)) / 3 / (400 / 3)) * 100, 10);
    expect(skew([0, 0, 0, 100])).toBe(100);
    expect(skew([0, 0])).toBe(0);
    expect(skew([])).toBe(0);
  });

  it('aggregates only the modes asked for, all five without any, and answers [] when a requested name is nowhere', () => {
    const stores: MetricStore[] = [{ a: 1, b: 10 }, { a: 3 }];
    expect(aggregateMetrics(stores, ['a'], ['sum', 'max'])).toEqual([{ id: 'a', sum: 4, max: 3 }]);
    expect(aggregateMetrics(stores, ['a', 'b'], [])).toEqual([{ id: 'a', min: 1, max: 3, avg: 2, sum: 4, skew: 50 }, { id: 'b', min: 10, max: 10, avg: 10, sum: 10, skew: 0 }]);
    expect(aggregateMetrics(stores, ['a', 'nope'], ['sum'])).toEqual([]);
    expect(aggregateMetrics(stores, [], ['sum']).map((m) => m.id).sort()).toEqual(['a', 'b']);
  });

  it('parses get lists and writes values as Flink does (strings, Long.MIN_VALUE exactly)', () => {
    expect(parseList(' numRecordsIn, ,numRecordsOut ,')).toEqual(['numRecordsIn', 'numRecordsOut']);
    expect(parseList(undefined)).toEqual([]);
    expect(formatValue(12)).toBe('12');
    expect(formatValue(0.25)).toBe('0.25');
    expect(formatValue(NO_WATERMARK)).toBe('-9223372036854775808');
    expect(metricCollection({ a: 1, b: 2 }, ['b', 'missing', 'b'])).toEqual([{ id: 'b', value: '2' }]);
  });
});

describe('Flink metric endpoints', () => {
  it('lists and reads job-level metrics', async () => {
    const list = await get(`/jobs/${job.id}/metrics`, '/jobs/{jobid}/metrics');
    expect(list.status).toBe(200);
    expect(ids(list.body)).toEqual(['lastCheckpointDuration', 'lastCheckpointSize', 'numRestarts', 'numberOfCompletedCheckpoints', 'numberOfFailedCheckpoints', 'numberOfInProgressCheckpoints', 'uptime']);
    expect(list.body[0]).not.toHaveProperty('value');
    const some = await get(`/jobs/${job.id}/metrics?get=numRestarts,uptime,nope`, '/jobs/{jobid}/metrics');
    expect(some.body).toEqual([{ id: 'numRestarts', value: '2' }, { id: 'uptime', value: '12500' }]);
  });

  it('answers [] for a job without a snapshot yet, and 404 for an unknown job', async () => {
    const fresh = gw.addJob({ vertices: vertexInfos() });
    expect((await get(`/jobs/${fresh.id}/metrics`, '/jobs/{jobid}/metrics')).body).toEqual([]);
    expect((await get(`/jobs/${fresh.id}/vertices/${SOURCE}/subtasks/metrics?get=numRecordsIn`, '/jobs/{jobid}/vertices/{vertexid}/subtasks/metrics')).body).toEqual([]);
    const unknown = '0'.repeat(32);
    for (const [url, spec] of [
      [`/jobs/${unknown}/metrics`, '/jobs/{jobid}/metrics'],
      [`/jobs/${unknown}/metrics/history`, '/jobs/{jobid}/metrics/history'],
      [`/jobs/${unknown}/vertices/${SOURCE}/metrics`, '/jobs/{jobid}/vertices/{vertexid}/metrics'],
      [`/jobs/${unknown}/vertices/${SOURCE}/subtasks/metrics`, '/jobs/{jobid}/vertices/{vertexid}/subtasks/metrics'],
      [`/jobs/${unknown}/vertices/${SOURCE}/subtasks/0/metrics`, '/jobs/{jobid}/vertices/{vertexid}/subtasks/{subtaskindex}/metrics'],
    ] as const) {
      const res = await get(url, spec);
      expect(res.status, url).toBe(404);
      expect(res.body.errors[0]).toContain(unknown);
    }
  });

  it("names a vertex's metrics <subtask>.<name>, with per-stream splits and Flink's Long.MIN_VALUE watermark", async () => {
    const list = await get(`/jobs/${job.id}/vertices/${SOURCE}/metrics`, '/jobs/{jobid}/vertices/{vertexid}/metrics');
    expect(ids(list.body)).toContain('0.numRecordsIn');
    expect(ids(list.body)).toContain('1.splits.tx-1.pendingRecords');
    const some = await get(`/jobs/${job.id}/vertices/${SOURCE}/metrics?get=1.numRecordsIn,1.currentInputWatermark,0.currentInputWatermark,0.splits.tx-0.pendingRecords`, '/jobs/{jobid}/vertices/{vertexid}/metrics');
    expect(some.body).toEqual([
      { id: '1.numRecordsIn', value: '300' },
      { id: '1.currentInputWatermark', value: '-9223372036854775808' },
      { id: '0.currentInputWatermark', value: '1700000000000' },
      { id: '0.splits.tx-0.pendingRecords', value: '5' },
    ]);
    const unknownVertex = await get(`/jobs/${job.id}/vertices/${'c'.repeat(32)}/metrics`, '/jobs/{jobid}/vertices/{vertexid}/metrics');
    expect(unknownVertex.status).toBe(404);
  });

  it("fills the vertex details' IOMetricsInfo of each subtask from the snapshot", async () => {
    job.subtasks = { [WINDOW]: [0, 1, 2].map((i) => ({ subtask: i, executionId: `e${i}`, status: 'RUNNING', attempt: 0, resourceId: 'taskmanager-00001', startTime: 1, endTime: -1 })) };
    const { status, body } = await get(`/jobs/${job.id}/vertices/${WINDOW}`, '/jobs/{jobid}/vertices/{vertexid}');
    expect(status).toBe(200);
    expect(body.subtasks[1].metrics).toEqual({
      'read-records': 200, 'read-records-complete': true, 'write-records': 20, 'write-records-complete': true,
      'read-bytes': 0, 'read-bytes-complete': false, 'write-bytes': 0, 'write-bytes-complete': false,
      'accumulated-backpressured-time': 0, 'accumulated-busy-time': 500, 'accumulated-idle-time': 0,
    });
    gw.metrics.delete(job.id);
    expect((await get(`/jobs/${job.id}/vertices/${WINDOW}`, '/jobs/{jobid}/vertices/{vertexid}')).body.subtasks[0].metrics['read-records-complete']).toBe(false);
  });

  it("answers Flink's watermarks endpoint from the subtasks' input watermarks", async () => {
    const spec = '/jobs/{jobid}/vertices/{vertexid}/watermarks';
    expect((await get(`/jobs/${job.id}/vertices/${SOURCE}/watermarks`, spec)).body).toEqual([
      { id: '0.currentInputWatermark', value: '1700000000000' },
      { id: '1.currentInputWatermark', value: '-9223372036854775808' },
    ]);
    // The window vertex's subtasks report no watermark in this snapshot.
    expect((await get(`/jobs/${job.id}/vertices/${WINDOW}/watermarks`, spec)).body).toEqual([]);
    expect((await get(`/jobs/${job.id}/vertices/${'c'.repeat(32)}/watermarks`, spec)).status).toBe(404);
  });

  it('aggregates over subtasks, all of them or the ranges in subtasks=', async () => {
    const url = `/jobs/${job.id}/vertices/${WINDOW}/subtasks/metrics`;
    const spec = '/jobs/{jobid}/vertices/{vertexid}/subtasks/metrics';
    const all = await get(`${url}?get=numRecordsIn&agg=min,max,avg,sum,skew`, spec);
    expect(all.body).toEqual([{ id: 'numRecordsIn', min: 0, max: 200, avg: 400 / 3, sum: 400, skew: skew([0, 200, 200]) }]);
    expect((await get(`${url}?get=numRecordsIn,stateSize&agg=SUM`, spec)).body).toEqual([{ id: 'numRecordsIn', sum: 400 }, { id: 'stateSize', sum: 4096 }]);
    expect((await get(`${url}?get=numRecordsIn&agg=sum&subtasks=0-1`, spec)).body).toEqual([{ id: 'numRecordsIn', sum: 200 }]);
    expect((await get(`${url}?get=numRecordsIn&agg=sum&subtasks=0,2`, spec)).body).toEqual([{ id: 'numRecordsIn', sum: 200 }]);
    // Flink's rule: a requested name no subtask has empties the whole answer.
    expect((await get(`${url}?get=numRecordsIn,pendingRecords&agg=sum`, spec)).body).toEqual([]);
    expect(ids((await get(url, spec)).body)).toEqual(['accumulatedBusyTime', 'numRecordsIn', 'numRecordsOut', 'stateSize']);
    // Without agg: all five.
    expect(Object.keys((await get(`${url}?get=stateSize`, spec)).body[0]).sort()).toEqual(['avg', 'id', 'max', 'min', 'skew', 'sum']);
  });

  it('refuses an unknown aggregation or a malformed subtask range with 400 naming it', async () => {
    const url = `/jobs/${job.id}/vertices/${WINDOW}/subtasks/metrics`;
    const spec = '/jobs/{jobid}/vertices/{vertexid}/subtasks/metrics';
    const bad = await get(`${url}?get=numRecordsIn&agg=sum,median`, spec);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.stringContaining('Not a valid aggregation: median')]);
    const range = await get(`${url}?get=numRecordsIn&subtasks=0-x`, spec);
    expect(range.status).toBe(400);
    expect(range.body.errors[0]).toContain('"0-x"');
  });

  it("reads one subtask's metrics; an index at or over the parallelism is 404, a non-integer 400", async () => {
    const url = (i: string) => `/jobs/${job.id}/vertices/${WINDOW}/subtasks/${i}/metrics`;
    const spec = '/jobs/{jobid}/vertices/{vertexid}/subtasks/{subtaskindex}/metrics';
    expect((await get(`${url('2')}?get=numRecordsOut,stateSize`, spec)).body).toEqual([{ id: 'numRecordsOut', value: '20' }, { id: 'stateSize', value: '1024' }]);
    const over = await get(url('3'), spec);
    expect(over.status).toBe(404);
    expect(over.body.errors[0]).toMatch(/no subtask 3 \(parallelism 3\)/);
    expect((await get(url('x'), spec)).status).toBe(400);
  });

  it('serves TaskManager metrics by id, aggregated, and by <jobid>:<id> when two jobs share an id', async () => {
    gw.taskManagerRecords.push({ id: 'taskmanager-00001', jobId: job.id, pid: 1, host: '127.0.0.1', dataPort: 1, slotsNumber: 1, freeSlots: 0, lastHeartbeat: 0, registeredAt: 0 });
    const one = await get('/taskmanagers/taskmanager-00002/metrics?get=Status.JVM.Memory.Heap.Used', '/taskmanagers/{taskmanagerid}/metrics');
    expect(one.body).toEqual([{ id: 'Status.JVM.Memory.Heap.Used', value: '3000' }]);
    const agg = await get('/taskmanagers/metrics?get=Status.JVM.Memory.Heap.Used&agg=sum,max', '/taskmanagers/metrics');
    expect(agg.body).toEqual([{ id: 'Status.JVM.Memory.Heap.Used', sum: 4000, max: 3000 }]);
    expect((await get('/taskmanagers/nope/metrics', '/taskmanagers/{taskmanagerid}/metrics')).status).toBe(404);

    const other = gw.addJob({ vertices: vertexInfos() });
    gw.metrics.set(other.id, sampleSnapshot(other.id));
    const ambiguous = await get('/taskmanagers/taskmanager-00002/metrics', '/taskmanagers/{taskmanagerid}/metrics');
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.errors[0]).toContain(`${other.id}:taskmanager-00002`);
    expect((await get(`/taskmanagers/${other.id}:taskmanager-00002/metrics?get=Status.JVM.Memory.Heap.Used`, '/taskmanagers/{taskmanagerid}/metrics')).body).toEqual([{ id: 'Status.JVM.Memory.Heap.Used', value: '3000' }]);
    const filtered = await get(`/taskmanagers/metrics?get=Status.JVM.Memory.Heap.Used&agg=sum&taskmanagers=${job.id}:taskmanager-00001,${other.id}:taskmanager-00001`, '/taskmanagers/metrics');
    expect(filtered.body).toEqual([{ id: 'Status.JVM.Memory.Heap.Used', sum: 2000 }]);
  });

  it('aggregates job metrics over running jobs only, or those in jobs=', async () => {
    const other = gw.addJob({ vertices: vertexInfos() });
    gw.metrics.set(other.id, { ...sampleSnapshot(other.id), job: { numRestarts: 4, uptime: 1000 } });
    const ended = gw.addJob({ state: 'CANCELED', vertices: vertexInfos() });
    gw.metrics.set(ended.id, { ...sampleSnapshot(ended.id), job: { numRestarts: 100 } });
    expect((await get('/jobs/metrics?get=numRestarts&agg=sum,min,max', '/jobs/metrics')).body).toEqual([{ id: 'numRestarts', sum: 6, min: 2, max: 4 }]);
    expect((await get(`/jobs/metrics?get=numRestarts&agg=sum&jobs=${other.id}`, '/jobs/metrics')).body).toEqual([{ id: 'numRestarts', sum: 4 }]);
    expect(ids((await get('/jobs/metrics', '/jobs/metrics')).body)).toContain('lastCheckpointSize');
  });

  it("serves the dispatcher process under Flink's JobManager names", async () => {
    gw.taskManagerRecords.push({ id: 'taskmanager-00001', jobId: job.id, pid: 1, host: '127.0.0.1', dataPort: 1, slotsNumber: 2, freeSlots: 1, lastHeartbeat: 0, registeredAt: 0 });
    const list = await get('/jobmanager/metrics', '/jobmanager/metrics');
    expect(ids(list.body)).toEqual(expect.arrayContaining(['Status.JVM.Memory.Heap.Used', 'Status.JVM.Memory.Heap.Max', 'Status.JVM.CPU.Load', 'Status.JVM.CPU.Time', 'numRunningJobs', 'taskSlotsTotal']));
    const some = await get('/jobmanager/metrics?get=Status.JVM.Memory.Heap.Used,numRunningJobs,taskSlotsTotal,taskSlotsAvailable', '/jobmanager/metrics');
    const byId = Object.fromEntries(some.body.map((m: { id: string; value: string }) => [m.id, m.value]));
    expect(Number(byId['Status.JVM.Memory.Heap.Used'])).toBeGreaterThan(1024 * 1024);
    expect(byId).toMatchObject({ numRunningJobs: '1', taskSlotsTotal: '2', taskSlotsAvailable: '1' });
  });
});

describe('a partial snapshot (from an older or newer job process)', () => {
  it('reads the parts it lacks as empty and ignores values that are not numbers', async () => {
    const odd = gw.addJob({ vertices: vertexInfos() });
    gw.metrics.set(odd.id, { jobId: odd.id, job: { numRestarts: 1, uptime: 'soon' }, subtasks: [{ vertexId: SOURCE, subtask: 0, metrics: { numRecordsIn: 5 } }, { bogus: true }] } as never);
    expect((await get(`/jobs/${odd.id}/metrics`, '/jobs/{jobid}/metrics')).body).toEqual([{ id: 'numRestarts' }]);
    expect((await get(`/jobs/${odd.id}/vertices/${SOURCE}/subtasks/metrics?get=numRecordsIn&agg=sum`, '/jobs/{jobid}/vertices/{vertexid}/subtasks/metrics')).body).toEqual([{ id: 'numRecordsIn', sum: 5 }]);
    expect((await get(`/jobs/${odd.id}/metrics/history`, '/jobs/{jobid}/metrics/history')).body.timestamps).toEqual([]);
    const scrape = await app.inject({ method: 'GET', url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    expect(parseScrape(scrape.body).value('ebbflow_task_records_in_total', { job_id: odd.id })).toBe(5);
  });
});

describe('GET /jobs/:jobid/metrics/history', () => {
  it('gives one array per series and vertex, aligned with the timestamps, null where a point has no value', async () => {
    const snap = gw.metrics.get(job.id)!;
    const { status, body } = await get(`/jobs/${job.id}/metrics/history`, '/jobs/{jobid}/metrics/history');
    expect(status).toBe(200);
    expect(body.timestamps).toEqual(snap.history.map((p) => p.timestamp));
    expect(Object.keys(body.vertices)).toEqual([SOURCE, WINDOW]);
    expect(body.vertices[SOURCE]).toEqual({
      numRecordsInPerSecond: [10, 20, 30], numRecordsOutPerSecond: [10, 20, 30], busyTimeMsPerSecond: [100, 200, 300],
      backPressuredTimeMsPerSecond: [0, 0, 0], currentInputWatermark: [null, 2000, 3000], pendingRecords: [4, 3, 2],
    });
    expect(body.vertices[WINDOW]).toEqual({
      numRecordsInPerSecond: [null, 2, 3], numRecordsOutPerSecond: [null, 0, 0], busyTimeMsPerSecond: [null, 50, 50],
      backPressuredTimeMsPerSecond: [null, 10, 15], currentInputWatermark: [null, 1800, 2700], pendingRecords: [null, null, null],
    });
  });

  it("has empty arrays for every vertex of the job before the first snapshot", async () => {
    const fresh = gw.addJob({ vertices: vertexInfos() });
    const { body } = await get(`/jobs/${fresh.id}/metrics/history`, '/jobs/{jobid}/metrics/history');
    expect(body.timestamps).toEqual([]);
    expect(body.vertices[SOURCE].numRecordsInPerSecond).toEqual([]);
    expect(body.vertices[WINDOW].pendingRecords).toEqual([]);
  });
});

describe('GET /metrics (Prometheus)', () => {
  it('exposes the dispatcher, the queue and every running subtask with Prometheus names and labels', async () => {
    gw.status = { submissions: { waiting: 2, active: 1, delayed: 0, failed: 3 }, uploadsInProgress: 1 };
    gw.addJob({ state: 'FAILED' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = parseScrape(res.body);
    expect(s.value('ebbflow_dispatcher_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(s.value('ebbflow_jobs', { state: 'RUNNING' })).toBe(1);
    expect(s.value('ebbflow_jobs', { state: 'FAILED' })).toBe(1);
    expect(s.value('ebbflow_jobs', { state: 'CANCELED' })).toBe(0);
    expect(s.value('ebbflow_submission_queue_jobs', { state: 'waiting' })).toBe(2);
    expect(s.value('ebbflow_submission_queue_jobs', { state: 'failed' })).toBe(3);
    expect(s.value('ebbflow_uploads_in_progress')).toBe(1);
    // Without HA this dispatcher leads; no write was fenced.
    expect(s.value('ebbflow_dispatcher_leader')).toBe(1);
    expect(s.value('ebbflow_dispatcher_fenced_writes_total')).toBe(0);

    const sub = { job_id: job.id, job_name: 'fraud', vertex_id: WINDOW, task_name: 'Window(sum) -> Sink', subtask_index: '1', tm_id: 'taskmanager-00002' };
    expect(s.families.get('ebbflow_task_records_in_total')?.type).toBe('COUNTER');
    expect(s.value('ebbflow_task_records_in_total', sub)).toBe(200);
    expect(s.value('ebbflow_task_busy_seconds_total', sub)).toBe(0.5);
    expect(s.value('ebbflow_task_state_size_bytes', sub)).toBe(1024);
    expect(s.samples('ebbflow_task_records_in_total', { job_id: job.id }).reduce((a, m) => a + m.value, 0)).toBe(800);
    const src = { job_id: job.id, vertex_id: SOURCE, subtask_index: '0' };
    expect(s.value('ebbflow_task_busy_ratio', src)).toBe(0.25);
    expect(s.value('ebbflow_task_input_watermark_seconds', src)).toBe(1_700_000_000);
    // No watermark yet: no sample rather than -9.2e18.
    expect(s.value('ebbflow_task_input_watermark_seconds', { ...src, subtask_index: '1' })).toBeUndefined();
    expect(s.value('ebbflow_source_split_pending_records', { ...src, stream: 'tx-0' })).toBe(5);
    expect(s.value('ebbflow_job_restarts_total', { job_id: job.id })).toBe(2);
    expect(s.value('ebbflow_job_uptime_seconds', { job_id: job.id })).toBe(12.5);
    expect(s.value('ebbflow_job_last_checkpoint_size_bytes', { job_id: job.id })).toBe(4096);
    expect(s.value('ebbflow_taskmanager_status_jvm_memory_heap_used_bytes', { job_id: job.id, tm_id: 'taskmanager-00002' })).toBe(3000);
    expect(s.value('ebbflow_taskmanager_status_jvm_cpu_time_seconds_total', { job_id: job.id, tm_id: 'taskmanager-00001' })).toBe(2);
  });

  it('drops the series of a job that ended at the next scrape', async () => {
    const before = parseScrape((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(before.samples('ebbflow_task_records_in_total', { job_id: job.id })).toHaveLength(5);
    job.state = 'FINISHED';
    const after = parseScrape((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(after.samples('ebbflow_task_records_in_total', { job_id: job.id })).toEqual([]);
    expect(after.samples('ebbflow_job_uptime_seconds')).toEqual([]);
    expect(after.value('ebbflow_jobs', { state: 'FINISHED' })).toBe(1);
  });
});
