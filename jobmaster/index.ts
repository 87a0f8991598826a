/** JobMaster: plans a job, schedules it into slots and follows its executions. */
export { JobMaster } from './job-master.js';
export type { JobMasterServices, JobStatusStore, OperationQueue, OperationExecutor } from './job-master-services.js';
export { RpcTaskManagerEndpoint } from './task-manager-endpoint.js';
export type { TaskManagerEndpoint } from './task-manager-endpoint.js';
export { RescaleFailedAfterSwitch } from './errors.js';
export { ExecutionGraph } from './execution-graph.js';
export type { Execution } from './execution-graph.js';
export { compileJobSpec } from './job-spec.js';
export type { JobSpec, CompiledJobSpec } from './job-spec.js';
