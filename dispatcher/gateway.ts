/** The DispatcherGateway of one dispatcher, composed of its jar, job, submission and operation use cases. */
import type { Logger } from 'pino';
import { JOB_OPTIONS, readKey } from '../config/index.js';
import { DEFAULT_STORAGE_TIMEOUT_MS } from '../runtime/checkpoint/storage-deadline.js';
import { readS3Settings } from '../jobmaster/job-config.js';
import type { JobRegistry } from '../metadata/index.js';
import { AutoscalerService } from './autoscaler-service.js';
import type { BundleStore } from './bundle-store.js';
import type { CapacityService } from './capacity.js';
import { dispatcherConfiguration, type CompiledDispatcherOptions } from './dispatcher-options.js';
import type { DispatcherGateway, LeadershipView } from './dispatcher-gateway.js';
import { DISPATCHER_LOG_NAME, type RecentLog } from './recent-log.js';
import { NotFound } from './errors.js';
import { DashboardService } from './dashboard-service.js';
import { JarService } from './jar-service.js';
import { submitJob } from './job-submission.js';
import { JobService } from './job-service.js';
import type { JobSupervisor } from './job-supervisor.js';
import { OperationService } from './operation-service.js';
import { RescaleHistoryService } from './rescale-history.js';
import { SavepointDisposalService } from './savepoint-disposal.js';
import { allowedStateDirs } from './storage-targets.js';
import type { SubmissionQueue } from './submission-queue.js';

/** What the use cases run on. */
export interface GatewayParts {
  registry: JobRegistry;
  bundles: BundleStore;
  supervisor: Pick<JobSupervisor, 'isRunning' | 'cancel'>;
  submissions: Pick<SubmissionQueue, 'submit' | 'withdraw' | 'counts'>;
  options: CompiledDispatcherOptions;
  capacity: CapacityService;
  log: Logger;
  /** Who leads (HA); absent: this dispatcher alone. */
  leadership?: () => LeadershipView;
  /** The dispatcher's recent log lines; absent when its logger was given to it (tests). */
  recentLog?: RecentLog | undefined;
}

export function createGateway(p: GatewayParts): DispatcherGateway {
  const o = p.options;
  const jars = new JarService(p.bundles, { maxBytes: o.maxUploadBytes, maxConcurrent: o.maxConcurrentUploads }, p.registry);
  const jobs = new JobService(p.registry, p.supervisor, p.submissions, p.log);
  const dash = new DashboardService(p.registry, jobs, p.bundles, o);
  const ops = new OperationService(p.registry, jobs, { max: o.maxTaskManagersPerJob, slots: o.slotsPerTaskManager }, p.capacity, allowedStateDirs(o));
  const rescales = new RescaleHistoryService(p.registry, jobs, o);
  const autoscaler = new AutoscalerService(p.registry, jobs, o);
  // Disposals run here with the dispatcher-wide storage deadline (-D ebbflow.storage.timeout) and S3 settings (-D s3.*).
  const storageTimeoutMs = readKey(dispatcherConfiguration(o), JOB_OPTIONS.storageTimeout) ?? DEFAULT_STORAGE_TIMEOUT_MS;
  const disposals = new SavepointDisposalService(allowedStateDirs(o), storageTimeoutMs, p.log.child({ component: 'savepoint-disposal' }), readS3Settings(dispatcherConfiguration(o)));
  return {
    uploadLimits: jars.uploadLimits,
    listJars: () => jars.listJars(),
    reserveUpload: () => jars.reserveUpload(),
    storeJar: (name, content) => jars.storeJar(name, content),
    discardJar: (id) => jars.discardJar(id),
    deleteJar: (id) => jars.deleteJar(id),
    submitJob: (jarId, req, refusal) => submitJob(p, jarId, req, refusal),
    cancelJob: (id) => jobs.cancelJob(id),
    getJob: (id) => jobs.getJob(id),
    listJobs: () => jobs.listJobs(),
    checkpointStats: (id) => jobs.checkpointStats(id),
    jobMetrics: (id) => jobs.jobMetrics(id),
    vertex: (id, vertexId) => jobs.vertex(id, vertexId),
    taskManagers: () => jobs.taskManagers(),
    leadership: () => p.leadership?.() ?? { highAvailability: 'none', self: { id: '', url: '', leader: true }, leader: null, writes: 'local', fencedWrites: 0 },
    dispatcherStatus: async () => ({ submissions: await p.submissions.counts(), uploadsInProgress: jars.uploadsInProgress }),
    taskManager: (id) => dash.taskManager(id),
    taskManagerLogs: (id) => dash.taskManagerLogs(id),
    taskManagerLog: (id, name, lines) => dash.taskManagerLog(id, name, lines),
    jobManagerLog: (id, lines) => dash.jobManagerLog(id, lines),
    dispatcherLogs: () => (p.recentLog ? [{ name: DISPATCHER_LOG_NAME, size: p.recentLog.size, mtime: p.recentLog.lastWrite }] : []),
    dispatcherLog: (name, lines) => {
      if (!p.recentLog || (name !== undefined && name !== DISPATCHER_LOG_NAME)) {
        throw new NotFound(p.recentLog ? `There is no log file ${JSON.stringify(name)}` : 'This dispatcher keeps no log of its own (its logger was given to it)');
      }
      return p.recentLog.text(lines);
    },
    jobConfiguration: (id) => dash.jobConfiguration(id),
    dispatcherConfiguration: () => dash.dispatcherConfiguration(),
    planJar: (jarId, req) => dash.planJar(jarId, req),
    triggerSavepoint: (id, req, refusal) => ops.triggerSavepoint(id, req, refusal),
    stopWithSavepoint: (id, req, refusal) => ops.stopWithSavepoint(id, req, refusal),
    savepointStatus: (id, trigger) => ops.savepointStatus(id, trigger),
    triggerCheckpoint: (id, req, refusal) => ops.triggerCheckpoint(id, req, refusal),
    checkpointStatus: (id, trigger) => ops.checkpointStatus(id, trigger),
    disposeSavepoint: async (path, trigger) => disposals.dispose(path, trigger),
    disposalStatus: async (trigger) => disposals.status(trigger),
    rescale: (id, n, refusal) => ops.rescale(id, n, refusal),
    rescaleStatus: (id, trigger) => ops.rescaleStatus(id, trigger),
    resourceRequirements: (id) => ops.resourceRequirements(id),
    setResourceRequirements: (id, body, problems) => ops.setResourceRequirements(id, body, problems),
    rescaleHistory: (id) => rescales.history(id),
    rescaleDetails: (id, rescaleId) => rescales.details(id, rescaleId),
    autoscaler: (id) => autoscaler.state(id),
    setAutoscaler: (id, body, refusal) => autoscaler.change(id, body, refusal),
    autoscalerChangeStatus: (id, trigger) => autoscaler.changeStatus(id, trigger),
  };
}
