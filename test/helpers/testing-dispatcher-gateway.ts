/**
 * An in-memory DispatcherGateway for route tests: no Redis, no processes. Jobs and jars are plain
 * records the test puts in; every call is recorded, except one the route hands a request refusal
 * (thrown, like the real use cases, after the jar or job lookup: see `refused`); `fail` makes the
 * next call of a method throw, so a test can check how the REST layer answers each of the
 * dispatcher's errors.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pino } from 'pino';
import { buildApp } from '../../api/index.js';
import {
  JarNotFound, JobNotFound, NotFound, type DispatcherGateway, type DispatcherStatus, type LeadershipView, type DisposalStatus, type OperationView, type RescaleDetailsView, type RescaleHistoryView, type RescaleSettings, type RequestRefusal, type SavepointRequest, type ShapeProblem, type SubmitJobRequest, type VertexView,
} from '../../dispatcher/index.js';
import type { StoredBundle } from '../../dispatcher/index.js';
import type { JarPlan, JarPlanRequest, TaskManagerView } from '../../dispatcher/dashboard-service.js';
import type { LogFile } from '../../dispatcher/log-files.js';
import { compileJobConfig, type JobConfig } from '../../jobmaster/job-config.js';
import type { AutoscalerInfo, JobMetricsSnapshot, JobRecord, OperationRecord, RescaleCounts, RescaleRecord, ResourceRequirements, TaskManagerRecord } from '../../metadata/index.js';
import type { FastifyInstance } from 'fastify';

/** One recorded call: the method and its arguments. */
export interface GatewayCall { method: string; args: unknown[] }

export class TestingDispatcherGateway implements DispatcherGateway {
  readonly uploadLimits = { maxBytes: 1024 * 1024, maxConcurrent: 2 };
  readonly calls: GatewayCall[] = [];
  /** Methods called with a request refusal (thrown after the lookup; not in `calls`). */
  readonly refused: string[] = [];
  readonly jobs = new Map<string, JobRecord>();
  readonly jars = new Map<string, StoredBundle>();
  readonly operations = new Map<string, OperationRecord>();
  readonly taskManagerRecords: TaskManagerRecord[] = [];
  private readonly failures = new Map<string, Error>();

  /** The next call of `method` throws `err`. */
  fail(method: keyof DispatcherGateway, err: Error): void {
    this.failures.set(method, err);
  }

  /** The calls of one method, in order. */
  callsOf(method: keyof DispatcherGateway): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** A job record in `state` with default fields, stored and returned. */
  addJob(fields: Partial<JobRecord> = {}): JobRecord {
    const now = Date.now();
    const rec: JobRecord = {
      id: randomBytes(16).toString('hex'), name: 'test-job', state: 'RUNNING', jarId: 'jar', bundlePath: '/nonexistent', entryClass: '', programArgs: [],
      parallelism: 1, maxParallelism: 128, submitTime: now, startTime: now, endTime: -1, lastModification: now, configuration: {}, savepointPath: '',
      timestamps: {}, failureCause: '', vertices: [], pid: 0, exceptions: [], resourceRequirements: {}, subtasks: {},
      ...fields,
    } as JobRecord;
    this.jobs.set(rec.id, rec);
    return rec;
  }

  private call(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const err = this.failures.get(method);
    if (err) {
      this.failures.delete(method);
      throw err;
    }
  }

  /** Like the use cases: the refusal is thrown once the jar or job was found. */
  private refuse(method: string, refusal: RequestRefusal): void {
    if (!refusal) return;
    this.refused.push(method);
    throw refusal;
  }

  private job(jobId: string): JobRecord {
    const rec = this.jobs.get(jobId);
    if (!rec) throw new JobNotFound(jobId);
    return rec;
  }

  private newOperation(jobId: string, kind: OperationRecord['kind'], id = randomBytes(16).toString('hex')): string {
    this.operations.set(id, {
      id, jobId, kind, status: 'IN_PROGRESS', targetDirectory: '', cancelJob: false, drain: false, location: '', failureCause: '', createdAt: Date.now(),
      parallelism: 0, requirements: {}, configuration: {}, result: null, progress: null,
    } as OperationRecord);
    return id;
  }

  private operation(jobId: string, triggerId: string, kinds: string[]): OperationView {
    const job = this.job(jobId);
    const operation = this.operations.get(triggerId);
    if (!operation || operation.jobId !== jobId || !kinds.includes(operation.kind)) throw new NotFound(`No operation ${triggerId} for job ${jobId}`);
    return { job, operation };
  }

  async listJars(): Promise<StoredBundle[]> { this.call('listJars'); return [...this.jars.values()]; }
  reserveUpload(): () => void { this.call('reserveUpload'); return () => {}; }
  async storeJar(fileName: string, content: NodeJS.ReadableStream): Promise<StoredBundle> {
    this.call('storeJar', fileName);
    for await (const _chunk of content as Readable) { /* drain */ }
    const jar: StoredBundle = { id: `${randomBytes(16).toString('hex')}_${fileName}`, name: fileName, uploaded: Date.now(), size: 0, kind: 'module', bundlePath: '/nonexistent', entry: undefined };
    this.jars.set(jar.id, jar);
    return jar;
  }
  async discardJar(jarId: string): Promise<boolean> { this.call('discardJar', jarId); return this.jars.delete(jarId); }
  async deleteJar(jarId: string): Promise<void> { this.call('deleteJar', jarId); if (!this.jars.delete(jarId)) throw new JarNotFound(jarId); }

  async submitJob(jarId: string, request: SubmitJobRequest, refusal?: RequestRefusal): Promise<{ jobId: string }> {
    if (!this.jars.has(jarId)) throw new JarNotFound(jarId);
    this.refuse('submitJob', refusal);
    this.call('submitJob', jarId, request);
    return { jobId: this.addJob({ jarId, ...(request.jobId ? { id: request.jobId } : {}) }).id };
  }
  async cancelJob(jobId: string): Promise<void> { this.call('cancelJob', jobId); this.job(jobId).state = 'CANCELLING'; }
  async getJob(jobId: string): Promise<JobRecord> { this.call('getJob', jobId); return this.job(jobId); }
  async listJobs(): Promise<JobRecord[]> { this.call('listJobs'); return [...this.jobs.values()]; }
  async checkpointStats(jobId: string): Promise<unknown> { this.call('checkpointStats', jobId); this.job(jobId); return undefined; }
  /** Metrics snapshots a test publishes, by job id. */
  readonly metrics = new Map<string, JobMetricsSnapshot>();
  async jobMetrics(jobId: string): Promise<{ job: JobRecord; metrics: JobMetricsSnapshot | undefined }> { this.call('jobMetrics', jobId); return { job: this.job(jobId), metrics: this.metrics.get(jobId) }; }
  /** What dispatcherStatus answers; a test may change it. */
  status: DispatcherStatus = { submissions: { waiting: 0, active: 0, delayed: 0, failed: 0 }, uploadsInProgress: 0 };
  async dispatcherStatus(): Promise<DispatcherStatus> { this.call('dispatcherStatus'); return structuredClone(this.status); }
  /** What leadership answers; a test may change it. */
  leadershipView: LeadershipView = { highAvailability: 'none', self: { id: 'testing', url: '', leader: true }, leader: null, writes: 'local', fencedWrites: 0 };
  leadership(): LeadershipView { this.call('leadership'); return structuredClone(this.leadershipView); }
  async vertex(jobId: string, vertexId: string): Promise<VertexView> {
    this.call('vertex', jobId, vertexId);
    const job = this.job(jobId);
    const vertex = job.vertices.find((v) => v.id === vertexId);
    if (!vertex) throw new NotFound(`Job ${jobId} has no vertex ${vertexId}`);
    return { job, vertex, taskManagers: this.taskManagerRecords.filter((t) => t.jobId === jobId) };
  }
  async taskManagers(): Promise<TaskManagerRecord[]> { this.call('taskManagers'); return this.taskManagerRecords; }

  /** Log files a test puts in, by TaskManager id (or `jobmaster:<job id>`): name → content. */
  readonly logs = new Map<string, Record<string, string>>();
  async taskManager(id: string): Promise<TaskManagerView> {
    this.call('taskManager', id);
    const tm = this.taskManagerRecords.find((t) => t.id === id);
    if (!tm) throw new NotFound(`There is no running TaskManager ${id}`);
    return { tm, metrics: this.metrics.get(tm.jobId)?.taskManagers[id] };
  }
  async taskManagerLogs(id: string): Promise<LogFile[]> {
    this.call('taskManagerLogs', id);
    return Object.entries(this.logs.get(id) ?? {}).map(([name, text]) => ({ name, size: text.length, mtime: 0 }));
  }
  async taskManagerLog(id: string, name: string | undefined, lines?: number): Promise<string> {
    this.call('taskManagerLog', id, name, lines);
    return this.logText(this.logs.get(id), name ?? `${id}.log`, lines);
  }
  async jobManagerLog(jobId: string, lines?: number): Promise<string> {
    this.call('jobManagerLog', jobId, lines);
    this.job(jobId);
    return this.logText(this.logs.get(`jobmaster:${jobId}`), 'jobmaster.log', lines);
  }
  private logText(files: Record<string, string> | undefined, name: string, lines?: number): string {
    const text = files?.[name];
    if (text === undefined) throw new NotFound(`There is no log file ${JSON.stringify(name)}`);
    return lines === undefined ? text : text.split('\n').filter(Boolean).slice(-lines).map((l) => `${l}\n`).join('');
  }
  async jobConfiguration(jobId: string): Promise<{ job: JobRecord; config: JobConfig }> {
    this.call('jobConfiguration', jobId);
    return { job: this.job(jobId), config: compileJobConfig(this.job(jobId).configuration) };
  }
  dispatcherLogs(): LogFile[] { this.call('dispatcherLogs'); return [{ name: 'dispatcher.log', size: 12, mtime: 1 }]; }
  dispatcherLog(name: string | undefined, lines?: number): string {
    this.call('dispatcherLog', name, lines);
    if (name !== undefined && name !== 'dispatcher.log') throw new NotFound(`There is no log file ${JSON.stringify(name)}`);
    return 'line 1\nline 2\n';
  }
  dispatcherConfiguration(): { key: string; value: string }[] { this.call('dispatcherConfiguration'); return [{ key: 'port', value: '8081' }, { key: 'token', value: '******' }]; }
  /** What planJar answers, by jar id. */
  readonly plans = new Map<string, JarPlan>();
  async planJar(jarId: string, request: JarPlanRequest): Promise<JarPlan> {
    if (!this.jars.has(jarId)) throw new JarNotFound(jarId);
    this.call('planJar', jarId, request);
    const plan = this.plans.get(jarId);
    if (!plan) throw new NotFound(`no plan for ${jarId} in this test`);
    return plan;
  }

  async triggerSavepoint(jobId: string, request: SavepointRequest, refusal?: RequestRefusal): Promise<string> {
    this.job(jobId);
    this.refuse('triggerSavepoint', refusal);
    this.call('triggerSavepoint', jobId, request);
    return this.newOperation(jobId, 'savepoint', request.triggerId);
  }
  async stopWithSavepoint(jobId: string, request: SavepointRequest, refusal?: RequestRefusal): Promise<string> {
    this.job(jobId);
    this.refuse('stopWithSavepoint', refusal);
    this.call('stopWithSavepoint', jobId, request);
    return this.newOperation(jobId, 'stop', request.triggerId);
  }
  async savepointStatus(jobId: string, triggerId: string): Promise<OperationView> { this.call('savepointStatus', jobId, triggerId); return this.operation(jobId, triggerId, ['savepoint', 'stop']); }
  async triggerCheckpoint(jobId: string, request: Pick<SavepointRequest, 'triggerId'>, refusal?: RequestRefusal): Promise<string> {
    this.job(jobId);
    this.refuse('triggerCheckpoint', refusal);
    this.call('triggerCheckpoint', jobId, request);
    return this.newOperation(jobId, 'checkpoint', request.triggerId);
  }
  async checkpointStatus(jobId: string, triggerId: string): Promise<OperationView> { this.call('checkpointStatus', jobId, triggerId); return this.operation(jobId, triggerId, ['checkpoint']); }
  /** Savepoint disposals: tests set their status by trigger id. */
  readonly disposals = new Map<string, DisposalStatus>();
  async disposeSavepoint(path: string, triggerId?: string): Promise<string> {
    this.call('disposeSavepoint', path, triggerId);
    const id = triggerId ?? randomBytes(16).toString('hex');
    if (!this.disposals.has(id)) this.disposals.set(id, { status: 'IN_PROGRESS' });
    return id;
  }
  async disposalStatus(triggerId: string): Promise<DisposalStatus> {
    this.call('disposalStatus', triggerId);
    const d = this.disposals.get(triggerId);
    if (!d) throw new NotFound(`No savepoint disposal ${triggerId}`);
    return d;
  }
  async rescale(jobId: string, parallelism: number, refusal?: RequestRefusal): Promise<string> {
    this.job(jobId);
    this.refuse('rescale', refusal);
    this.call('rescale', jobId, parallelism);
    return this.newOperation(jobId, 'rescale');
  }
  async rescaleStatus(jobId: string, triggerId: string): Promise<OperationView> { this.call('rescaleStatus', jobId, triggerId); return this.operation(jobId, triggerId, ['rescale']); }
  async resourceRequirements(jobId: string): Promise<ResourceRequirements> { this.call('resourceRequirements', jobId); return this.job(jobId).resourceRequirements; }
  async setResourceRequirements(jobId: string, body: unknown, shapeProblems: ShapeProblem[]): Promise<string> {
    this.call('setResourceRequirements', jobId, body, shapeProblems);
    this.job(jobId);
    return this.newOperation(jobId, 'rescale');
  }

  /** Rescale histories a test records, by job id (newest first), with the counts of ended ones. */
  readonly rescaleHistories = new Map<string, { rescales: RescaleRecord[]; counts: RescaleCounts }>();
  rescaleSettings: RescaleSettings = { historySize: 20, resourceWaitTimeoutMs: 60_000, resourceStabilizationTimeoutMs: 10_000 };
  async rescaleHistory(jobId: string): Promise<RescaleHistoryView> {
    this.call('rescaleHistory', jobId);
    const h = this.rescaleHistories.get(jobId) ?? { rescales: [], counts: { COMPLETED: 0, FAILED: 0, IGNORED: 0 } };
    return { job: this.job(jobId), ...structuredClone(h), settings: this.rescaleSettings };
  }
  async rescaleDetails(jobId: string, rescaleId: string): Promise<RescaleDetailsView> {
    this.call('rescaleDetails', jobId, rescaleId);
    const job = this.job(jobId);
    const rescale = this.rescaleHistories.get(jobId)?.rescales.find((r) => r.id === rescaleId);
    if (!rescale) throw new NotFound(`Job ${jobId} has no rescale ${rescaleId} in its history`);
    return { job, rescale: structuredClone(rescale) };
  }

  /** Autoscaler states a test publishes, by job id. */
  readonly autoscalers = new Map<string, AutoscalerInfo>();
  async autoscaler(jobId: string): Promise<AutoscalerInfo> {
    this.call('autoscaler', jobId);
    this.job(jobId);
    const a = this.autoscalers.get(jobId);
    if (!a) throw new NotFound(`no autoscaler state for ${jobId} in the testing gateway`);
    return structuredClone(a);
  }
  async setAutoscaler(jobId: string, body: unknown, refusal?: RequestRefusal): Promise<{ requestId: string; options: AutoscalerInfo['options'] }> {
    this.job(jobId);
    this.refuse('setAutoscaler', refusal);
    this.call('setAutoscaler', jobId, body);
    return { requestId: this.newOperation(jobId, 'autoscaler'), options: {} };
  }
  async autoscalerChangeStatus(jobId: string, triggerId: string): Promise<OperationView> {
    this.call('autoscalerChangeStatus', jobId, triggerId);
    return this.operation(jobId, triggerId, ['autoscaler']);
  }
}

/** The REST app on a testing gateway, for `app.inject` (nothing listens). */
export async function buildTestingApp(gw = new TestingDispatcherGateway()): Promise<{ app: FastifyInstance; gw: TestingDispatcherGateway }> {
  const app = await buildApp(gw, { host: '127.0.0.1', allowedHosts: [], requestTimeoutMs: 10_000, redisUrl: 'redis://testing', log: pino({ level: 'silent' }) });
  return { app, gw };
}
