/**
 * Every endpoint Flink's web dashboard (flink-runtime-web) calls, against two real jobs running at
 * once (the fraud-detection bundle over two Redis streams at parallelism 2, and at parallelism 1):
 * each JSON answer is checked against openapi.yaml and against the fields the dashboard's
 * interfaces (src/app/interfaces/*.ts) read, with their types (FIELDS below). Also: the job graph's
 * edges, vertex durations that advance, the sources' real parallelism cap, TaskManager ids unique
 * across jobs, logs only from the TaskManager's own files, the jar plan computed outside the
 * dispatcher, and FINISHED vertices after a stop with savepoint.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, json, startTestDispatcher, upload, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { FRAUD_BUNDLE, fraudArgs, runJar, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import { expectSpecResponse } from '../helpers/openapi.js';

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array';

/**
 * The fields the dashboard reads, per endpoint (derived from the interfaces: job-detail.ts, plan.ts,
 * job-vertex.ts, job-subtask.ts, job-timeline.ts, job-vertex-task-manager.ts, job-backpressure.ts,
 * job-accumulators.ts, job-config.ts, job-checkpoint.ts, task-manager.ts, configuration.ts, jar.ts).
 * `a[]` checks every element of a non-empty array `a`; `a[N]` one element.
 */
const FIELDS: Record<string, Record<string, Kind>> = {
  overview: { taskmanagers: 'number', 'slots-total': 'number', 'slots-available': 'number', 'jobs-running': 'number', 'flink-version': 'string' },
  jobsOverview: { 'jobs[].jid': 'string', 'jobs[].name': 'string', 'jobs[].state': 'string', 'jobs[].start-time': 'number', 'jobs[].duration': 'number', 'jobs[].tasks': 'object' },
  job: {
    jid: 'string', name: 'string', isStoppable: 'boolean', state: 'string', 'start-time': 'number', 'end-time': 'number', duration: 'number', now: 'number',
    timestamps: 'object', 'status-counts': 'object', 'vertices[].id': 'string', 'vertices[].name': 'string', 'vertices[].parallelism': 'number',
    'vertices[].maxParallelism': 'number', 'vertices[].status': 'string', 'vertices[].start-time': 'number', 'vertices[].duration': 'number', 'vertices[].tasks': 'object',
    'vertices[].metrics.read-bytes': 'number', 'vertices[].metrics.read-bytes-complete': 'boolean', 'vertices[].metrics.write-bytes': 'number',
    'vertices[].metrics.write-bytes-complete': 'boolean', 'vertices[].metrics.read-records': 'number', 'vertices[].metrics.read-records-complete': 'boolean',
    'vertices[].metrics.write-records': 'number', 'vertices[].metrics.write-records-complete': 'boolean', 'vertices[].metrics.accumulated-backpressured-time': 'number',
    'vertices[].metrics.accumulated-idle-time': 'number', 'vertices[].metrics.accumulated-busy-time': 'number',
    'plan.jid': 'string', 'plan.name': 'string', 'plan.type': 'string', 'plan.nodes[].id': 'string', 'plan.nodes[].parallelism': 'number', 'plan.nodes[].operator': 'string',
    'plan.nodes[].operator_strategy': 'string', 'plan.nodes[].description': 'string', 'plan.nodes[].optimizer_properties': 'object',
    'plan.nodes[1].inputs[].num': 'number', 'plan.nodes[1].inputs[].id': 'string', 'plan.nodes[1].inputs[].ship_strategy': 'string', 'plan.nodes[1].inputs[].exchange': 'string',
  },
  vertex: {
    id: 'string', name: 'string', parallelism: 'number', maxParallelism: 'number', now: 'number', 'subtasks[].subtask': 'number', 'subtasks[].status': 'string',
    'subtasks[].attempt': 'number', 'subtasks[].endpoint': 'string', 'subtasks[].start-time': 'number', 'subtasks[].end-time': 'number', 'subtasks[].duration': 'number',
    'subtasks[].metrics.read-bytes': 'number', 'subtasks[].metrics.write-records-complete': 'boolean', 'subtasks[].taskmanager-id': 'string',
  },
  subtasktimes: { id: 'string', name: 'string', now: 'number', 'subtasks[].subtask': 'number', 'subtasks[].host': 'string', 'subtasks[].duration': 'number', 'subtasks[].timestamps.RUNNING': 'number', 'subtasks[].timestamps.CREATED': 'number' },
  vertexTaskManagers: {
    id: 'string', name: 'string', now: 'number', 'taskmanagers[].endpoint': 'string', 'taskmanagers[].status': 'string', 'taskmanagers[].start-time': 'number',
    'taskmanagers[].end-time': 'number', 'taskmanagers[].duration': 'number', 'taskmanagers[].metrics.read-bytes': 'number', 'taskmanagers[].status-counts.RUNNING': 'number',
    'taskmanagers[].taskmanager-id': 'string',
  },
  backpressure: { status: 'string', 'backpressure-level': 'string', 'end-timestamp': 'number', subtasks: 'array' },
  accumulators: { id: 'string', 'user-accumulators': 'array' },
  subtaskAccumulators: { id: 'string', parallelism: 'number', 'subtasks[].subtask': 'number', 'subtasks[].attempt': 'number', 'subtasks[].endpoint': 'string', 'subtasks[].user-accumulators': 'array' },
  jobConfig: { jid: 'string', name: 'string', 'execution-config.execution-mode': 'string', 'execution-config.restart-strategy': 'string', 'execution-config.job-parallelism': 'number', 'execution-config.object-reuse-mode': 'boolean', 'execution-config.user-config': 'object' },
  checkpointConfig: {
    mode: 'string', interval: 'number', timeout: 'number', min_pause: 'number', max_concurrent: 'number', 'externalization.enabled': 'boolean', 'externalization.delete_on_cancellation': 'boolean',
    state_backend: 'string', checkpoint_storage: 'string', unaligned_checkpoints: 'boolean', tolerable_failed_checkpoints: 'number', aligned_checkpoint_timeout: 'number',
  },
  checkpointDetails: { id: 'number', status: 'string', is_savepoint: 'boolean', trigger_timestamp: 'number', latest_ack_timestamp: 'number', state_size: 'number', end_to_end_duration: 'number', num_subtasks: 'number', num_acknowledged_subtasks: 'number', checkpoint_type: 'string', tasks: 'object' },
  checkpointSubtasks: {
    id: 'number', status: 'string', latest_ack_timestamp: 'number', state_size: 'number', end_to_end_duration: 'number', num_subtasks: 'number', num_acknowledged_subtasks: 'number',
    'summary.state_size.min': 'number', 'summary.end_to_end_duration.max': 'number', 'summary.checkpoint_duration.sync.avg': 'number', 'summary.alignment.duration.avg': 'number',
    'summary.start_delay.avg': 'number', 'subtasks[].index': 'number', 'subtasks[].status': 'string', 'subtasks[].ack_timestamp': 'number', 'subtasks[].state_size': 'number',
  },
  taskManagers: { 'taskmanagers[].id': 'string', 'taskmanagers[].path': 'string', 'taskmanagers[].dataPort': 'number', 'taskmanagers[].timeSinceLastHeartbeat': 'number', 'taskmanagers[].slotsNumber': 'number', 'taskmanagers[].freeSlots': 'number', 'taskmanagers[].hardware.cpuCores': 'number', 'taskmanagers[].memoryConfiguration.taskHeap': 'number', 'taskmanagers[].totalResource.cpuCores': 'number' },
  taskManager: { id: 'string', path: 'string', dataPort: 'number', timeSinceLastHeartbeat: 'number', slotsNumber: 'number', freeSlots: 'number', 'hardware.physicalMemory': 'number', 'metrics.heapUsed': 'number', 'metrics.heapMax': 'number', 'metrics.nonHeapUsed': 'number', 'metrics.directUsed': 'number', 'metrics.mappedUsed': 'number', 'metrics.garbageCollectors': 'array', 'memoryConfiguration.totalProcessMemory': 'number', allocatedSlots: 'array' },
  logList: { 'logs[].name': 'string', 'logs[].size': 'number' },
  jmConfig: { '[].key': 'string', '[].value': 'string' },
  environment: { 'jvm.version': 'string', 'jvm.arch': 'string', 'jvm.options': 'array', classpath: 'array' },
  jarPlan: { 'plan.name': 'string', 'plan.nodes[].id': 'string', 'plan.nodes[].operator': 'string', 'plan.nodes[].parallelism': 'number', 'plan.nodes[1].inputs[].ship_strategy': 'string' },
};

function valuesAt(body: unknown, path: string): [string, unknown][] {
  let at: [string, unknown][] = [['', body]];
  for (const seg of path.split('.')) {
    const m = /^([^[]*)(?:\[(\d*)\])?$/.exec(seg)!;
    const [, name, index] = m;
    at = at.flatMap(([where, v]) => {
      const here = name ? (v as Record<string, unknown> | undefined)?.[name!] : v;
      const w = name ? `${where}.${name}` : where;
      if (index === undefined) return [[w, here] as [string, unknown]];
      expect(Array.isArray(here), `${w} is an array`).toBe(true);
      const arr = here as unknown[];
      if (index !== '') return [[`${w}[${index}]`, arr[Number(index)]] as [string, unknown]];
      expect(arr.length, `${w} is not empty`).toBeGreaterThan(0);
      return arr.map((x, i) => [`${w}[${i}]`, x] as [string, unknown]);
    });
  }
  return at;
}

function expectFields(kind: keyof typeof FIELDS, body: unknown): void {
  for (const [path, type] of Object.entries(FIELDS[kind]!)) {
    for (const [where, v] of valuesAt(body, path)) {
      const actual = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
      expect(actual, `${kind}: ${where} (the dashboard reads it as ${type})`).toBe(type);
    }
  }
}

let d: TestDispatcher;
let jarId: string;
const prefix = `ebbtest-dash-${randomBytes(4).toString('hex')}`;
let jobA: string;
let jobB: string;

/** GET a JSON answer, check it against openapi.yaml (`specPath`) and the dashboard's fields. */
async function get(path: string, specPath: string, kind?: keyof typeof FIELDS): Promise<any> {
  const res = await fetch(`${d.url}${path}`);
  const body = await json(res);
  expect(res.status, `GET ${path}: ${JSON.stringify(body)}`).toBe(200);
  await expectSpecResponse('get', specPath, 200, body);
  if (kind) expectFields(kind, body);
  return body;
}

async function text(path: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`${d.url}${path}`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

beforeAll(async () => {
  d = await startTestDispatcher();
  const res = await upload(d.url, 'fraud-detection.mjs', readFileSync(FRAUD_BUNDLE));
  expect(res.status).toBe(200);
  jarId = (await json(res)).filename;
  for (const i of [0, 1]) await d.redis.xadd(`${prefix}-a-${i}`, '*', 'from', 'x', 'to', 'y', 'cents', '100', 'ts', String(1000 + i));
  const a = await runJar(d, jarId, { parallelism: 2, programArgsList: fraudArgs(d.redisUrl, [`${prefix}-a-0`, `${prefix}-a-1`], `${prefix}-a-out`) });
  const b = await runJar(d, jarId, { parallelism: 1, programArgsList: fraudArgs(d.redisUrl, [`${prefix}-b-0`], `${prefix}-b-out`) });
  expect(a.status, JSON.stringify(a.body)).toBe(200);
  expect(b.status, JSON.stringify(b.body)).toBe(200);
  jobA = a.body.jobid;
  jobB = b.body.jobid;
  await waitForState(d, jobA, 'RUNNING');
  await waitForState(d, jobB, 'RUNNING');
  await waitForCheckpoints(d, jobA, 1);
}, 120_000);

afterAll(async () => {
  if (d) await deleteKeys(d.redis, `${prefix}*`);
  await d?.close();
});

describe('Flink web dashboard endpoints', () => {
  it('overview, job list and the job graph with its edges, metrics and advancing durations', async () => {
    await get('/overview', '/overview', 'overview');
    await get('/config', '/config');
    await get('/jobs/overview', '/jobs/overview', 'jobsOverview');
    const job = await get(`/jobs/${jobA}`, '/jobs/{jobid}', 'job');
    const [source, window] = job.plan.nodes;
    expect(source.inputs).toBeUndefined();
    expect(window.inputs).toEqual([{ num: 0, id: source.id, ship_strategy: 'HASH', exchange: 'pipelined_bounded' }]);
    // The chained operators, head first.
    expect(source.description.split(' -> ').slice(1)).toEqual(['Parse Transfer', 'Drop Invalid']);
    expect(job.vertices.map((v: any) => v.id)).toEqual(job.plan.nodes.map((n: any) => n.id));
    expect((await get(`/jobs/${jobA}/plan`, '/jobs/{jobid}/plan')).plan).toEqual(job.plan);
    // The source reads two streams: it can never run more than two subtasks.
    expect(job.vertices[0].maxParallelism).toBe(2);
    expect(job.vertices[1].maxParallelism).toBe(job.maxParallelism);
    const running = job.vertices[0];
    expect(running['end-time']).toBe(-1);
    await waitFor('the vertex duration to advance', async () => {
      const again = await get(`/jobs/${jobA}`, '/jobs/{jobid}');
      return again.vertices[0].duration > running.duration && again.vertices[0].duration >= again.now - again.vertices[0]['start-time'] - 5 ? true : undefined;
    }, 10_000);
  });

  it('vertex pages: details, subtask times, TaskManagers, watermarks, back pressure, accumulators', async () => {
    const job = await get(`/jobs/${jobA}`, '/jobs/{jobid}');
    for (const v of job.vertices) {
      const base = `/jobs/${jobA}/vertices/${v.id}`;
      const spec = '/jobs/{jobid}/vertices/{vertexid}';
      const details = await get(base, spec, 'vertex');
      expect(details.subtasks).toHaveLength(2);
      expect(details.subtasks.every((s: any) => s.status === 'RUNNING' && s.duration >= 0)).toBe(true);
      const times = await get(`${base}/subtasktimes`, `${spec}/subtasktimes`, 'subtasktimes');
      expect(times.subtasks.every((s: any) => s.timestamps.RUNNING > 0)).toBe(true);
      const tms = await get(`${base}/taskmanagers`, `${spec}/taskmanagers`, 'vertexTaskManagers');
      expect(tms.taskmanagers.reduce((a: number, t: any) => a + t['status-counts'].RUNNING, 0)).toBe(2);
      const wm = await get(`${base}/watermarks`, `${spec}/watermarks`);
      for (const w of wm) expect(w.id).toMatch(/^\d+\.currentInputWatermark$/);
      const bp = await get(`${base}/backpressure`, `${spec}/backpressure`, 'backpressure');
      expect(['ok', 'deprecated']).toContain(bp.status);
      await get(`${base}/accumulators`, `${spec}/accumulators`, 'accumulators');
      const subAcc = await get(`${base}/subtasks/accumulators`, `${spec}/subtasks/accumulators`, 'subtaskAccumulators');
      expect(subAcc.subtasks).toHaveLength(2);
    }
    await get(`/jobs/${jobA}/accumulators`, '/jobs/{jobid}/accumulators');
    const missing = await fetch(`${d.url}/jobs/${jobA}/vertices/${'0'.repeat(32)}/watermarks`);
    expect(missing.status).toBe(404);
  });

  it('configuration and checkpoints: config, checkpoint config, checkpoint details per vertex and subtask', async () => {
    const cfg = await get(`/jobs/${jobA}/config`, '/jobs/{jobid}/config', 'jobConfig');
    expect(cfg['execution-config']['job-parallelism']).toBe(2);
    const cc = await get(`/jobs/${jobA}/checkpoints/config`, '/jobs/{jobid}/checkpoints/config', 'checkpointConfig');
    expect(cc.interval).toBe(1000);
    await get(`/jobs/${jobA}/jobmanager/config`, '/jobs/{jobid}/jobmanager/config');
    await get(`/jobs/${jobA}/jobmanager/environment`, '/jobs/{jobid}/jobmanager/environment', 'environment');
    const stats = await get(`/jobs/${jobA}/checkpoints`, '/jobs/{jobid}/checkpoints');
    expect(stats.subtaskDetails).toBeUndefined();
    const cp = stats.latest.completed;
    const details = await get(`/jobs/${jobA}/checkpoints/details/${cp.id}`, '/jobs/{jobid}/checkpoints/details/{checkpointid}', 'checkpointDetails');
    const job = await get(`/jobs/${jobA}`, '/jobs/{jobid}');
    expect(Object.keys(details.tasks).sort()).toEqual(job.vertices.map((v: any) => v.id).sort());
    for (const v of job.vertices) {
      expect(details.tasks[v.id]).toMatchObject({ status: 'COMPLETED', num_subtasks: 2, num_acknowledged_subtasks: 2 });
      const sub = await get(`/jobs/${jobA}/checkpoints/details/${cp.id}/subtasks/${v.id}`, '/jobs/{jobid}/checkpoints/details/{checkpointid}/subtasks/{vertexid}', 'checkpointSubtasks');
      expect(sub.subtasks.map((s: any) => [s.index, s.status])).toEqual([[0, 'completed'], [1, 'completed']]);
    }
    expect((await fetch(`${d.url}/jobs/${jobA}/checkpoints/details/999999`)).status).toBe(404);
  });

  it('TaskManagers: unique ids across jobs, heartbeat timestamps, details, logs from their own files only', async () => {
    const list = await get('/taskmanagers', '/taskmanagers', 'taskManagers');
    const ofA = list.taskmanagers.filter((t: any) => t.jobId === jobA);
    const ofB = list.taskmanagers.filter((t: any) => t.jobId === jobB);
    expect(ofA.length).toBeGreaterThan(0);
    expect(ofB.length).toBeGreaterThan(0);
    for (const t of ofA) expect(t.id.startsWith(`${jobA.slice(0, 8)}-`)).toBe(true);
    for (const t of ofB) expect(t.id.startsWith(`${jobB.slice(0, 8)}-`)).toBe(true);
    expect(new Set(list.taskmanagers.map((t: any) => t.id)).size).toBe(list.taskmanagers.length);
    // A timestamp, like Flink's: within the last minute, not an age.
    for (const t of list.taskmanagers) expect(Math.abs(Date.now() - t.timeSinceLastHeartbeat)).toBeLessThan(60_000);

    const tm = ofA[0];
    const base = `/taskmanagers/${tm.id}`;
    const details = await get(base, '/taskmanagers/{taskmanagerid}', 'taskManager');
    expect(details.jobId).toBe(jobA);
    const logs = await get(`${base}/logs`, '/taskmanagers/{taskmanagerid}/logs', 'logList');
    expect(logs.logs.map((l: any) => l.name)).toEqual([`${tm.id}.log`]);
    const whole = await text(`${base}/log`);
    expect(whole.status).toBe(200);
    expect(whole.type).toMatch(/^text\/plain/);
    expect(whole.body.length).toBeGreaterThan(0);
    expect((await text(`${base}/stdout`)).status).toBe(200);
    const tail = await text(`${base}/logs/${tm.id}.log?lines=1`);
    expect(tail.status).toBe(200);
    const current = (await text(`${base}/log`)).body.split('\n').filter(Boolean);
    // The last line (the log may have grown between the two reads: it is among the newest).
    const last = tail.body.split('\n').filter(Boolean);
    expect(last).toHaveLength(1);
    expect(current.slice(-3)).toContain(last[0]);
    expect((await text(`${base}/logs/${tm.id}.log?lines=0`)).body).toBe('');
    // Only the TaskManager's own files, by their listed names.
    for (const name of ['jobmaster.log', '..%2Fjobmaster.log', `..%2F..%2F${jobA}%2Fjobmaster.log`, '%2Fetc%2Fpasswd', `${ofA[1]?.id ?? 'x'}.log`]) {
      expect((await text(`${base}/logs/${name}`)).status, name).toBe(404);
    }
    expect((await text('/taskmanagers/nobody-taskmanager-00001')).status).toBe(404);
    expect((await fetch(`${d.url}${base}/thread-dump`)).status).toBe(200);
  });

  it('JobManager pages and the job process log', async () => {
    const cfg = await get('/jobmanager/config', '/jobmanager/config', 'jmConfig');
    expect(cfg.find((e: any) => e.key === 'dataDir')?.value).toBe(d.dataDir);
    await get('/jobmanager/environment', '/jobmanager/environment', 'environment');
    // The test dispatcher logs nothing (level silent): its one log is there, empty (test/e2e/dispatcher-log.test.ts has lines).
    expect(await get('/jobmanager/logs', '/jobmanager/logs')).toEqual({ logs: [{ name: 'dispatcher.log', size: 0, mtime: 0 }] });
    expect(await text('/jobmanager/log')).toMatchObject({ status: 200, body: '' });
    expect((await text('/jobmanager/stdout')).status).toBe(404);
    await get('/jobmanager/thread-dump', '/jobmanager/thread-dump');
    const log = await text(`/jobs/${jobA}/jobmanager/log?lines=3`);
    expect(log.status).toBe(200);
    expect(log.body.split('\n').filter(Boolean)).toHaveLength(3);
    expect((await text(`/jobs/${'f'.repeat(32)}/jobmanager/log`)).status).toBe(404);
  });

  it('jar plan: the job graph without running the bundle in the dispatcher; a failing job function is 400', async () => {
    const args = fraudArgs(d.redisUrl, [`${prefix}-p-0`, `${prefix}-p-1`, `${prefix}-p-2`], `${prefix}-p-out`);
    const res = await fetch(`${d.url}/jars/${jarId}/plan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parallelism: 4, programArgsList: args }) });
    const plan = await json(res);
    expect(res.status, JSON.stringify(plan)).toBe(200);
    await expectSpecResponse('post', '/jars/{jarid}/plan', 200, plan);
    expectFields('jarPlan', plan);
    expect(plan.plan.name).toBe('Fraud Detection');
    expect(plan.plan.nodes.map((n: any) => [n.parallelism, n.maxParallelism])).toEqual([[3, 3], [4, 128]]);
    expect(plan.plan.nodes[1].inputs[0]).toMatchObject({ id: plan.plan.nodes[0].id, ship_strategy: 'HASH' });
    const viaQuery = await get(`/jars/${jarId}/plan?parallelism=1&program-args=${encodeURIComponent(args.join(' '))}`, '/jars/{jarid}/plan', 'jarPlan');
    expect(viaQuery.plan.nodes.map((n: any) => n.parallelism)).toEqual([1, 1]);

    const marker = `ebbPlanned_${randomBytes(4).toString('hex')}`;
    const probe = await upload(d.url, 'probe.mjs', `export default function (env, args) {
  globalThis.${marker} = process.pid;
  if (args[0] === 'throw') throw new Error('probe: refusing to build');
  env.fromElements([1, 2, 3]).sinkTo(env.fileSink('/dev/null'));
}
`);
    const probeId = (await json(probe)).filename;
    await get(`/jars/${probeId}/plan`, '/jars/{jarid}/plan');
    expect((globalThis as Record<string, unknown>)[marker]).toBeUndefined();
    const bad = await fetch(`${d.url}/jars/${probeId}/plan?programArg=throw`);
    const badBody = await json(bad);
    expect(bad.status).toBe(400);
    await expectSpecResponse('get', '/jars/{jarid}/plan', 400, badBody);
    expect(badBody.errors[0]).toMatch(/probe: refusing to build/);
    expect((await fetch(`${d.url}/jars/nope.mjs/plan`)).status).toBe(404);
  });

  it('a job stopped with a savepoint shows FINISHED vertices and subtasks', async () => {
    const stop = await fetch(`${d.url}/jobs/${jobB}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(stop.status).toBe(202);
    const job = await waitForState(d, jobB, 'FINISHED', 60_000);
    await expectSpecResponse('get', '/jobs/{jobid}', 200, job);
    expect(job.vertices.map((v: any) => v.status)).toEqual(job.vertices.map(() => 'FINISHED'));
    for (const v of job.vertices) {
      const details = await get(`/jobs/${jobB}/vertices/${v.id}`, '/jobs/{jobid}/vertices/{vertexid}', 'vertex');
      expect(details.subtasks.every((s: any) => s.status === 'FINISHED' && s['end-time'] > 0)).toBe(true);
    }
  });
});
