/**
 * The dispatcher: owns the bundle store, the job registry, the submission
 * queue and the job-process supervisor, and serves them over REST (api/).
 * It never loads user code: bundles are only stored and unpacked here.
 */
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LeaderElection } from '../ha/index.js';
import { maskingLogOptions, maskUrl, secretsOf } from '../config/index.js';
import { CapacityReservations, JobLeaseStore, JobRegistry, type FencedWriteError, type RegistryFence } from '../metadata/index.js';
import { BundleStore } from './bundle-store.js';
import { BundleFetchingLauncher } from './bundle-fetching-launcher.js';
import { RemoteBundles } from './bundle-remote.js';
import { CapacityService } from './capacity.js';
import { compileDispatcherOptions, dispatcherConfiguration, type CompiledDispatcherOptions, type DispatcherOptions } from './dispatcher-options.js';
import type { DispatcherGateway, LeadershipView } from './dispatcher-gateway.js';
import { createGateway } from './gateway.js';
import { ForkJobProcessLauncher, jobLogDir } from './job-process-launcher.js';
import { readS3Settings } from '../jobmaster/job-config.js';
import { joinS3 } from '../runtime/checkpoint/s3-location.js';
import { S3Storage } from '../runtime/checkpoint/s3-storage.js';
import { JobRetention } from './job-retention.js';
import { RecentLog } from './recent-log.js';
import { JobRecovery } from './job-recovery.js';
import { JobSupervisor } from './job-supervisor.js';
import { SubmissionQueue } from './submission-queue.js';

export class Dispatcher {
  readonly options: CompiledDispatcherOptions;
  readonly log: Logger;
  /** The last lines of its log (absent when its logger was given to it). */
  readonly recentLog: RecentLog | undefined;
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
  recovery: JobRecovery;
  readonly startedAt = Date.now();
  /** The use cases the REST API calls. */
  readonly gateway: DispatcherGateway;
  /** This dispatcher's id among several (HA): host, pid and a random part. */
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  /** HA only (`high-availability.type: redis`): the leader election; started once the REST API listens. */
  election: LeaderElection | undefined;
  /** HA: this dispatcher's writes refused because it no longer led (its epoch had lost the lease). */
  fencedWrites = 0;

  /** HA: what its writes are fenced with (metadata/fence.ts): `<epoch>/<id>` while it leads, else ''. */
  private fenceToken(): string {
    const epoch = this.election?.epoch;
    return epoch === undefined ? '' : `${epoch}/${this.election!.id}`;
  }
  /** The advertised REST URL (set when the API listens). */
  url = '';
  /** Leader-only work starts and stops in order (a quick loss after a gain waits for the start to finish). */
  private leadership: Promise<void> = Promise.resolve();
  private readonly electionRedis: Redis | undefined;
  private readonly fenceKey: string;

  constructor(opts: DispatcherOptions = {}, logger?: Logger) {
    this.options = compileDispatcherOptions(opts);
    const o = this.options;
    // Every line is masked: the Redis password, the REST token and secret provider defaults never reach the log.
    const known = [...secretsOf({ ...o.defaultConfiguration, ...o.providerDefaults, redisUrl: o.redisUrl }), ...(o.token ? [o.token] : [])];
    if (logger) this.log = logger;
    else {
      // Standard output, and the last lines in memory for GET /jobmanager/log (both get the masked lines).
      this.recentLog = new RecentLog();
      const streams = o.logLevel === 'silent' ? [] : [{ stream: pino.destination(1), level: o.logLevel }, { stream: this.recentLog, level: o.logLevel }];
      this.log = pino({ level: o.logLevel, base: { role: 'dispatcher' }, ...maskingLogOptions(known) }, pino.multistream(streams));
    }
    // commandTimeout: a Redis that hangs (stopped, partitioned) fails requests with 503 instead of holding them.
    this.redis = new Redis(o.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 2000, commandTimeout: 3000 });
    this.redis.on('error', (err) => this.log.debug({ err: err.message }, 'redis connection problem'));
    const ha = o.haType === 'redis';
    this.fenceKey = `${o.keyPrefix}ha:${o.haClusterId}:leader`;
    // HA: every write to job state is fenced with the epoch this dispatcher leads with ('' while it does not: refused).
    const fence: RegistryFence | undefined = ha ? {
      key: this.fenceKey,
      epoch: () => this.fenceToken(),
      onFenced: (err: FencedWriteError) => {
        this.fencedWrites++;
        this.log.error({ code: err.code, key: err.key, epoch: err.epoch }, `fenced write refused: ${err.message}`);
      },
    } : undefined;
    if (ha) {
      // Its own connection, failing fast: a renew that hangs must not outlast the renew deadline.
      this.electionRedis = new Redis(o.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 2000, commandTimeout: Math.max(100, Math.floor(o.haRenewDeadlineMs / 2)) });
      this.electionRedis.on('error', (err) => this.log.debug({ err: err.message, connection: 'leader election' }, 'redis connection problem'));
    }
    this.registry = new JobRegistry(this.redis, o.keyPrefix, fence);
    this.capacity = new CapacityService(new CapacityReservations(this.redis, o.keyPrefix, fence), o, this.log);
    // HA storage on S3: the bundles' shared copy is there (reached with -D s3.* or the AWS_* environment),
    // <dataDir>/jars is this dispatcher's cache of it.
    const remote = o.haStorage ? new RemoteBundles(new S3Storage(readS3Settings(dispatcherConfiguration(o))), joinS3(o.haStorage, 'jars')) : undefined;
    this.bundles = new BundleStore({ dir: join(o.dataDir, 'jars'), maxBytes: o.maxUploadBytes, maxCount: o.maxJars, maxTotalBytes: o.maxJarBytesTotal, shared: ha && !remote, remote });
    this.supervisor = new JobSupervisor({
      registry: this.registry, redisUrl: o.redisUrl, keyPrefix: o.keyPrefix, dataDir: o.dataDir,
      slotsPerTaskManager: o.slotsPerTaskManager, taskManagerMemoryMb: o.taskManagerMemoryMb, localMaxTaskManagers: o.localMaxTaskManagers, logger: this.log,
      resourceManager: o.resourceManager, providerDefaults: o.providerDefaults, defaultConfiguration: o.defaultConfiguration,
      planningTimeoutMs: o.planningTimeoutMs, cancelGraceMs: o.cancelGraceMs, maxTaskManagersPerJob: o.maxTaskManagersPerJob,
      maxTaskManagers: o.maxTaskManagers, jobProcessRestarts: o.jobProcessRestarts,
      leases: new JobLeaseStore(this.redis, o.keyPrefix), jobProcessLeaseMs: o.jobProcessLeaseMs,
      launcher: remote ? new BundleFetchingLauncher(new ForkJobProcessLauncher(o.dataDir, this.log), this.bundles) : undefined,
      fencedLaunch: ha ? { fenceKey: this.fenceKey, epoch: () => this.fenceToken() } : undefined,
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
    this.recovery = this.newRecovery();
    this.gateway = createGateway({ ...this, leadership: () => this.leadershipView() });
  }

  private newRecovery(): JobRecovery {
    return new JobRecovery({ registry: this.registry, supervisor: this.supervisor, submissions: this.submissions, log: this.log });
  }

  /** Who leads, as GET /cluster/leader shows it. */
  leadershipView(): LeadershipView {
    const o = this.options;
    if (!this.election) return { highAvailability: 'none', self: { id: this.id, url: this.url, leader: true }, leader: { id: this.id, url: this.url, epoch: 0 }, writes: 'local', fencedWrites: 0 };
    const leader = this.election.leader();
    return {
      highAvailability: 'redis', self: { id: this.id, url: this.url, leader: this.election.isLeader() }, leader: leader ?? null,
      writes: this.election.isLeader() ? 'local' : o.haWriteForwarding, fencedWrites: this.fencedWrites,
    };
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
      // jobs that ended or are unknown can be dropped (a crash never leaks capacity for good). With HA
      // another dispatcher may be serving a run right now: only a leader reconciles, on election.
      if (this.options.haType !== 'redis') await this.capacity.reconcile(await this.registry.list(), this.log);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, `Redis at ${maskUrl(this.options.redisUrl)} is not reachable yet; the API answers 503 until it is, and the jobs are adopted then`);
    }
    // ioredis reconnects by itself; each time it is ready again (after start without Redis, or an outage) the recovery runs again.
    this.redis.on('ready', () => void this.recovery.run());
    if (this.options.haType === 'redis') {
      // Leader-only work waits for the election (startElection, once the REST API listens).
      this.supervisor.relinquish();
      this.recovery.close();
      return;
    }
    if (connected) await this.recovery.run();
    this.submissions.startWorker();
    this.retention.start();
  }

  /**
   * HA: campaigns for leadership, advertising `url`. On election the leader-only work starts: adoption
   * of the running jobs and the submissions never queued, the submission worker, retention; on losing
   * it (at once, on its own clock) they stop, and the jobs' processes are left to the new leader.
   */
  async startElection(url: string): Promise<void> {
    this.url = url;
    if (this.options.haType !== 'redis' || !this.electionRedis) return;
    const o = this.options;
    await this.electionRedis.connect().catch((err: Error) => this.log.warn({ err: err.message }, 'Redis is not reachable for the leader election yet; campaigning once it is'));
    this.election = new LeaderElection({
      redis: this.electionRedis, keyPrefix: `${o.keyPrefix}ha:${o.haClusterId}:`, id: this.id, url,
      leaseMs: o.haLeaseDurationMs, renewDeadlineMs: o.haRenewDeadlineMs, retryPeriodMs: o.haRetryPeriodMs, log: this.log,
      onElected: (epoch) => this.inTurn(() => this.lead(epoch)),
      onDeposed: (epoch) => this.inTurn(() => this.standBy(epoch)),
    });
    this.election.start();
  }

  /** Runs a leadership change after the ones before it; a failure is logged, and the next change still runs. */
  private inTurn(change: () => Promise<void>): void {
    this.leadership = this.leadership.then(change).catch((err: Error) => this.log.error({ err }, 'a change of leadership failed half-way'));
  }

  private async lead(epoch: number): Promise<void> {
    if (this.election?.epoch !== epoch) return; // lost again meanwhile: the standBy queued after this one runs
    this.supervisor.lead();
    this.recovery = this.newRecovery();
    try {
      await this.capacity.reconcile(await this.registry.list(), this.log);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not reconcile the TaskManager reservations on becoming leader');
    }
    await this.recovery.run();
    if (this.election?.epoch !== epoch) return;
    this.submissions.startWorker();
    this.retention.stop();
    this.retention.start();
    this.log.info({ epoch }, 'leading: adopted the running jobs, taking submissions');
  }

  private async standBy(epoch: number): Promise<void> {
    this.supervisor.relinquish();
    this.recovery.close();
    await this.retention.stop();
    await this.submissions.stopWorker();
    this.log.warn({ epoch }, 'standing by: stopped taking submissions and supervising jobs (the new leader adopts them)');
  }

  async close(): Promise<void> {
    await this.election?.close();
    await this.leadership;
    this.recovery.close();
    await this.retention.stop();
    await this.submissions.close();
    // HA: the jobs belong to the cluster, not to this dispatcher: the next leader adopts them.
    await this.supervisor.close(this.options.cancelJobsOnClose && !this.election);
    this.electionRedis?.disconnect();
    this.redis.disconnect();
  }
}
