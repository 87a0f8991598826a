/** JobMaster: plans a job, schedules it into slots and follows its executions. */
export { JobMaster } from './job-master.js';
export { ExecutionGraph } from './execution-graph.js';
export type { Execution } from './execution-graph.js';
export { compileJobSpec } from './job-spec.js';
export type { JobSpec, CompiledJobSpec } from './job-spec.js';
