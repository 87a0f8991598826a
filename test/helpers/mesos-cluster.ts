/**
 * A test Mesos master with its agents and a dispatcher that runs jobs on it, as the Mesos e2e
 * tests start them: a fresh sandbox root (whose task logs explain failures, via `d.logRoots`),
 * a short reconnect backoff, and a `close` that undoes all of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentSpec } from '../mesos-master/agent.js';
import { TestMesosMaster } from '../mesos-master/master.js';
import { startTestDispatcher, type TestDispatcher } from './dispatcher.js';

export interface MesosTestCluster {
  master: TestMesosMaster;
  d: TestDispatcher;
  sandboxes: string;
  close(): Promise<void>;
}

export async function startMesosTestCluster(agents: AgentSpec[]): Promise<MesosTestCluster> {
  const sandboxes = mkdtempSync(join(tmpdir(), 'ebbflow-mesos-agents-'));
  const master = new TestMesosMaster({ sandboxRoot: sandboxes, heartbeatIntervalSeconds: 1, allocationIntervalMs: 100, updateRetryMs: 1000, agents });
  await master.start();
  process.env.EBBFLOW_MESOS_BACKOFF_MS = '100';
  const d = await startTestDispatcher({ resourceManager: 'mesos', mesosMaster: master.url });
  d.logRoots = [sandboxes];
  return {
    master, d, sandboxes,
    close: async () => {
      await d.close();
      await master.stop();
      delete process.env.EBBFLOW_MESOS_BACKOFF_MS;
      rmSync(sandboxes, { recursive: true, force: true });
    },
  };
}
