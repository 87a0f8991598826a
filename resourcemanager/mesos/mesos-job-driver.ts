/**
 * The Mesos driver of one job, with the artifact server that hands its
 * TaskManagers the runtime and the bundle. Loaded by the Mesos provider only
 * when a job process creates its driver: it pulls in the wire codec
 * (protobufjs), which the CLI's client commands and the registry need not load.
 */
import { compileOption, parseAddressSettings } from '../../config/index.js';
import { distFile } from '../../runtime/install-paths.js';
import type { ProviderDriver, ProviderDriverContext } from '../provider.js';
import { ArtifactServer } from './artifact-server.js';
import { jobFrameworkInfo, parseMesosSettings, type MesosDefaults } from './mesos-config.js';
import { MesosDriver } from './mesos-driver.js';
import { MESOS_TUNING } from './mesos-options.js';
import { RedisWorkerStore } from './worker-store.js';

/** Starts the job's artifact server and creates its MesosDriver. */
export async function createMesosJobDriver(ctx: ProviderDriverContext, defaults: MesosDefaults): Promise<ProviderDriver> {
  const addr = parseAddressSettings(ctx.configuration);
  const m = parseMesosSettings(ctx.configuration, defaults);
  const artifacts = new ArtifactServer({
    bindHost: addr.bindHost, advertiseHost: addr.rpcAddress, port: m.artifactServerPort,
    runtimeFile: distFile('artifacts/ebbflow-taskmanager.mjs'), bundlePath: ctx.bundlePath,
  });
  await artifacts.start();
  ctx.logger.info({ runtime: artifacts.runtime.uri.replace(/\/[^/]+\/([^/]+)$/, '/<token>/$1'), masters: m.masters }, 'Mesos resource manager: artifact server started');
  const driver = new MesosDriver({
    jobId: ctx.jobId, masters: m.masters, contentType: m.contentType,
    framework: jobFrameworkInfo(m, ctx.jobId), secret: m.secret,
    need: { cpus: m.cpus, memMb: m.memMb, diskMb: m.diskMb }, constraints: m.constraints, fitness: m.fitness,
    launch: {
      taskManagerCmd: m.taskManagerCmd, bootstrapCmd: m.bootstrapCmd, containerImage: m.containerImage, extraUris: m.uris,
      runtime: artifacts.runtime, bundle: artifacts.bundle, bundleInSandbox: artifacts.bundleInSandbox,
      dataBindHost: addr.taskManagerBindHost ?? '0.0.0.0', killGraceMs: 5000,
    },
    declineRefuseSeconds: m.declineRefuseSeconds,
    store: new RedisWorkerStore(ctx.redis, ctx.keyPrefix, ctx.jobId),
    logger: ctx.logger,
    ...testTuning(),
  });
  return { driver, close: () => artifacts.stop() };
}

/** Faster reconnects for tests and the demo (EBBFLOW_MESOS_BACKOFF_MS); production keeps the 1 s–15 s backoff. */
function testTuning(): { backoffInitialMs?: number; backoffMaxMs?: number } {
  const v = compileOption(MESOS_TUNING.backoff, undefined);
  return v ? { backoffInitialMs: v, backoffMaxMs: v * 8 } : {};
}
