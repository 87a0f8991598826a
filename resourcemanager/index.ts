/** ResourceManager and its drivers (local child processes; Mesos later). */
export { ResourceManager } from './resource-manager.js';
export type { ResourceManagerOptions } from './resource-manager.js';
export type { ResourceManagerDriver, DriverEventHandler, ResourceProfile, WorkerSpec } from './driver.js';
export { LocalProcessDriver } from './local/local-process-driver.js';
export type { LocalProcessDriverOptions } from './local/local-process-driver.js';
