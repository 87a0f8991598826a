/** Internal RPC between job processes and TaskManagers (messages in proto/rpc.proto) and the gateways over it. */
export { RpcConnection, Envelope, ExecutionState, Partitioning, toNumber, DEFAULT_RPC_MAX_FRAME_BYTES, RPC_FRAME_SETTING } from './rpc-connection.js';
export type { EnvelopeProps, RpcConnectionOptions } from './rpc-connection.js';
export type { SendResult } from './send-result.js';
export { newJobMasterId, newRegistrationId, taskManagerToken } from './fencing.js';
export type { JobMasterId } from './fencing.js';
export { RpcTaskExecutorGateway, GoneTaskExecutorGateway } from './task-executor-gateway.js';
export type { TaskExecutorGateway } from './task-executor-gateway.js';
export { RpcJobMasterGateway, EnvelopeJobMasterGateway, reportedExecution, taskManagerMessage } from './job-master-gateway.js';
export type { HeartbeatMetrics, JobMasterGateway, TaskManagerMessage, TaskManagerMessageKind } from './job-master-gateway.js';
export { WorkerSecrets } from './worker-secrets.js';
