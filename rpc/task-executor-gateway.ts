/**
 * The JobMaster's handle on one TaskManager (Flink's TaskExecutorGateway): one
 * method per command the JobMaster sends. `RpcTaskExecutorGateway` encodes
 * them as `Envelope`s on the TaskManager's RPC connection; tests use an
 * in-memory implementation. Every send reports whether the TaskManager was
 * still there.
 */
import Long from 'long';
import type { ebbflow } from '../proto/generated/rpc.js';
import type { EnvelopeProps, RpcConnection } from './rpc-connection.js';
import type { JobMasterId } from './fencing.js';
import type { SendResult } from './send-result.js';

/** Commands from the JobMaster to one TaskManager. */
export interface TaskExecutorGateway {
  readonly resourceId: string;
  /** Runs one subtask in a slot. */
  deploy(task: ebbflow.rpc.DeployTask.$Properties): SendResult;
  /** Cancels one execution. */
  cancel(executionId: string): SendResult;
  /** Asks a source execution to inject a checkpoint barrier. */
  triggerCheckpoint(trigger: ebbflow.rpc.TriggerCheckpoint.$Properties): SendResult;
  /** A checkpoint completed: sinks may publish its output. */
  notifyCheckpointComplete(checkpointId: number): SendResult;
  /** The configuration an execution switches to at a rescale barrier. */
  prepareRescale(prepare: ebbflow.rpc.PrepareRescale.$Properties): SendResult;
  /** An old subtask a gainer loads from wrote its part of the rescale checkpoint. */
  rescaleStateReady(ready: ebbflow.rpc.RescaleStateReady.$Properties): SendResult;
  /** Watermark alignment: the sources of `group` read only while their watermark is at most `maxAllowedWatermark`. */
  alignWatermarks(group: string, maxAllowedWatermark: number, slowestExecutionId: string): SendResult;
  /** Answers the TaskManager's heartbeat. */
  heartbeat(timestamp: number): SendResult;
  /** Tells the TaskManager to stop every task and exit (a release or the job's end). */
  release(reason: string): SendResult;
  /** Drops the connection at once (the TaskManager is considered lost). */
  disconnect(): void;
}

/** A TaskExecutorGateway over the TaskManager's RPC connection; every envelope carries the JobMaster's id. */
export class RpcTaskExecutorGateway implements TaskExecutorGateway {
  constructor(readonly resourceId: string, private readonly rpc: RpcConnection, private readonly jobMasterId: JobMasterId) {}

  deploy(task: ebbflow.rpc.DeployTask.$Properties): SendResult { return this.send({ deploy: task }); }
  cancel(executionId: string): SendResult { return this.send({ cancel: { executionId } }); }
  triggerCheckpoint(trigger: ebbflow.rpc.TriggerCheckpoint.$Properties): SendResult { return this.send({ triggerCheckpoint: trigger }); }
  notifyCheckpointComplete(checkpointId: number): SendResult { return this.send({ checkpointComplete: { checkpointId } }); }
  prepareRescale(prepare: ebbflow.rpc.PrepareRescale.$Properties): SendResult { return this.send({ prepareRescale: prepare }); }
  rescaleStateReady(ready: ebbflow.rpc.RescaleStateReady.$Properties): SendResult { return this.send({ rescaleStateReady: ready }); }
  alignWatermarks(group: string, maxAllowedWatermark: number, slowestExecutionId: string): SendResult { return this.send({ alignWatermarks: { group, maxAllowedWatermark, slowestExecutionId } }); }
  heartbeat(timestamp: number): SendResult { return this.send({ heartbeat: { timestamp: Long.fromNumber(timestamp) } }); }
  release(reason: string): SendResult { return this.send({ shutdown: { reason } }); }
  disconnect(): void { this.rpc.destroy(); }

  /** The answer to the TaskManager's registration (accepted or not). */
  respondToRegistration(response: ebbflow.rpc.RegistrationResponse.$Properties): SendResult { return this.send({ registered: response }); }

  protected send(msg: EnvelopeProps): SendResult {
    return this.rpc.send({ ...msg, fencingToken: this.jobMasterId }) ? 'sent' : 'gone';
  }
}

/** The gateway of a TaskManager that is not registered (any more): every send reports `gone`. */
export class GoneTaskExecutorGateway implements TaskExecutorGateway {
  constructor(readonly resourceId: string) {}
  deploy(): SendResult { return 'gone'; }
  cancel(): SendResult { return 'gone'; }
  triggerCheckpoint(): SendResult { return 'gone'; }
  notifyCheckpointComplete(): SendResult { return 'gone'; }
  prepareRescale(): SendResult { return 'gone'; }
  rescaleStateReady(): SendResult { return 'gone'; }
  alignWatermarks(): SendResult { return 'gone'; }
  heartbeat(): SendResult { return 'gone'; }
  release(): SendResult { return 'gone'; }
  disconnect(): void {}
}
