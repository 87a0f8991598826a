/**
 * The metric routes on a real dispatcher: a job record and a metrics snapshot written to its Redis
 * prefix (as a job process would, through JobRegistry.putMetrics) are served by Flink's endpoints
 * and by Prometheus's GET /metrics (parsed with parse-prometheus-text-format: names, labels,
 * values); the submission queue's BullMQ counts and the stored bundles show; every route needs the
 * bearer token; every JSON answer matches openapi.yaml.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRegistry, metricsKey, type JobRecord } from '../../metadata/index.js';
import { json, startTestDispatcher, type TestDispatcher } from '../helpers/dispatcher.js';
import { sampleSnapshot, SOURCE, vertexInfos, WINDOW } from '../helpers/metrics-snapshot.js';
import { expectSpecResponse } from '../helpers/openapi.js';
import { parseScrape } from '../helpers/prometheus.js';

const TOKEN = 'metrics-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let d: TestDispatcher;
let registry: JobRegistry;
let job: JobRecord;

beforeAll(async () => {
  d = await startTestDispatcher({ token: TOKEN });
  registry = new JobRegistry(d.redis, d.keyPrefix);
  const id = randomBytes(16).toString('hex');
  const now = Date.now();
  expect(await registry.create({
    id, name: 'fraud "detection"', state: 'RUNNING', jarId: 'x', bundlePath: '/nonexistent', entryClass: '', programArgs: [],
    parallelism: 3, maxParallelism: 128, submitTime: now, startTime: now, configuration: {}, savepointPath: '',
  })).toBe(true);
  await registry.update(id, { vertices: vertexInfos() });
  await registry.putMetrics(id, sampleSnapshot(id));
  job = (await registry.get(id))!;
});
afterAll(async () => { await d?.close(); });

async function getJson(url: string, specPath: string): Promise<any> {
  const res = await fetch(d.url + url, { headers: auth });
  const body = await json(res);
  await expectSpecResponse('get', specPath, res.status, body);
  expect(res.status, url).toBe(200);
  return body;
}

describe('metrics on a real dispatcher', () => {
  it("serves a job process's snapshot through Flink's endpoints and the history", async () => {
    expect(await getJson(`/jobs/${job.id}/metrics?get=numRestarts`, '/jobs/{jobid}/metrics')).toEqual([{ id: 'numRestarts', value: '2' }]);
    expect(await getJson(`/jobs/${job.id}/vertices/${WINDOW}/subtasks/metrics?get=numRecordsIn&agg=sum,max`, '/jobs/{jobid}/vertices/{vertexid}/subtasks/metrics'))
      .toEqual([{ id: 'numRecordsIn', sum: 400, max: 200 }]);
    expect(await getJson(`/jobs/${job.id}/vertices/${SOURCE}/subtasks/1/metrics?get=numRecordsOut`, '/jobs/{jobid}/vertices/{vertexid}/subtasks/{subtaskindex}/metrics'))
      .toEqual([{ id: 'numRecordsOut', value: '300' }]);
    expect(await getJson(`/jobs/${job.id}/vertices/${SOURCE}/metrics?get=0.pendingRecords`, '/jobs/{jobid}/vertices/{vertexid}/metrics')).toEqual([{ id: '0.pendingRecords', value: '5' }]);
    expect(await getJson('/jobs/metrics?get=numberOfCompletedCheckpoints&agg=sum', '/jobs/metrics')).toEqual([{ id: 'numberOfCompletedCheckpoints', sum: 7 }]);
    expect(await getJson('/taskmanagers/metrics?get=Status.JVM.Memory.Heap.Used&agg=min', '/taskmanagers/metrics')).toEqual([{ id: 'Status.JVM.Memory.Heap.Used', min: 1000 }]);
    expect(await getJson('/taskmanagers/taskmanager-00001/metrics?get=Status.JVM.Memory.Heap.Used', '/taskmanagers/{taskmanagerid}/metrics')).toEqual([{ id: 'Status.JVM.Memory.Heap.Used', value: '1000' }]);
    const history = await getJson(`/jobs/${job.id}/metrics/history`, '/jobs/{jobid}/metrics/history');
    expect(history.timestamps).toHaveLength(3);
    expect(history.vertices[SOURCE].numRecordsInPerSecond).toEqual([10, 20, 30]);
    expect((await getJson('/jobmanager/metrics?get=numRunningJobs', '/jobmanager/metrics'))).toEqual([{ id: 'numRunningJobs', value: '1' }]);

    const missing = await fetch(`${d.url}/jobs/${job.id}/vertices/${'c'.repeat(32)}/subtasks/metrics`, { headers: auth });
    expect(missing.status).toBe(404);
    await expectSpecResponse('get', '/jobs/{jobid}/vertices/{vertexid}/subtasks/metrics', 404, await json(missing));
  });

  it('needs the bearer token on every metric route, /metrics included', async () => {
    for (const p of ['/metrics', `/jobs/${job.id}/metrics`, `/jobs/${job.id}/metrics/history`, '/jobmanager/metrics', '/taskmanagers/metrics']) {
      const res = await fetch(d.url + p);
      expect(res.status, p).toBe(401);
      expect(await json(res)).toEqual({ errors: [expect.stringContaining('bearer token')] });
    }
  });

  it('scrapes the dispatcher, its queue and bundles, and the running job from Redis in Prometheus text', async () => {
    // A delayed submission (60 s away, so the worker leaves it) and a stored bundle show in the counts.
    const delayedId = randomBytes(16).toString('hex');
    await d.dispatcher.submissions.queue.add('submit', { jobId: delayedId }, { jobId: delayedId, delay: 60_000 });
    const up = await fetch(`${d.url}/jars/upload`, { method: 'POST', headers: auth, body: form('tiny.mjs', 'export default async () => {};\n') });
    expect(up.status).toBe(200);
    try {
      const res = await fetch(`${d.url}/metrics`, { headers: auth });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8/);
      const s = parseScrape(await res.text());
      expect(s.value('ebbflow_dispatcher_process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(s.value('ebbflow_jobs', { state: 'RUNNING' })).toBe(1);
      expect(s.value('ebbflow_submission_queue_jobs', { state: 'delayed' })).toBe(1);
      expect(s.value('ebbflow_submission_queue_jobs', { state: 'waiting' })).toBe(0);
      expect(s.value('ebbflow_jars')).toBe(1);
      expect(s.value('ebbflow_uploads_in_progress')).toBe(0);

      const snap = sampleSnapshot(job.id);
      for (const t of snap.subtasks) {
        const labels = { job_id: job.id, job_name: 'fraud "detection"', vertex_id: t.vertexId, task_name: vertexInfos().find((v) => v.id === t.vertexId)!.name, subtask_index: String(t.subtask), tm_id: t.taskManagerId };
        expect(s.value('ebbflow_task_records_in_total', labels), JSON.stringify(labels)).toBe(t.metrics.numRecordsIn);
        expect(s.value('ebbflow_task_records_out_total', labels)).toBe(t.metrics.numRecordsOut);
      }
      expect(s.value('ebbflow_source_split_records_in_per_second', { job_id: job.id, stream: 'tx-1' })).toBe(30);
      expect(s.value('ebbflow_job_checkpoints_completed_total', { job_id: job.id })).toBe(7);
      expect(s.value('ebbflow_job_checkpoints_failed_total', { job_id: job.id })).toBe(1);
      expect(s.value('ebbflow_job_last_checkpoint_duration_seconds', { job_id: job.id })).toBe(0.25);
      expect(s.value('ebbflow_taskmanager_status_jvm_memory_heap_used_bytes', { job_id: job.id, tm_id: 'taskmanager-00001' })).toBe(1000);
    } finally {
      await d.dispatcher.submissions.queue.remove(delayedId);
    }
  });

  it('serves no metrics for a job whose snapshot is not JSON, without breaking the scrape of the others', async () => {
    const bad = randomBytes(16).toString('hex');
    const now = Date.now();
    await registry.create({
      id: bad, name: 'garbled', state: 'RUNNING', jarId: 'x', bundlePath: '/nonexistent', entryClass: '', programArgs: [],
      parallelism: 1, maxParallelism: 128, submitTime: now, startTime: now, configuration: {}, savepointPath: '',
    });
    await d.redis.set(metricsKey(d.keyPrefix, bad), '{"jobId": "cut off');
    try {
      expect(await getJson(`/jobs/${bad}/metrics`, '/jobs/{jobid}/metrics')).toEqual([]);
      const res = await fetch(`${d.url}/metrics`, { headers: auth });
      expect(res.status).toBe(200);
      const s = parseScrape(await res.text());
      expect(s.samples('ebbflow_task_records_in_total', { job_id: job.id })).toHaveLength(5);
      expect(s.samples('ebbflow_task_records_in_total', { job_id: bad })).toEqual([]);
    } finally {
      await registry.transition(bad, 'CANCELED');
    }
  });

  it('leaves an ended job out of the next scrape', async () => {
    const other = randomBytes(16).toString('hex');
    const now = Date.now();
    await registry.create({
      id: other, name: 'short', state: 'RUNNING', jarId: 'x', bundlePath: '/nonexistent', entryClass: '', programArgs: [],
      parallelism: 1, maxParallelism: 128, submitTime: now, startTime: now, configuration: {}, savepointPath: '',
    });
    await registry.update(other, { vertices: vertexInfos() });
    await registry.putMetrics(other, sampleSnapshot(other));
    const scrape = async () => parseScrape(await (await fetch(`${d.url}/metrics`, { headers: auth })).text());
    expect((await scrape()).samples('ebbflow_task_records_in_total', { job_id: other })).toHaveLength(5);
    expect(await registry.transition(other, 'CANCELED')).toBe(true);
    const after = await scrape();
    expect(after.samples('ebbflow_task_records_in_total', { job_id: other })).toEqual([]);
    expect(after.samples('ebbflow_task_records_in_total', { job_id: job.id })).toHaveLength(5);
  });
});

function form(name: string, content: string): FormData {
  const f = new FormData();
  f.append('jarfile', new Blob([content]), name);
  return f;
}
