/** TaskManager: the worker process that runs subtasks in slots. */
export { TaskExecutor } from './task-executor.js';
export type { TaskExecutorOptions } from './task-executor.js';
