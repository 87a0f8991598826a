#!/usr/bin/env node
/**
 * Job process entry: one per job, started by the dispatcher's supervisor with
 * the job spec as JSON in the file named by EBBFLOW_JOB_SPEC_FILE. Hosts the JobMaster and the job's
 * ResourceManager (local or Mesos driver). Shows as `ebbflow-jobmaster <jobid>` in ps.
 * Cancellation arrives as an IPC message {type:'cancel'} or SIGTERM. A job process
 * started again after its predecessor died (spec.recoveryAttempt > 0) takes over the
 * TaskManagers the predecessor left (worker-recovery-file.ts, job-leadership.ts).
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { maskingLogOptions, parseAddressSettings, secretsOf } from '../config/index.js';
import { WorkerSecrets } from '../rpc/index.js';
import { CapacityReservations, JobLeaderStore, JobLeaseStore, JobRegistry } from '../metadata/index.js';
import { setStorageTimeout } from '../runtime/checkpoint/storage-deadline.js';
import { setS3Settings } from '../runtime/checkpoint/s3-settings.js';
import { describeError, UNHANDLED_REJECTION_MESSAGE } from '../runtime/errors.js';
import { planJob } from '../runtime/plan.js';
import { JobMaster } from './job-master.js';
import { EXIT_FENCED, type JobLeadership } from './job-leadership.js';
import { JobLeaseKeeper } from './job-lease.js';
import { readRecoverableWorkers, removeRecoverableWorkers, workerRecoveryFile, writeRecoverableWorkers } from './worker-recovery-file.js';
import { configurationWarnings } from './job-config.js';
import { readJobSecret } from './job-secret.js';
import { compileJobSpec, type JobSpec } from './job-spec.js';
import { OperationRunner } from './operation-runner.js';
import { createResourceProvider } from './resource-provider.js';
import { RpcTaskManagerEndpoint } from './task-manager-endpoint.js';
import { loadInternalTls, type InternalTls } from '../runtime/network/tls.js';

const specFile = process.env.EBBFLOW_JOB_SPEC_FILE;
const raw = specFile ? readFileSync(specFile, 'utf8') : process.env.EBBFLOW_JOB_SPEC;
if (!raw) {
  console.error('ebbflow-jobmaster: EBBFLOW_JOB_SPEC_FILE is not set (this process is started by the dispatcher)');
  process.exit(2);
}
const spec = compileJobSpec(JSON.parse(raw) as JobSpec);
// What this job's TaskManagers prove: the job's data secret (from the dispatcher) and one registration secret each.
const jobSecret = readJobSecret();
const workerSecrets = new WorkerSecrets();
process.title = `ebbflow-jobmaster ${spec.jobId}`;
setStorageTimeout(spec.config.storageTimeoutMs);
setS3Settings(spec.config.s3);
// The job's secret settings and arguments, and the Redis password, read as ****** in every line.
const log = pino({ base: { role: 'jobmaster', jobId: spec.jobId }, ...maskingLogOptions(secretsOf({ ...spec.configuration, redisUrl: spec.redisUrl }, spec.programArgs)) });
for (const warning of configurationWarnings(spec.configuration)) log.warn(warning);

const redis = new Redis(spec.redisUrl, { maxRetriesPerRequest: 20 });
redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection problem'));
const registry = new JobRegistry(redis, spec.keyPrefix);
const reservations = new CapacityReservations(redis, spec.keyPrefix);

// BLPOP blocks its connection: the operation queue gets one of its own.
const opsRedis = new Redis(spec.redisUrl, { maxRetriesPerRequest: null });
opsRedis.on('error', (err) => log.debug({ err: err.message }, 'operation queue connection problem'));
// The TaskManagers of the job process before this one (if it died) re-register with this one; this one's are kept for the next.
const recoveryFile = workerRecoveryFile(spec.dataDir, spec.jobId);
if (spec.recoveryAttempt === 0) removeRecoverableWorkers(recoveryFile);
const recovery = {
  previous: spec.recoveryAttempt > 0 ? readRecoverableWorkers(recoveryFile) : undefined,
  timeoutMs: spec.config.previousWorkerRecoveryTimeoutMs,
  save: (w: Parameters<typeof writeRecoverableWorkers>[1]) => {
    try {
      writeRecoverableWorkers(recoveryFile, w);
    } catch (err) {
      log.warn({ err: (err as Error).message, file: recoveryFile }, 'could not keep the TaskManagers for a later job process; after a failover new ones are started');
    }
  },
};
// The lease the leading dispatcher watches (on any host): taken now, before anything slow.
const lease = new JobLeaseKeeper(new JobLeaseStore(redis, spec.keyPrefix), spec.jobId, spec.leaseMs, () => {
  // Replaced by a newer job process: stop at once, without a write; its TaskManagers follow the newer one.
  setTimeout(() => process.exit(EXIT_FENCED), 10);
}, log);
await lease.start();
const leaders = new JobLeaderStore(redis, spec.keyPrefix);
const leadership: JobLeadership = {
  location: { redisUrl: spec.redisUrl, key: leaders.key(spec.jobId) },
  claim: (address, jobMasterId) => leaders.claim(spec.jobId, address, jobMasterId),
  current: () => leaders.read(spec.jobId),
};
let provider: Awaited<ReturnType<typeof createResourceProvider>>;
try {
  provider = await createResourceProvider(spec, redis, log, workerSecrets, recovery);
} catch (err) {
  log.fatal({ err }, 'cannot set up the resource manager');
  await registry.transition(spec.jobId, 'FAILED', { failureCause: `cannot set up the ${spec.resourceManager} resource manager: ${describeError(err)}` })
    .catch((e: Error) => log.error({ err: e.message, record: `job ${spec.jobId}` }, 'could not record FAILED'));
  process.exit(1);
}
const addr = parseAddressSettings(spec.configuration);
let tls: InternalTls | undefined;
try {
  tls = spec.config.internalSsl ? loadInternalTls(spec.config.internalSsl) : undefined;
} catch (err) {
  log.fatal({ err: (err as Error).message }, 'cannot set up internal SSL');
  await registry.transition(spec.jobId, 'FAILED', { failureCause: `cannot set up internal SSL: ${describeError(err)}` })
    .catch((e: Error) => log.error({ err: e.message, record: `job ${spec.jobId}` }, 'could not record FAILED'));
  await provider.close().catch((e: Error) => log.warn({ err: e.message }, 'closing the resource provider failed'));
  process.exit(1);
}
const jm = new JobMaster(spec, {
  registry,
  resourceManager: provider.factory,
  taskManagers: new RpcTaskManagerEndpoint(addr.bindHost, addr.rpcAddress, log, { workerSecrets, dataSecret: jobSecret, tls }),
  operations: (execute) => new OperationRunner(opsRedis, registry, spec.jobId, execute, log),
  planJob,
  leadership,
  capacity: {
    settle: (n) => reservations.settle(spec.jobId, n),
    // The autoscaler's scale-ups reserve within the dispatcher's limits, like a rescale request does in the dispatcher.
    reserve: async (wanted, least) => {
      const r = await reservations.reserve(spec.jobId, {
        wanted, least, mode: 'replace', perJob: spec.maxTaskManagers || Number.MAX_SAFE_INTEGER, total: spec.totalTaskManagers || Number.MAX_SAFE_INTEGER,
      });
      return r.kind === 'reserved' || r.kind === 'kept' ? r.reserved : 0;
    },
  },
}, log);

process.on('message', (m: unknown) => {
  if (m && typeof m === 'object' && (m as { type?: string }).type === 'cancel') jm.cancel();
});
// A rejection nobody handles is a bug (a promise nobody awaits, or a failure that goes unreported):
// reported loudly, with a fixed message tests look for, without taking the job down.
process.on('unhandledRejection', (err) => log.error({ err }, UNHANDLED_REJECTION_MESSAGE));
process.on('SIGTERM', () => jm.cancel());
process.on('SIGINT', () => jm.cancel());
// The dispatcher going away must not take the job down (HA takes over later).
process.on('disconnect', () => log.warn('lost the IPC channel to the dispatcher; the job keeps running'));

let code = 1;
try {
  code = await jm.run();
} catch (err) {
  log.fatal({ err }, 'job master crashed');
  await registry.transition(spec.jobId, 'FAILED', { failureCause: `job master crashed: ${describeError(err)}` })
    .catch((e: Error) => log.error({ err: e.message, record: `job ${spec.jobId}` }, 'could not record FAILED'));
}
// A stale job process leaves the TaskManagers and their file to the newer one.
if (code !== EXIT_FENCED) removeRecoverableWorkers(recoveryFile);
await provider.close().catch((err: Error) => log.warn({ err: err.message }, 'closing the resource provider failed'));
if (code !== EXIT_FENCED) await lease.release();
else lease.stop();
await redis.quit().catch((err: Error) => log.warn({ err: err.message }, 'closing the Redis connection failed'));
setTimeout(() => process.exit(code), 50);
