/**
 * The Mesos resource provider: its keys (mesos-options.ts), the driver of a
 * job with the artifact server that hands TaskManagers the runtime and the
 * bundle, and the framework TEARDOWN after a job process died for good.
 */
import { compileOption, parseAddressSettings } from '../../config/index.js';
import { distFile } from '../../runtime/install-paths.js';
import type { ProviderJobSettings, ResourceProvider } from '../provider.js';
import { ArtifactServer } from './artifact-server.js';
import { reapFramework } from './framework-reaper.js';
import { jobFrameworkInfo, parseMesosSettings, validateMesosKeys, type MesosDefaults } from './mesos-config.js';
import { MesosDriver } from './mesos-driver.js';
import { MESOS_DISPATCHER_OPTIONS, MESOS_OPTIONS, MESOS_TUNING } from './mesos-options.js';
import { RedisWorkerStore } from './worker-store.js';

const defaults = (s: ProviderJobSettings): MesosDefaults => ({ slots: s.slotsPerTaskManager, heapMb: s.taskManagerMemoryMb });

/** Runs TaskManagers as Mesos tasks of a framework per job. */
export const mesosProvider: ResourceProvider = {
  name: 'mesos',
  options: Object.values(MESOS_OPTIONS),
  dispatcherOptions: MESOS_DISPATCHER_OPTIONS,
  validate: validateMesosKeys,
  checkRunnable(configuration) {
    validateMesosKeys(configuration);
    parseMesosSettings(configuration, { slots: 1, heapMb: 512 });
  },
  async createDriver(ctx) {
    const addr = parseAddressSettings(ctx.configuration);
    const m = parseMesosSettings(ctx.configuration, defaults(ctx));
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
  },
  async cleanupAfterDeadJobProcess(s) {
    await reapFramework({ redis: s.redis, keyPrefix: s.keyPrefix, jobId: s.jobId, configuration: s.configuration, logger: s.logger, defaults: defaults(s) });
  },
};

/** Faster reconnects for tests and the demo (EBBFLOW_MESOS_BACKOFF_MS); production keeps the 1 s–15 s backoff. */
function testTuning(): { backoffInitialMs?: number; backoffMaxMs?: number } {
  const v = compileOption(MESOS_TUNING.backoff, undefined);
  return v ? { backoffInitialMs: v, backoffMaxMs: v * 8 } : {};
}
