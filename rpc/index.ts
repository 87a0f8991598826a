/** Internal RPC between job processes and TaskManagers (messages in proto/rpc.proto). */
export { RpcConnection, Envelope, ExecutionState, Partitioning, toNumber } from './rpc-connection.js';
export type { EnvelopeProps } from './rpc-connection.js';
