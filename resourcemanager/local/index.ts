/** The local resource provider: TaskManagers as child processes of the job process. */
export { localProvider } from './local-provider.js';
export { LocalProcessDriver, taskManagerArgs } from './local-process-driver.js';
export type { LocalProcessDriverOptions } from './local-process-driver.js';
