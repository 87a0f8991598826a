/**
 * Where the job process and TaskManagers listen and how others reach them
 * (Flink's key names). Every resource provider uses them: the local driver for
 * TaskManagers' data servers, Mesos also for the artifact server.
 */
import { readKey } from './read-option.js';
import { opt } from './option.js';

const scope = 'address';

export const ADDRESS_OPTIONS = {
  rpcAddress: opt.string({ key: 'jobmanager.rpc.address', scope, default: '127.0.0.1', doc: 'the host TaskManagers use to reach the job process' }),
  bindHost: opt.string({ key: 'jobmanager.bind-host', scope, defaultDoc: '`jobmanager.rpc.address`', doc: 'the address the job process binds (RPC and artifacts)' }),
  taskManagerBindHost: opt.string({
    key: 'taskmanager.bind-host', scope, defaultDoc: '`0.0.0.0` on Mesos, `127.0.0.1` locally', doc: 'the address a TaskManager\'s data server binds',
  }),
};

export interface AddressSettings {
  /** Host TaskManagers use to reach the job process (RPC and artifacts). */
  rpcAddress: string;
  /** Address the job process binds. */
  bindHost: string;
  /** Address a TaskManager's data server binds (advertised: its agent's hostname, or 127.0.0.1 locally). */
  taskManagerBindHost: string | undefined;
}

/** The address keys of a configuration map, with their defaults. */
export function parseAddressSettings(conf: Record<string, unknown>): AddressSettings {
  const rpcAddress = readKey(conf, ADDRESS_OPTIONS.rpcAddress)!;
  return { rpcAddress, bindHost: readKey(conf, ADDRESS_OPTIONS.bindHost) ?? rpcAddress, taskManagerBindHost: readKey(conf, ADDRESS_OPTIONS.taskManagerBindHost) };
}
