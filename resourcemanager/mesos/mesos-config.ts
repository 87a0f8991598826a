/**
 * Settings of the Mesos driver, read through the Mesos keys table
 * (mesos-options.ts) from a job's configuration map: dispatcher-wide values
 * (`-D`, and `--mesos-master`/`--mesos-content-type` as defaults of their keys)
 * under the job's own.
 */
import { ConfigError, JOB_OPTIONS, readKey } from '../../config/index.js';
import type { ContentType } from './codec.js';
import type { FrameworkInfo } from './types.js';
import { parseConstraints, type Constraint, type Fitness } from './launch-coordinator.js';
import { MESOS_OPTIONS as O } from './mesos-options.js';

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

/** What the dispatcher decides for every TaskManager, which some Mesos defaults derive from. */
export interface MesosDefaults {
  slots: number;
  heapMb: number;
}

const CONTENT_TYPES: Record<'protobuf' | 'json', ContentType> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** Reads the Mesos keys; without a master (no `mesos.master`, no --mesos-master) a ConfigError names the settings that give one. */
export function parseMesosSettings(conf: Record<string, unknown>, d: MesosDefaults): MesosSettings {
  const master = readKey(conf, O.master);
  if (!master) {
    throw new ConfigError('EBBFLOW_CONFIG_MISSING', O.master.key, 'the Mesos resource manager needs a master: --mesos-master <host:port> (env EBBFLOW_MESOS_MASTER) or mesos.master');
  }
  let constraints: Constraint[];
  try {
    constraints = parseConstraints(readKey(conf, O.constraints));
  } catch (err) {
    throw new ConfigError('EBBFLOW_CONFIG_INVALID', O.constraints.key, `${O.constraints.key}: ${(err as Error).message}`);
  }
  const cpus = readKey(conf, O.cpus)!;
  return {
    masters: master.split(',').map((s) => s.trim()).filter(Boolean),
    contentType: CONTENT_TYPES[readKey(conf, O.contentType)!],
    role: readKey(conf, O.role)!,
    constraints,
    frameworkName: readKey(conf, O.frameworkName)!,
    principal: readKey(conf, O.principal),
    secret: readKey(conf, O.secret),
    user: readKey(conf, O.user)!,
    failoverTimeoutSeconds: readKey(conf, O.failoverTimeout)!,
    cpus: cpus > 0 ? cpus : Math.max(d.slots, 1),
    memMb: readKey(conf, O.mem) ?? d.heapMb + 256,
    diskMb: readKey(conf, O.disk)!,
    fitness: readKey(conf, O.placement)!,
    taskManagerCmd: readKey(conf, O.taskManagerCmd) ?? nodeCommand(d.heapMb, readKey(conf, JOB_OPTIONS.taskManagerSemiSpaceMb) ?? 0),
    bootstrapCmd: readKey(conf, O.bootstrapCmd),
    uris: readKey(conf, O.uris) ?? [],
    containerImage: readKey(conf, O.containerImage),
    declineRefuseSeconds: readKey(conf, O.declineRefuseDuration)! / 1000,
    artifactServerPort: readKey(conf, O.artifactServerPort)!,
  };
}

/** The default TaskManager command: node with its heap cap and, when configured, its semi-space size. */
function nodeCommand(heapMb: number, semiSpaceMb: number): string {
  return `node --max-old-space-size=${heapMb}${semiSpaceMb ? ` --max-semi-space-size=${semiSpaceMb}` : ''}`;
}

/** Checks the Mesos keys a configuration has, without needing a master (submission-time validation). */
export function validateMesosKeys(conf: Record<string, unknown>): void {
  if (!Object.values(O).some((d) => conf[d.key] !== undefined)) return;
  // A master is only needed to run; submission checks the values given.
  const probe = { ...conf };
  probe[O.master.key] ??= 'validation.invalid:5050';
  parseMesosSettings(probe, { slots: 1, heapMb: 512 });
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
