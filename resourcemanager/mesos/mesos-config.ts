/**
 * Settings of the Mesos driver, from a job's configuration map with Flink's
 * `mesos.*` key names where Flink had one (dispatcher-wide values come in the
 * same map as defaults under the job's own). Also the address keys that make
 * the job process and TaskManagers reachable from other hosts.
 */
import type { ContentType } from './codec.js';
import type { FrameworkInfo } from './types.js';
import { parseConstraints, type Constraint, type Fitness } from './launch-coordinator.js';

export const MESOS_KEYS = [
  'mesos.master',
  'mesos.failover-timeout',
  'mesos.constraints.hard.hostattribute',
  'mesos.resourcemanager.framework.name',
  'mesos.resourcemanager.framework.role',
  'mesos.resourcemanager.framework.principal',
  'mesos.resourcemanager.framework.secret',
  'mesos.resourcemanager.framework.user',
  'mesos.resourcemanager.tasks.cpus',
  'mesos.resourcemanager.tasks.mem',
  'mesos.resourcemanager.tasks.disk',
  'mesos.resourcemanager.tasks.taskmanager-cmd',
  'mesos.resourcemanager.tasks.bootstrap-cmd',
  'mesos.resourcemanager.tasks.uris',
  'mesos.resourcemanager.tasks.container.image.name',
  'mesos.resourcemanager.tasks.placement',
  'mesos.resourcemanager.declined-offer-refuse-duration',
  'mesos.resourcemanager.artifactserver.port',
  'mesos.scheduler.content-type',
] as const;

/** Where the job process and TaskManagers listen and how others reach them (Flink's key names). */
export const ADDRESS_KEYS = ['jobmanager.rpc.address', 'jobmanager.bind-host', 'taskmanager.bind-host'] as const;

export interface MesosSettings {
  masters: string[];
  contentType: ContentType;
  frameworkName: string;
  role: string;
  principal?: string;
  secret?: string;
  user: string;
  failoverTimeoutSeconds: number;
  cpus: number;
  memMb: number;
  diskMb: number;
  constraints: Constraint[];
  fitness: Fitness;
  taskManagerCmd: string;
  bootstrapCmd?: string;
  uris: string[];
  containerImage?: string;
  declineRefuseSeconds: number;
  artifactServerPort: number;
}

export interface AddressSettings {
  /** Host TaskManagers use to reach the job process (RPC and artifacts). */
  rpcAddress: string;
  /** Address the job process binds. */
  bindHost: string;
  /** Address a TaskManager's data server binds (advertised: its agent's hostname, or 127.0.0.1 locally). */
  taskManagerBindHost: string | undefined;
}

function str(conf: Record<string, unknown>, key: string): string | undefined {
  const v = conf[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${key} must be a string, got ${JSON.stringify(v)}`);
  return String(v);
}

function num(conf: Record<string, unknown>, key: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = conf[key];
  if (v === undefined || v === null) return def;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) throw new Error(`${key} must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** Milliseconds, as a number or "5 s"/"500 ms". */
function ms(conf: Record<string, unknown>, key: string, def: number): number {
  const v = conf[key];
  if (v === undefined || v === null) return def;
  if (typeof v === 'number' && v >= 0) return v;
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$/.exec(v) : null;
  if (!m) throw new Error(`${key} must be a duration, got ${JSON.stringify(v)}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'min' ? 60000 : 1);
}

export interface MesosDefaults {
  master?: string;
  contentType?: string;
  slots: number;
  heapMb: number;
}

export function parseMesosSettings(conf: Record<string, unknown>, d: MesosDefaults): MesosSettings {
  const master = str(conf, 'mesos.master') ?? d.master;
  if (!master) throw new Error('the Mesos resource manager needs a master: --mesos-master <host:port> (env EBBFLOW_MESOS_MASTER) or mesos.master');
  const masters = master.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of masters) if (/^zk:\/\//i.test(m) || /^file:/i.test(m)) throw new Error(`mesos.master ${m}: only http(s) master addresses are supported; list every master, comma-separated`);
  const ct = str(conf, 'mesos.scheduler.content-type') ?? d.contentType ?? 'protobuf';
  const contentType = ({ protobuf: 'application/x-protobuf', json: 'application/json', 'application/x-protobuf': 'application/x-protobuf', 'application/json': 'application/json' } as Record<string, ContentType>)[ct];
  if (!contentType) throw new Error(`the Mesos content type must be protobuf or json, got ${JSON.stringify(ct)}`);
  const placement = str(conf, 'mesos.resourcemanager.tasks.placement') ?? 'binpack';
  if (placement !== 'binpack' && placement !== 'spread') throw new Error(`mesos.resourcemanager.tasks.placement must be binpack or spread, got ${JSON.stringify(placement)}`);
  const cpus = num(conf, 'mesos.resourcemanager.tasks.cpus', 0, 0, 1024);
  const memMb = num(conf, 'mesos.resourcemanager.tasks.mem', d.heapMb + 256, 32, 1 << 20);
  const role = str(conf, 'mesos.resourcemanager.framework.role') ?? '*';
  if (role !== '*' && !/^[^/*.\-][^/]*(\/[^/*.\-][^/]*)*$/.test(role)) throw new Error(`mesos.resourcemanager.framework.role ${JSON.stringify(role)} is not a valid Mesos role`);
  let constraints: Constraint[];
  try { constraints = parseConstraints(str(conf, 'mesos.constraints.hard.hostattribute')); } catch (err) { throw new Error(`mesos.constraints.hard.hostattribute: ${(err as Error).message}`); }
  return {
    masters, contentType, role, constraints,
    frameworkName: str(conf, 'mesos.resourcemanager.framework.name') ?? 'ebbflow',
    principal: str(conf, 'mesos.resourcemanager.framework.principal'),
    secret: str(conf, 'mesos.resourcemanager.framework.secret'),
    user: str(conf, 'mesos.resourcemanager.framework.user') ?? '',
    failoverTimeoutSeconds: num(conf, 'mesos.failover-timeout', 604800, 0, 31_536_000),
    cpus: cpus > 0 ? cpus : Math.max(d.slots, 1),
    memMb,
    diskMb: num(conf, 'mesos.resourcemanager.tasks.disk', 0, 0, 1 << 30),
    fitness: placement,
    taskManagerCmd: str(conf, 'mesos.resourcemanager.tasks.taskmanager-cmd') ?? `node --max-old-space-size=${d.heapMb}`,
    bootstrapCmd: str(conf, 'mesos.resourcemanager.tasks.bootstrap-cmd'),
    uris: (str(conf, 'mesos.resourcemanager.tasks.uris') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    containerImage: str(conf, 'mesos.resourcemanager.tasks.container.image.name'),
    declineRefuseSeconds: ms(conf, 'mesos.resourcemanager.declined-offer-refuse-duration', 5000) / 1000,
    artifactServerPort: num(conf, 'mesos.resourcemanager.artifactserver.port', 0, 0, 65535),
  };
}

export function parseAddressSettings(conf: Record<string, unknown>): AddressSettings {
  const rpcAddress = str(conf, 'jobmanager.rpc.address') ?? '127.0.0.1';
  return { rpcAddress, bindHost: str(conf, 'jobmanager.bind-host') ?? rpcAddress, taskManagerBindHost: str(conf, 'taskmanager.bind-host') };
}

/** Checks the keys this module owns without needing a master (submission-time validation). */
export function validateResourceKeys(conf: Record<string, unknown>): void {
  const has = Object.keys(conf).some((k) => (MESOS_KEYS as readonly string[]).includes(k));
  if (has) parseMesosSettings(conf, { master: 'validation.invalid:5050', slots: 1, heapMb: 512 });
  parseAddressSettings(conf);
}

/**
 * The FrameworkInfo of a job's framework: the same for its job processes and for the dispatcher
 * tearing it down (a re-subscription must not change the principal, and should keep the rest).
 */
export function jobFrameworkInfo(m: MesosSettings, jobId: string): FrameworkInfo {
  return {
    user: m.user, name: `${m.frameworkName} ${jobId}`, failover_timeout: m.failoverTimeoutSeconds, checkpoint: true,
    ...(m.principal ? { principal: m.principal } : {}), roles: [m.role],
    capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }, { type: 'TASK_KILLING_STATE' }],
    labels: { labels: [{ key: 'ebbflow.job', value: jobId }] },
  };
}
