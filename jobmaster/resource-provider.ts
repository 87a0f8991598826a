/**
 * Chooses and builds the job's ResourceManager driver: local child processes,
 * or Mesos tasks (with the artifact server that hands TaskManagers the runtime
 * and the bundle, and the worker store in Redis).
 */
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LocalProcessDriver, ResourceManager, type ResourceManagerDriver } from '../resourcemanager/index.js';
import { ArtifactServer } from '../resourcemanager/mesos/artifact-server.js';
import { jobFrameworkInfo, parseAddressSettings, parseMesosSettings } from '../resourcemanager/mesos/mesos-config.js';
import { MesosDriver } from '../resourcemanager/mesos/mesos-driver.js';
import { RedisWorkerStore } from '../resourcemanager/mesos/worker-store.js';
import { distFile } from '../runtime/install-paths.js';
import type { CompiledJobSpec } from './job-spec.js';

export type ResourceManagerFactory = (jobMasterAddress: string, retryIntervalMs: number) => ResourceManager;

export interface ResourceProvider {
  factory: ResourceManagerFactory;
  close(): Promise<void>;
}

export async function createResourceProvider(spec: CompiledJobSpec, redis: Redis, log: Logger): Promise<ResourceProvider> {
  const profile = { cpuCores: 1, memoryMb: spec.taskManagerMemoryMb, slots: spec.slotsPerTaskManager };
  const addr = parseAddressSettings(spec.configuration);
  const wrap = (driver: ResourceManagerDriver): ResourceManagerFactory => (address, retryIntervalMs) =>
    new ResourceManager(driver, { jobId: spec.jobId, jobMasterAddress: address, profile, logger: log, retryIntervalMs, maxWorkers: spec.maxTaskManagers || undefined });
  if (spec.resourceManager !== 'mesos') {
    const driver = new LocalProcessDriver({
      logDir: join(spec.dataDir, 'logs', spec.jobId), maxWorkers: spec.localMaxTaskManagers || undefined, dataBindHost: addr.taskManagerBindHost,
    });
    return { factory: wrap(driver), close: async () => {} };
  }
  const m = parseMesosSettings(spec.configuration, { master: spec.mesosMaster, contentType: spec.mesosContentType, slots: spec.slotsPerTaskManager, heapMb: spec.taskManagerMemoryMb });
  const artifacts = new ArtifactServer({ bindHost: addr.bindHost, advertiseHost: addr.rpcAddress, port: m.artifactServerPort, runtimeFile: distFile('artifacts/ebbflow-taskmanager.mjs'), bundlePath: spec.bundlePath });
  await artifacts.start();
  log.info({ runtime: artifacts.runtime.uri.replace(/\/[^/]+\/([^/]+)$/, '/<token>/$1'), masters: m.masters }, 'Mesos resource manager: artifact server started');
  const driver = new MesosDriver({
    jobId: spec.jobId, masters: m.masters, contentType: m.contentType,
    framework: jobFrameworkInfo(m, spec.jobId), secret: m.secret,
    need: { cpus: m.cpus, memMb: m.memMb, diskMb: m.diskMb }, constraints: m.constraints, fitness: m.fitness,
    launch: {
      taskManagerCmd: m.taskManagerCmd, bootstrapCmd: m.bootstrapCmd, containerImage: m.containerImage, extraUris: m.uris,
      runtime: artifacts.runtime, bundle: artifacts.bundle, bundleInSandbox: artifacts.bundleInSandbox,
      dataBindHost: addr.taskManagerBindHost ?? '0.0.0.0', killGraceMs: 5000,
    },
    declineRefuseSeconds: m.declineRefuseSeconds,
    store: new RedisWorkerStore(redis, spec.keyPrefix, spec.jobId),
    logger: log,
    ...testTuning(),
  });
  return { factory: wrap(driver), close: () => artifacts.stop() };
}

/** Faster reconnects for tests and the demo (EBBFLOW_MESOS_BACKOFF_MS); production keeps the 1 s–15 s backoff. */
function testTuning(): { backoffInitialMs?: number; backoffMaxMs?: number } {
  const v = Number(process.env.EBBFLOW_MESOS_BACKOFF_MS);
  return Number.isFinite(v) && v > 0 ? { backoffInitialMs: v, backoffMaxMs: v * 8 } : {};
}
