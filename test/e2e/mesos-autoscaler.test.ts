/**
 * The autoscaler end to end on the test Mesos master (test/helpers/autoscaler-e2e.ts's scenario):
 * the scale-up launches one TaskManager task through an offer, the scale-down KILLs it, the alerts
 * equal the reference, and the master sees no protocol violation.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoscalerScenario } from '../helpers/autoscaler-e2e.js';
import { deleteKeys, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { uploadFraud } from '../helpers/fraud.js';
import { startMesosTestCluster, type MesosTestCluster } from '../helpers/mesos-cluster.js';
import type { TestMesosMaster } from '../mesos-master/master.js';

let d: TestDispatcher;
let master: TestMesosMaster;
let jar: string;
let cluster: MesosTestCluster;
const tag = `ebbtest-mesos-autoscale-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  cluster = await startMesosTestCluster([
    { hostname: '127.0.0.1', resources: { scalars: { cpus: 2, mem: 2048, disk: 4096 }, ranges: { ports: [[31100, 31109]] } } },
    { hostname: '127.0.0.1', resources: { scalars: { cpus: 2, mem: 2048, disk: 4096 }, ranges: { ports: [[31110, 31119]] } } },
  ]);
  ({ master, d } = cluster);
  jar = await uploadFraud(d);
});

afterAll(async () => {
  if (d) await deleteKeys(d.redis, `${tag}*`);
  await cluster?.close();
});

describe('autoscaler on the Mesos test master', () => {
  it('launches a TaskManager task for the scale-up and kills it for the scale-down, with the reference alerts and no protocol violation', async () => {
    let kills = 0;
    await autoscalerScenario(d, jar, tag, {
      configuration: { 'mesos.failover-timeout': 60, 'mesos.resourcemanager.tasks.cpus': 0.5, 'mesos.resourcemanager.tasks.mem': 640 },
      scaledUp: async () => {
        expect(master.counters.launches).toBe(2);
        expect(master.liveTasks()).toHaveLength(2);
        kills = master.counters.kills;
      },
      scaledDown: async () => {
        await waitFor('the released TaskManager task gone', () => (master.liveTasks().length === 1 && master.taskPids().length === 1 ? true : undefined), 15_000);
        expect(master.counters.kills - kills).toBe(1);
        expect(master.counters.launches).toBe(2);
      },
    });
    expect(master.violations).toEqual([]);
  });
});
