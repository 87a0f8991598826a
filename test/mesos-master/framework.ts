/**
 * The test master's per-framework and per-task records, and the status-update
 * stream of a task: updates from agents carry a fresh 16-byte uuid and are
 * released one at a time; the next goes out only after the scheduler
 * acknowledges the current one, which is resent after a retry interval and at
 * once on re-subscription. Master-generated updates carry no uuid.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FrameworkInfo, Offer, TaskInfo, TaskState, TaskStatus } from '../../resourcemanager/mesos/types.js';
import type { Res } from './resources.js';

export interface OfferRecord {
  offer: Offer;
  agentId: string;
  res: Res;
}

export interface RefuseFilter {
  agentId: string;
  res: Res;
  until: number;
}

export interface TaskRecord {
  info: TaskInfo;
  frameworkId: string;
  agentId: string;
  res: Res;
  /** State of the latest update forwarded to the scheduler (reconciliation answers with it). */
  statusUpdateState: TaskState;
  /** Latest state the agent reported. */
  state: TaskState;
  queue: TaskStatus[];
  inflight?: TaskStatus;
  retryTimer?: NodeJS.Timeout;
  terminal: boolean;
}

export interface FrameworkRecord {
  id: string;
  info: FrameworkInfo;
  stream?: ServerResponse;
  streamId?: string;
  contentType?: string;
  heartbeat?: NodeJS.Timeout;
  failoverTimer?: NodeJS.Timeout;
  suppressed: boolean;
  offers: Map<string, OfferRecord>;
  filters: RefuseFilter[];
  tasks: Map<string, TaskRecord>;
  removed: boolean;
}

export function newFramework(id: string, info: FrameworkInfo): FrameworkRecord {
  return { id, info, suppressed: false, offers: new Map(), filters: [], tasks: new Map(), removed: false };
}

export function partitionAware(f: FrameworkRecord): boolean {
  return (f.info.capabilities ?? []).some((c) => c.type === 'PARTITION_AWARE');
}

export function killingStateCapable(f: FrameworkRecord): boolean {
  return (f.info.capabilities ?? []).some((c) => c.type === 'TASK_KILLING_STATE');
}

/** A reliable update from an agent or executor: it gets a uuid and joins the task's FIFO. */
export function agentStatus(task: TaskRecord, state: TaskState, extra: { reason?: string; message?: string; pid?: number } = {}): TaskStatus {
  return {
    task_id: task.info.task_id, state, source: state === 'TASK_RUNNING' || state === 'TASK_STARTING' || state === 'TASK_FINISHED' ? 'SOURCE_EXECUTOR' : 'SOURCE_AGENT',
    agent_id: { value: task.agentId }, executor_id: { value: task.info.task_id.value }, timestamp: Date.now() / 1000,
    uuid: randomBytes(16).toString('base64'),
    ...(extra.reason ? { reason: extra.reason } : {}), ...(extra.message ? { message: extra.message } : {}),
    ...(extra.pid ? { container_status: { executor_pid: extra.pid, network_infos: [{ ip_addresses: [{ ip_address: '127.0.0.1' }] }] } } : {}),
  };
}

/** An unreliable update the master makes up itself (no uuid; never acknowledged). */
export function masterStatus(taskId: string, state: TaskState, reason: string, message: string, agentId?: string): TaskStatus {
  return {
    task_id: { value: taskId }, state, source: 'SOURCE_MASTER', reason, message, timestamp: Date.now() / 1000,
    ...(agentId ? { agent_id: { value: agentId } } : {}),
  };
}
