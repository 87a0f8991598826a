/** Dispatcher: bundle store, job registry, submission queue, job-process supervision, and the use cases behind DispatcherGateway. */
export { Dispatcher } from './dispatcher.js';
export { compileDispatcherOptions, dispatcherConfiguration, DISPATCHER_OPTION_TABLE, isLoopback } from './dispatcher-options.js';
export type { DispatcherOptions, CompiledDispatcherOptions } from './dispatcher-options.js';
export { BundleStore, BundleRejectedError } from './bundle-store.js';
export type { StoredBundle } from './bundle-store.js';
export { JobSupervisor } from './job-supervisor.js';
export type { JobSupervisorOptions, SupervisorRegistry, JobCleanup } from './job-supervisor.js';
export { ForkJobProcessLauncher } from './job-process-launcher.js';
export type { JobProcess, JobProcessExit, JobProcessLauncher } from './job-process-launcher.js';
export { PlanningTimeoutError, JobProcessStartError, JobProcessLostError, JobProcessRestartError } from './supervisor-errors.js';
export { SubmissionQueue } from './submission-queue.js';
export { CapacityService } from './capacity.js';
export type { CapacityLimits } from './capacity.js';
export { JobRetention, jobsToRemove } from './job-retention.js';
export type { JobRetentionOptions } from './job-retention.js';
export { allowedStateDirs, checkStateTarget } from './storage-targets.js';
export { JobRecovery } from './job-recovery.js';
export type { JobRecoveryDeps } from './job-recovery.js';
export type { DispatcherGateway, SubmitJobRequest, SavepointRequest, ShapeProblem, RequestRefusal, OperationView, VertexView, UploadLimits, DispatcherStatus, RescaleHistoryView, RescaleDetailsView, RescaleSettings, DisposalStatus, LeadershipView } from './dispatcher-gateway.js';
export { DispatcherError, InvalidRequest, CapacityExceeded, NotFound, JobNotFound, JarNotFound, JobNotInState, IdConflict, JarInUse, BundleRejected, Unavailable } from './errors.js';
// The install root (package.json, openapi.yaml, the web form's files), for the REST layer.
export { PROJECT_ROOT } from '../runtime/install-paths.js';
