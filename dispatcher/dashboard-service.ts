/**
 * Use cases behind Flink's web dashboard pages that are not plain job lookups: one TaskManager with
 * its metrics and logs, the job process's log, the job's compiled configuration, the dispatcher's
 * own configuration, and a bundle's plan (computed in a child process, ./jar-planner.ts).
 */
import { DISPATCHER_OPTIONS, isSensitiveKey, MASK, maskUrl } from '../config/index.js';
import { compileJobConfig, type JobConfig } from '../jobmaster/job-config.js';
import type { JobRecord, JobRegistry, TaskManagerRecord } from '../metadata/index.js';
import type { JobGraph } from '../runtime/job-graph.js';
import type { BundleStore } from './bundle-store.js';
import { dispatcherConfiguration, type CompiledDispatcherOptions } from './dispatcher-options.js';
import { InvalidRequest, JarNotFound, NotFound, Unavailable } from './errors.js';
import { planInChild } from './jar-planner.js';
import { checkParallelism } from './job-submission.js';
import { jobLogDir } from './job-process-launcher.js';
import type { JobService } from './job-service.js';
import { listLogs, readLog, type LogContent, type LogFile } from './log-files.js';

/** A TaskManager with the metrics of its job's latest snapshot (undefined before there is one). */
export interface TaskManagerView { tm: TaskManagerRecord; metrics: Record<string, number> | undefined }

/** A plan request (Flink's JarPlanRequestBody, merged with its query parameters by the route). */
export interface JarPlanRequest { entryClass?: string | undefined; programArgs: string[]; parallelism?: number | string | undefined }

/** A bundle's job graph with each vertex's largest parallelism. */
export interface JarPlan { graph: JobGraph; caps: Record<string, number> }

export const PLAN_TIMEOUT_MS = 30_000;
/** Planning processes at once: each runs a bundle's code, so a client cannot start an unbounded number. */
export const MAX_CONCURRENT_PLANS = 2;

export class DashboardService {
  private planning = 0;

  constructor(
    private readonly registry: JobRegistry,
    private readonly jobs: JobService,
    private readonly bundles: BundleStore,
    private readonly options: CompiledDispatcherOptions,
  ) {}

  async taskManager(id: string): Promise<TaskManagerView> {
    const tm = (await this.jobs.taskManagers()).find((t) => t.id === id);
    if (!tm) throw new NotFound(`There is no running TaskManager ${id}`);
    const snapshot = await this.registry.getMetrics(tm.jobId);
    return { tm, metrics: snapshot?.taskManagers[id] };
  }

  /** The TaskManager's files in its job's log directory (`<resource id>.log`, and rotated ones beside it). */
  async taskManagerLogs(id: string): Promise<LogFile[]> {
    const { tm } = await this.taskManager(id);
    return listLogs(jobLogDir(this.options.dataDir, tm.jobId), (n) => n.startsWith(`${id}.`));
  }

  /** One of the TaskManager's log files (its main log without a name), whole or its last `lines` lines. */
  async taskManagerLog(id: string, name: string | undefined, lines?: number): Promise<LogContent> {
    const { tm } = await this.taskManager(id);
    const dir = jobLogDir(this.options.dataDir, tm.jobId);
    return readLog(dir, await listLogs(dir, (n) => n.startsWith(`${id}.`)), name ?? `${id}.log`, lines);
  }

  /** The job process's log (`jobmaster.log`), also of a job that ended (until retention removes it). */
  async jobManagerLog(jobId: string, lines?: number): Promise<LogContent> {
    const job = await this.jobs.getJob(jobId);
    const dir = jobLogDir(this.options.dataDir, job.id);
    return readLog(dir, await listLogs(dir, (n) => n === 'jobmaster.log'), 'jobmaster.log', lines);
  }

  /** The job's configuration as its job process compiles it (defaults filled in). */
  async jobConfiguration(jobId: string): Promise<{ job: JobRecord; config: JobConfig }> {
    const job = await this.jobs.getJob(jobId);
    // Checked at submission; a record from an older version with a key it no longer takes reads as the defaults.
    let config: JobConfig;
    try {
      config = compileJobConfig({ ...dispatcherConfiguration(this.options), ...job.configuration });
    } catch {
      config = compileJobConfig(dispatcherConfiguration(this.options));
    }
    return { job, config };
  }

  /**
   * The dispatcher's options by key, then the configuration every job starts from (provider flags,
   * `-D`), secrets masked (Flink's rule on the key; URL user-info).
   */
  dispatcherConfiguration(): { key: string; value: string }[] {
    const o = this.options as unknown as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'object' ? JSON.stringify(v) : String(v));
    const entry = (key: string, v: unknown) => ({ key, value: isSensitiveKey(key) ? MASK : maskUrl(text(v)) });
    const own = Object.entries(DISPATCHER_OPTIONS).filter(([name]) => o[name] !== undefined && name !== 'defaultConfiguration').map(([name, d]) => entry(d.key, o[name]));
    return [...own, ...Object.entries(dispatcherConfiguration(this.options)).map(([k, v]) => entry(k, v))];
  }

  async planJar(jarId: string, req: JarPlanRequest): Promise<JarPlan> {
    const jar = await this.bundles.get(jarId);
    if (!jar) throw new JarNotFound(jarId);
    const parallelism = checkParallelism(req.parallelism);
    if (req.programArgs.some((a) => typeof a !== 'string')) throw new InvalidRequest('programArgsList must be a list of strings');
    if (this.planning >= MAX_CONCURRENT_PLANS) throw new Unavailable(`${MAX_CONCURRENT_PLANS} job plans are being computed; try again shortly`, 1);
    this.planning++;
    try {
      // HA storage on S3: a bundle uploaded at another dispatcher is fetched into this one's cache first.
      const { bundlePath } = await this.bundles.materialise(jar);
      return await planInChild({ bundlePath, entryClass: req.entryClass || undefined, programArgs: req.programArgs, parallelism, defaultName: jar.name }, PLAN_TIMEOUT_MS);
    } finally {
      this.planning--;
    }
  }
}
