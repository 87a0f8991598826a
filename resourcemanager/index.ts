/** ResourceManager, the driver seam, and the resource providers (local child processes, Mesos) with their registry. */
export { ResourceManager } from './resource-manager.js';
export type { ResourceManagerOptions, RecoverableWorkers, WorkerRecoveryOptions } from './resource-manager.js';
export type { ResourceManagerDriver, DriverEventHandler, ResourceProfile, WorkerSpec } from './driver.js';
export { LocalProcessDriver } from './local/index.js';
export type { LocalProcessDriverOptions } from './local/index.js';
export type { ResourceProvider, ProviderDriver, ProviderDriverContext, ProviderJobSettings } from './provider.js';
export { RESOURCE_PROVIDERS, resourceProvider, providerKeyOptions, withProviderDispatcherOptions } from './providers.js';
export { ResourceWaitTimeoutError, WorkerStartError } from './errors.js';
export { launchSecrets, sslFlags, SSL_KEY_PASSWORD_ENV, WORKER_SECRET_ENV } from './launch-secrets.js';
export type { LaunchSecrets } from './launch-secrets.js';
