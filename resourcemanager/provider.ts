/**
 * The resource-provider seam: what a provider of TaskManagers (local processes,
 * Mesos, a Kubernetes one later) gives ebbflow. A provider declares the
 * configuration keys it reads and checks them, creates the ResourceManager
 * driver of a job (with whatever must run beside it, e.g. Mesos's artifact
 * server), and cleans up after a job process that died for good. Providers are
 * registered in providers.ts; nothing outside a provider's folder knows its keys.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { OptionDecl } from '../config/index.js';
import type { ResourceManagerDriver } from './driver.js';

/** What every provider may read about a job. */
export interface ProviderJobSettings {
  jobId: string;
  /**
   * The job's configuration map: dispatcher-wide defaults (provider flags given as defaults of their
   * keys, then `-D`) under the job's own keys.
   */
  configuration: Record<string, unknown>;
  /** Slots per TaskManager. */
  slotsPerTaskManager: number;
  /** Heap cap per TaskManager in MB. */
  taskManagerMemoryMb: number;
  /** Prefix of the Redis keys of this ebbflow installation. */
  keyPrefix: string;
  redis: Redis;
  logger: Logger;
}

/** What a provider needs to create the driver of a job (in the job process). */
export interface ProviderDriverContext extends ProviderJobSettings {
  /** Logs of the job go to <dataDir>/logs/<jobId>/. */
  dataDir: string;
  /** The job's bundle (a provider that runs TaskManagers elsewhere serves it to them). */
  bundlePath: string;
  /** TaskManagers this provider may run at once for the job (the local machine's capacity); 0 = unlimited. */
  localCapacity: number;
}

/** A job's driver, and how to stop what the provider started beside it. */
export interface ProviderDriver {
  driver: ResourceManagerDriver;
  /** Stops what `createDriver` started besides the driver (the driver itself is terminated by its ResourceManager). */
  close(): Promise<void>;
}

/** A resource provider; register one in providers.ts. */
export interface ResourceProvider {
  /** The name `--resource-manager` / EBBFLOW_RESOURCE_MANAGER selects it by. */
  readonly name: string;
  /** The configuration keys it reads (shown in the docs; keys of every registered provider are known keys). */
  readonly options: readonly OptionDecl[];
  /**
   * Dispatcher options (flag, env var) that give some of its keys a dispatcher-wide default, by property
   * name; each names its key in `configKey`. The dispatcher's flags, `--help` and the README's dispatcher
   * table include them; a job's key and `-D` win over them.
   */
  readonly dispatcherOptions?: Readonly<Record<string, OptionDecl>>;
  /**
   * Checks the values of its keys in a configuration map (throws a ConfigError naming the key). Runs at
   * submission, whatever provider the dispatcher uses, so a setting needed only to run (e.g. a master) may be missing.
   */
  validate(configuration: Record<string, unknown>): void;
  /** Checks at dispatcher start that the dispatcher-wide configuration lets jobs run (e.g. a master is named). */
  checkRunnable(configuration: Record<string, unknown>): void;
  /** Creates the driver of a job (in its job process). */
  createDriver(ctx: ProviderDriverContext): Promise<ProviderDriver>;
  /** Releases what a job whose process died for good still holds at the provider (in the dispatcher; runs no user code). */
  cleanupAfterDeadJobProcess(ctx: ProviderJobSettings): Promise<void>;
}
