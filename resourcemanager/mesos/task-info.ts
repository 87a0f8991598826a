/** Builds the Mesos TaskInfo that runs one TaskManager from fetched artifacts. */
import { JOB_PROCESS_THREADPOOL_SIZE } from '../../runtime/checkpoint/storage-deadline.js';
import type { WorkerSpec } from '../driver.js';
import type { Artifact } from './artifact-server.js';
import { takeResources, type TaskRequirements } from './launch-coordinator.js';
import type { Resource, TaskInfo } from './types.js';

export interface TaskManagerLaunchOptions {
  need: TaskRequirements;
  /** Runs the bundled runtime module, e.g. `node` or `/opt/node20/bin/node --max-old-space-size=512`. */
  taskManagerCmd: string;
  /** Runs before the TaskManager in the same shell (Flink's `mesos.resourcemanager.tasks.bootstrap-cmd`). */
  bootstrapCmd?: string;
  /** Docker image for the Mesos containerizer (`mesos.resourcemanager.tasks.container.image.name`). */
  containerImage?: string;
  /** Extra URIs to fetch into every sandbox. */
  extraUris: string[];
  runtime: Artifact;
  bundle: Artifact;
  bundleInSandbox: string;
  /** Address the TaskManager's data server binds inside the task. @default '0.0.0.0' */
  dataBindHost: string;
  killGraceMs: number;
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function taskManagerTaskInfo(spec: WorkerSpec, taskId: string, agentId: string, hostname: string, port: number, offered: Resource[], o: TaskManagerLaunchOptions): TaskInfo {
  const args = [
    o.runtime.name,
    '--job-id', spec.jobId, '--resource-id', spec.resourceId, '--index', String(spec.index),
    '--job-master', spec.jobMasterAddress, '--slots', String(spec.profile.slots),
    '--data-host', hostname, '--data-bind-host', o.dataBindHost, '--data-port', String(port),
    '--bundle-path', o.bundleInSandbox,
  ].map(quote).join(' ');
  const run = `exec ${o.taskManagerCmd} ${args}`;
  return {
    name: `ebbflow-taskmanager ${spec.jobId} ${spec.index}`,
    task_id: { value: taskId },
    agent_id: { value: agentId },
    resources: takeResources(offered, o.need, port),
    command: {
      shell: true,
      value: o.bootstrapCmd ? `${o.bootstrapCmd} && ${run}` : run,
      uris: [
        { value: o.runtime.uri, extract: false, executable: false, cache: false, output_file: o.runtime.name },
        { value: o.bundle.uri, extract: o.bundle.extract, executable: false, cache: false, output_file: o.bundle.name },
        ...o.extraUris.map((value) => ({ value })),
      ],
      environment: { variables: [
        { name: 'EBBFLOW_JOB_ID', value: spec.jobId },
        { name: 'EBBFLOW_RESOURCE_ID', value: spec.resourceId },
        { name: 'EBBFLOW_DATA_PORT', value: String(port) },
        // Storage calls on a hung mount each hold a libuv thread until they return (storage-deadline.ts).
        { name: 'UV_THREADPOOL_SIZE', value: process.env.UV_THREADPOOL_SIZE ?? String(JOB_PROCESS_THREADPOOL_SIZE) },
      ] },
    },
    ...(o.containerImage ? { container: { type: 'MESOS' as const, mesos: { image: { type: 'DOCKER' as const, docker: { name: o.containerImage } } } } } : {}),
    kill_policy: { grace_period: { nanoseconds: o.killGraceMs * 1e6 } },
    labels: { labels: [{ key: 'ebbflow.job', value: spec.jobId }, { key: 'ebbflow.resource-id', value: spec.resourceId }] },
  };
}
