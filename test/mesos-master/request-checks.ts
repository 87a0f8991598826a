/**
 * The test master's checks of a scheduler call that come before any framework
 * state is looked at: call-level validation and Accept negotiation, as a
 * Mesos master does them (reasons worded like Mesos' own), and the answers to
 * RECONCILE (explicit or implicit).
 */
import { JSON_TYPE, PROTOBUF_TYPE, type ContentType } from '../../resourcemanager/mesos/codec.js';
import type { Call, TaskState, TaskStatus } from '../../resourcemanager/mesos/types.js';
import type { SimAgent } from './agent.js';
import { masterStatus, partitionAware, type FrameworkRecord } from './framework.js';

/** The sub-message each call type needs (TEARDOWN, REVIVE and SUPPRESS need none). */
const PAYLOAD: Partial<Record<string, keyof Call>> = {
  SUBSCRIBE: 'subscribe', ACCEPT: 'accept', DECLINE: 'decline', KILL: 'kill', SHUTDOWN: 'shutdown', ACKNOWLEDGE: 'acknowledge',
  RECONCILE: 'reconcile', MESSAGE: 'message', REQUEST: 'request', ACCEPT_INVERSE_OFFERS: 'accept_inverse_offers',
  DECLINE_INVERSE_OFFERS: 'decline_inverse_offers', ACKNOWLEDGE_OPERATION_STATUS: 'acknowledge_operation_status',
  RECONCILE_OPERATIONS: 'reconcile_operations', UPDATE_FRAMEWORK: 'update_framework',
};

/** Why a parsed call is invalid (400 `Failed to validate scheduler::Call: <reason>`), or undefined. */
export function validateCall(call: Call): string | undefined {
  if (!call.type) return "Expecting 'type' to be present";
  const payload = PAYLOAD[call.type];
  if (payload && call[payload] === undefined) return `Expecting '${payload}' to be present`;
  if (call.type === 'SUBSCRIBE') {
    const inner = call.subscribe!.framework_info.id?.value;
    if ((call.framework_id?.value ?? undefined) !== inner) return "'framework_id' differs from 'subscribe.framework_info.id'";
    return undefined;
  }
  if (!call.framework_id) return "Expecting 'framework_id' to be present";
  if (call.type === 'ACKNOWLEDGE' && Buffer.from(call.acknowledge!.uuid, 'base64').length !== 16) return 'Not a valid UUID';
  return undefined;
}

/** The event encoding for a SUBSCRIBE's Accept header: JSON wins when acceptable (also for a missing header), undefined → 406. */
export function negotiate(accept: string | undefined): ContentType | undefined {
  const kinds = (accept ?? '*/*').split(',').map((s) => s.split(';')[0]!.trim());
  if (kinds.some((k) => k === JSON_TYPE || k === '*/*' || k === 'application/*')) return JSON_TYPE;
  return kinds.includes(PROTOBUF_TYPE) ? PROTOBUF_TYPE : undefined;
}

/** Reconciliation answers (no uuid, REASON_RECONCILIATION): implicit for an empty list, else one per task asked about. */
export function reconciliationAnswers(f: FrameworkRecord, tasks: { task_id: { value: string }; agent_id?: { value: string } }[], agents: SimAgent[]): TaskStatus[] {
  const answer = (taskId: string, state: TaskState, message: string, agentId?: string) => masterStatus(taskId, state, 'REASON_RECONCILIATION', `Reconciliation: ${message}`, agentId);
  if (!tasks.length) {
    return [...f.tasks.values()].filter((t) => !t.terminal && t.state !== 'TASK_UNREACHABLE').map((t) => answer(t.info.task_id.value, t.statusUpdateState, 'Latest task state', t.agentId));
  }
  const pa = partitionAware(f);
  return tasks.map((q) => {
    const t = f.tasks.get(q.task_id.value);
    if (t && !t.terminal) return answer(q.task_id.value, t.statusUpdateState, 'Latest task state', t.agentId);
    const agent = q.agent_id ? agents.find((a) => a.id === q.agent_id!.value) : undefined;
    if (!pa) return answer(q.task_id.value, 'TASK_LOST', 'Task is unknown', q.agent_id?.value);
    if (agent?.active) return answer(q.task_id.value, 'TASK_GONE', 'Task is unknown to the agent', agent.id);
    if (agent) return answer(q.task_id.value, 'TASK_GONE_BY_OPERATOR', 'Task is gone', agent.id);
    return answer(q.task_id.value, 'TASK_UNKNOWN', 'Task is unknown', q.agent_id?.value);
  });
}
