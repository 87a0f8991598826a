/**
 * The dispatcher: owns the bundle store, the job registry, the submission
 * queue and the job-process supervisor, and serves them over REST (api/).
 * It never loads user code: bundles are only stored and unpacked here.
 */
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { maskingLogOptions, maskUrl, secretsOf } from '../config/index.js';
import { CapacityReservations, JobRegistry } from '../metadata/index.js';
import { BundleStore } from './bundle-store.js';
import { CapacityService } from './capacity.js';
import { compileDispatcherOptions, type CompiledDispatcherOptions, type DispatcherOptions } from './dispatcher-options.js';
import type { DispatcherGateway } from './dispatcher-gateway.js';
import { createGateway } from './gateway.js';
import { jobLogDir } from './job-process-launcher.js';
import { JobRetention } from './job-retention.js';
import { JobRecovery } from './job-recovery.js';
import { JobSupervisor } from './job-supervisor.js';
import { SubmissionQueue } from './submission-queue.js';

export class Dispatcher {
  readonly options: CompiledDispatcherOptions;
  readonly log: Logger;
  /** Fails fast while Redis is unreachable, so requests can answer 503. */
  readonly redis: Redis;
  readonly registry: JobRegistry;
  readonly bundles: BundleStore;
  readonly supervisor: JobSupervisor;
  readonly submissions: SubmissionQueue;
  /** TaskManagers reserved per job against the per-job and dispatcher-wide limits. */
  readonly capacity: CapacityService;
  /** Removes ended jobs after jobstore.expiration-time and beyond jobstore.max-capacity. */
  readonly retention: JobRetention;
  /** Adoption of running jobs and the sweep of submissions never queued, whenever Redis becomes reachable. */
  readonly recovery: JobRecovery;
  readonly startedAt = Date.now();
  /** The use cases the REST API calls. */
  readonly gateway: DispatcherGateway;

  constructor(opts: DispatcherOptions = {}, logger?: Logger) {
    this.options = compileDispatcherOptions(opts);
    const o = this.options;
    // Every line is masked: the Redis password, the REST token and secret provider defaults never reach the log.
    const known = [...secretsOf({ ...o.defaultConfiguration, ...o.providerDefaults, redisUrl: o.redisUrl }), ...(o.token ? [o.token] : [])];
    this.log = logger ?? pino({ level: o.logLevel, base: { role: 'dispatcher' }, ...maskingLogOptions(known) });
    // commandTimeout: a Redis that hangs (stopped, partitioned) fails requests with 503 instead of holding them.
    this.redis = new Redis(o.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 2000, commandTimeout: 3000 });
    this.redis.on('error', (err) => this.log.debug({ err: err.message }, 'redis connection problem'));
    this.registry = new JobRegistry(this.redis, o.keyPrefix);
    this.capacity = new CapacityService(new CapacityReservations(this.redis, o.keyPrefix), o, this.log);
    this.bundles = new BundleStore({ dir: join(o.dataDir, 'jars'), maxBytes: o.maxUploadBytes, maxCount: o.maxJars, maxTotalBytes: o.maxJarBytesTotal });
    this.supervisor = new JobSupervisor({
      registry: this.registry, redisUrl: o.redisUrl, keyPrefix: o.keyPrefix, dataDir: o.dataDir,
      slotsPerTaskManager: o.slotsPerTaskManager, taskManagerMemoryMb: o.taskManagerMemoryMb, localMaxTaskManagers: o.localMaxTaskManagers, logger: this.log,
      resourceManager: o.resourceManager, providerDefaults: o.providerDefaults, defaultConfiguration: o.defaultConfiguration,
      planningTimeoutMs: o.planningTimeoutMs, cancelGraceMs: o.cancelGraceMs, maxTaskManagersPerJob: o.maxTaskManagersPerJob,
      maxTaskManagers: o.maxTaskManagers, jobProcessRestarts: o.jobProcessRestarts,
    });
    this.submissions = new SubmissionQueue(
      {
        // Connection errors are reported by the commands that fail (503s, the worker's retries); logged for debugging only.
        producer: new Redis(o.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 3000 })
          .on('error', (err) => this.log.debug({ err: err.message, connection: 'submission queue (producer)' }, 'redis connection problem')),
        worker: new Redis(o.redisUrl, { maxRetriesPerRequest: null })
          .on('error', (err) => this.log.debug({ err: err.message, connection: 'submission queue (worker)' }, 'redis connection problem')),
      },
      `${o.keyPrefix}bull`, this.registry, this.supervisor, this.log,
    );
    this.retention = new JobRetention(this.registry, {
      expirationMs: o.jobstoreExpirationTime * 1000, maxCapacity: o.jobstoreMaxCapacity, logDir: (id) => jobLogDir(o.dataDir, id),
      isRunning: (id) => this.supervisor.isRunning(id), logger: this.log,
    });
    this.recovery = new JobRecovery({ registry: this.registry, supervisor: this.supervisor, submissions: this.submissions, log: this.log });
    this.gateway = createGateway(this);
  }

  /**
   * Prepares storage, connects to Redis (tolerating its absence), adopts earlier jobs and queues the
   * submissions never queued (again whenever Redis becomes reachable), starts the worker.
   */
  async start(): Promise<void> {
    // Bundles, logs, job specs and (by default) checkpoints live here: private to the dispatcher's
    // user. An existing directory keeps its mode (the operator chose it); what ebbflow creates in it is 0700.
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    await this.bundles.init();
    let connected = false;
    try {
      await this.redis.connect();
      connected = true;
      // Before the API serves: no run is between its reservation and its record yet, so reservations of
      // jobs that ended or are unknown can be dropped (a crash never leaks capacity for good).
      await this.capacity.reconcile(await this.registry.list(), this.log);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, `Redis at ${maskUrl(this.options.redisUrl)} is not reachable yet; the API answers 503 until it is, and the jobs are adopted then`);
    }
    // ioredis reconnects by itself; each time it is ready again (after start without Redis, or an outage) the recovery runs again.
    this.redis.on('ready', () => void this.recovery.run());
    if (connected) await this.recovery.run();
    this.submissions.startWorker();
    this.retention.start();
  }

  async close(): Promise<void> {
    this.recovery.close();
    await this.retention.stop();
    await this.submissions.close();
    await this.supervisor.close(this.options.cancelJobsOnClose);
    this.redis.disconnect();
  }
}
