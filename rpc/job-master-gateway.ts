/**
 * The TaskManager's handle on its JobMaster (Flink's JobMasterGateway): one
 * method per report a TaskManager sends. `RpcJobMasterGateway` encodes them
 * as `Envelope`s on the RPC connection. `TaskManagerMessage` is what the
 * JobMaster side receives: the reports as a discriminated union (`msg` names
 * the one that is set).
 */
import Long from 'long';
import type { ebbflow } from '../proto/generated/rpc.js';
import type { EnvelopeProps, RpcConnection } from './rpc-connection.js';
import type { SendResult } from './send-result.js';

type Props<K extends keyof EnvelopeProps> = NonNullable<EnvelopeProps[K]>;

/** What a heartbeat carries with metrics on: the running subtasks' counters and the process's resource use. */
export type HeartbeatMetrics = Pick<ebbflow.rpc.IHeartbeat, 'subtasks' | 'process'>;

/** Reports from a TaskManager to its JobMaster. */
export interface JobMasterGateway {
  /** The first message on a connection. */
  registerTaskManager(registration: Props<'register'>): SendResult;
  heartbeat(runningTasks: number, metrics?: HeartbeatMetrics): SendResult;
  /** An execution changed state (DEPLOYING, RUNNING, FINISHED, CANCELED, FAILED with its cause). */
  updateTaskExecutionState(update: Props<'taskStatus'>): SendResult;
  acknowledgeCheckpoint(ack: Props<'ackCheckpoint'>): SendResult;
  declineCheckpoint(decline: Props<'declineCheckpoint'>): SendResult;
  /** At a rescale barrier: the key groups a subtask gives away are written. */
  movedStateWritten(written: Props<'movedStateWritten'>): SendResult;
  rescalePrepared(prepared: Props<'rescalePrepared'>): SendResult;
  rescaleLoaded(loaded: Props<'rescaleLoaded'>): SendResult;
  /** A source subtask of a watermark alignment group: its current watermark. */
  reportWatermark(report: Props<'reportWatermark'>): SendResult;
  /** A source subtask caught up with its input, or fell behind again. */
  sourceCaughtUp(report: Props<'sourceCaughtUp'>): SendResult;
  /** An exactly-once sink holds output after a checkpoint that took none. */
  outputWaiting(report: Props<'outputWaiting'>): SendResult;
}

/** The reports the JobMaster routes to its components (registration and heartbeats are the pool's). */
export type TaskManagerMessageKind = 'taskStatus' | 'ackCheckpoint' | 'declineCheckpoint' | 'movedStateWritten' | 'rescalePrepared' | 'rescaleLoaded' | 'reportWatermark' | 'sourceCaughtUp' | 'outputWaiting';

/** One report from a TaskManager, `msg` naming the field that holds it. */
export type TaskManagerMessage = { [K in TaskManagerMessageKind]: { msg: K } & { [F in K]: Props<F> } }[TaskManagerMessageKind];

const KINDS: ReadonlySet<string> = new Set<TaskManagerMessageKind>(['taskStatus', 'ackCheckpoint', 'declineCheckpoint', 'movedStateWritten', 'rescalePrepared', 'rescaleLoaded', 'reportWatermark', 'sourceCaughtUp', 'outputWaiting']);

/** The report an envelope carries, if it is one the JobMaster routes. */
export function taskManagerMessage(m: ebbflow.rpc.Envelope): TaskManagerMessage | undefined {
  if (!m.msg || !KINDS.has(m.msg)) return undefined;
  const body = m[m.msg as TaskManagerMessageKind];
  return body ? ({ msg: m.msg, [m.msg]: body } as TaskManagerMessage) : undefined;
}

/** The execution a report is about (every report names one). */
export function reportedExecution(m: TaskManagerMessage): string {
  return (m as unknown as Record<string, { executionId?: string | null }>)[m.msg]?.executionId ?? '';
}

/** Every JobMasterGateway method as one envelope handed to `post`. */
export abstract class EnvelopeJobMasterGateway implements JobMasterGateway {
  registerTaskManager(registration: Props<'register'>): SendResult { return this.post({ register: registration }); }
  heartbeat(runningTasks: number, metrics?: HeartbeatMetrics): SendResult { return this.post({ heartbeat: { timestamp: Long.fromNumber(Date.now()), runningTasks, ...metrics } }); }
  updateTaskExecutionState(update: Props<'taskStatus'>): SendResult { return this.post({ taskStatus: update }); }
  acknowledgeCheckpoint(ack: Props<'ackCheckpoint'>): SendResult { return this.post({ ackCheckpoint: ack }); }
  declineCheckpoint(decline: Props<'declineCheckpoint'>): SendResult { return this.post({ declineCheckpoint: decline }); }
  movedStateWritten(written: Props<'movedStateWritten'>): SendResult { return this.post({ movedStateWritten: written }); }
  rescalePrepared(prepared: Props<'rescalePrepared'>): SendResult { return this.post({ rescalePrepared: prepared }); }
  rescaleLoaded(loaded: Props<'rescaleLoaded'>): SendResult { return this.post({ rescaleLoaded: loaded }); }
  reportWatermark(report: Props<'reportWatermark'>): SendResult { return this.post({ reportWatermark: report }); }
  sourceCaughtUp(report: Props<'sourceCaughtUp'>): SendResult { return this.post({ sourceCaughtUp: report }); }
  outputWaiting(report: Props<'outputWaiting'>): SendResult { return this.post({ outputWaiting: report }); }

  protected abstract post(msg: EnvelopeProps): SendResult;
}

/**
 * A JobMasterGateway over the TaskManager's RPC connection to its JobMaster. Once registered, every
 * report carries the registration's token (`fence`).
 */
export class RpcJobMasterGateway extends EnvelopeJobMasterGateway {
  private token = '';

  constructor(private readonly rpc: RpcConnection) { super(); }

  /** Reports from now on carry `token` (rpc/fencing.ts `taskManagerToken`). */
  fence(token: string): void { this.token = token; }

  protected post(msg: EnvelopeProps): SendResult {
    return this.rpc.send(this.token ? { ...msg, fencingToken: this.token } : msg) ? 'sent' : 'gone';
  }
}
