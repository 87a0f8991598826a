/**
 * The autoscaler end to end with local TaskManager processes: the fraud-detection job starts at
 * parallelism 1 with `job.autoscaler.enabled` and short intervals; input arrives at a steady rate;
 * the autoscaler scales it up in place (same executions and processes for the subtasks that stay),
 * the backlog stays drained, input stops, and it scales back down in place once the scale-down
 * interval passed. Alerts equal the independent computation; the decisions appear in
 * GET /jobs/:jobid/autoscaler with their outcomes and the rescales they asked for, which the rescale
 * history lists with trigger `autoscaler`, and the job's log has a line for each. The scenario, and
 * how it is made to scale on a machine where the job cannot fall behind, is in
 * test/helpers/autoscaler-e2e.ts; mesos-autoscaler.test.ts runs it on the test Mesos master.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { autoscalerScenario } from '../helpers/autoscaler-e2e.js';
import { deleteKeys, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { uploadFraud } from '../helpers/fraud.js';

let d: TestDispatcher;
let jar: string;
const tag = `ebbtest-autoscale-${randomBytes(4).toString('hex')}`;

beforeAll(async () => { d = await startTestDispatcher(); jar = await uploadFraud(d); });
afterAll(async () => { await deleteKeys(d.redis, `${tag}*`); await d?.close(); });

describe('autoscaler', () => {
  it('scales the fraud job 1 → 2 in place under load and back to 1 once the load stopped, with exactly the reference alerts', async () => {
    // One TaskManager process per slot: started for the scale-up, gone after the scale-down.
    const processes = (id: string, n: number) => waitFor(`${n} TaskManager processes`, async () => ((await processesMatching(`ebbflow-taskmanager ${id}`)).length === n ? true : undefined), 10_000);
    await autoscalerScenario(d, jar, tag, { scaledUp: async (id) => { await processes(id, 2); }, scaledDown: async (id) => { await processes(id, 1); } });
  });
});
