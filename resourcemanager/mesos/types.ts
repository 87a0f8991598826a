/**
 * TypeScript shapes of the Mesos v1 messages ebbflow uses, in Mesos' JSON form
 * (snake_case keys, enum names, base64 bytes). Repeated fields the master left
 * empty are absent, so every array is optional. The wire descriptors live in
 * proto/mesos/.
 */
export interface ID { value: string }
export interface Scalar { value: number }
export interface Range { begin: number; end: number }
export interface Label { key: string; value?: string }
export interface Labels { labels?: Label[] }

export interface Resource {
  name: string;
  type: 'SCALAR' | 'RANGES' | 'SET';
  scalar?: Scalar;
  ranges?: { range?: Range[] };
  set?: { item?: string[] };
  role?: string;
  allocation_info?: { role?: string };
  reservation?: { principal?: string; labels?: Labels };
  reservations?: { type?: 'STATIC' | 'DYNAMIC'; role?: string; principal?: string; labels?: Labels }[];
  disk?: Record<string, unknown>;
  revocable?: Record<string, never>;
  shared?: Record<string, never>;
  provider_id?: ID;
}

export interface Attribute {
  name: string;
  type: 'SCALAR' | 'RANGES' | 'SET' | 'TEXT';
  scalar?: Scalar;
  ranges?: { range?: Range[] };
  set?: { item?: string[] };
  text?: { value: string };
}

export interface Offer {
  id: ID;
  framework_id: ID;
  agent_id: ID;
  hostname: string;
  url?: { scheme: string; address: { hostname?: string; ip?: string; port: number }; path?: string };
  resources?: Resource[];
  attributes?: Attribute[];
  executor_ids?: ID[];
  allocation_info?: { role?: string };
}

export type TaskState =
  | 'TASK_STAGING' | 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_KILLING' | 'TASK_FINISHED' | 'TASK_FAILED'
  | 'TASK_KILLED' | 'TASK_ERROR' | 'TASK_LOST' | 'TASK_DROPPED' | 'TASK_UNREACHABLE' | 'TASK_GONE'
  | 'TASK_GONE_BY_OPERATOR' | 'TASK_UNKNOWN';

/** Mesos' terminal states (resources freed, task removed after acknowledgement). */
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR',
]);

export interface TaskStatus {
  task_id: ID;
  state: TaskState;
  source?: 'SOURCE_MASTER' | 'SOURCE_AGENT' | 'SOURCE_EXECUTOR';
  reason?: string;
  message?: string;
  agent_id?: ID;
  executor_id?: ID;
  timestamp?: number;
  /** base64 of 16 bytes; present only when the update must be acknowledged. */
  uuid?: string;
  healthy?: boolean;
  data?: string;
  container_status?: { network_infos?: { ip_addresses?: { ip_address?: string }[] }[]; executor_pid?: number };
  unreachable_time?: { nanoseconds: number };
}

export interface CommandInfo {
  uris?: { value: string; executable?: boolean; extract?: boolean; cache?: boolean; output_file?: string }[];
  environment?: { variables?: { name: string; value?: string }[] };
  value?: string;
  shell?: boolean;
  arguments?: string[];
  user?: string;
}

export interface TaskInfo {
  name: string;
  task_id: ID;
  agent_id: ID;
  resources?: Resource[];
  command?: CommandInfo;
  container?: { type: 'DOCKER' | 'MESOS'; mesos?: { image?: { type: 'APPC' | 'DOCKER'; docker?: { name: string } } }; docker?: { image: string; network?: string } };
  kill_policy?: { grace_period?: { nanoseconds: number } };
  labels?: Labels;
}

export interface FrameworkInfo {
  user: string;
  name: string;
  id?: ID;
  failover_timeout?: number;
  checkpoint?: boolean;
  role?: string;
  roles?: string[];
  hostname?: string;
  principal?: string;
  webui_url?: string;
  capabilities?: { type: string }[];
  labels?: Labels;
}

export type CallTypeName =
  | 'SUBSCRIBE' | 'TEARDOWN' | 'ACCEPT' | 'DECLINE' | 'REVIVE' | 'KILL' | 'SHUTDOWN' | 'ACKNOWLEDGE' | 'RECONCILE'
  | 'MESSAGE' | 'REQUEST' | 'SUPPRESS' | 'ACCEPT_INVERSE_OFFERS' | 'DECLINE_INVERSE_OFFERS'
  | 'ACKNOWLEDGE_OPERATION_STATUS' | 'RECONCILE_OPERATIONS' | 'UPDATE_FRAMEWORK' | 'UNKNOWN';

export interface Call {
  framework_id?: ID;
  type?: CallTypeName;
  subscribe?: { framework_info: FrameworkInfo; suppressed_roles?: string[] };
  accept?: { offer_ids?: ID[]; operations?: { type?: string; launch?: { task_infos?: TaskInfo[] } }[]; filters?: { refuse_seconds?: number } };
  decline?: { offer_ids?: ID[]; filters?: { refuse_seconds?: number } };
  revive?: { roles?: string[] };
  suppress?: { roles?: string[] };
  kill?: { task_id: ID; agent_id?: ID; kill_policy?: { grace_period?: { nanoseconds: number } } };
  shutdown?: { executor_id: ID; agent_id: ID };
  acknowledge?: { agent_id: ID; task_id: ID; uuid: string };
  reconcile?: { tasks?: { task_id: ID; agent_id?: ID }[] };
  message?: { agent_id: ID; executor_id: ID; data: string };
  request?: { requests?: { agent_id?: ID; resources?: Resource[] }[] };
  accept_inverse_offers?: { inverse_offer_ids?: ID[] };
  decline_inverse_offers?: { inverse_offer_ids?: ID[] };
  acknowledge_operation_status?: Record<string, unknown>;
  reconcile_operations?: Record<string, unknown>;
  update_framework?: { framework_info: FrameworkInfo; suppressed_roles?: string[] };
}

export type Event =
  | { type: 'SUBSCRIBED'; subscribed: { framework_id: ID; heartbeat_interval_seconds?: number; master_info?: Record<string, unknown> } }
  | { type: 'OFFERS'; offers: { offers?: Offer[] } }
  | { type: 'INVERSE_OFFERS'; inverse_offers: { inverse_offers?: { id: ID }[] } }
  | { type: 'RESCIND'; rescind: { offer_id: ID } }
  | { type: 'RESCIND_INVERSE_OFFER'; rescind_inverse_offer: { inverse_offer_id: ID } }
  | { type: 'UPDATE'; update: { status: TaskStatus } }
  | { type: 'UPDATE_OPERATION_STATUS'; update_operation_status: { status: Record<string, unknown> } }
  | { type: 'MESSAGE'; message: { agent_id: ID; executor_id: ID; data: string } }
  | { type: 'FAILURE'; failure: { agent_id?: ID; executor_id?: ID; status?: number } }
  | { type: 'ERROR'; error: { message: string } }
  | { type: 'HEARTBEAT' }
  | { type: 'UNKNOWN' };
