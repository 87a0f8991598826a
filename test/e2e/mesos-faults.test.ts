/**
 * Faults around the Mesos resource manager, each through a real dispatcher and job process against
 * the test master: a non-leading master that redirects and offers withdrawn before the ACCEPT
 * arrives (the launch is dropped and retried), an agent lost under a running job (its TaskManager is
 * replaced on the other agent), offers too small for a TaskManager and a master that does not answer
 * (the job waits, then fails naming why, leaving nothing behind), a cancel while the job waits for
 * offers (immediate), and a job process killed with SIGKILL (a new job process re-subscribes with
 * the same framework id and keeps the tasks, whose TaskManagers re-register with it; with no restart
 * left, the dispatcher tears the framework down and no task survives).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { deleteKeys, freePort, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { cancelJob, explain, scenario, startFraudJob } from '../helpers/faults.js';
import { fraudArgs, runJar, uploadFraud, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import type { AgentSpec } from '../mesos-master/agent.js';
import { TestMesosMaster } from '../mesos-master/master.js';

let d: TestDispatcher;
let jar: string;
let root: string;
const masters: TestMesosMaster[] = [];
const tag = `ebbtest-mesosf-${randomBytes(4).toString('hex')}`;
const agent = (cpus: number, ports: [number, number]): AgentSpec => ({ hostname: '127.0.0.1', resources: { scalars: { cpus, mem: 2048, disk: 1024 }, ranges: { ports: [ports] } } });

async function newMaster(agents: AgentSpec[], leader?: string): Promise<TestMesosMaster> {
  const m = new TestMesosMaster({ sandboxRoot: join(root, `m${masters.length}`), heartbeatIntervalSeconds: 1, allocationIntervalMs: 100, updateRetryMs: 1000, agents, leader });
  masters.push(m);
  await m.start();
  return m;
}

const BASE = { 'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms', 'mesos.resourcemanager.tasks.cpus': 0.5, 'mesos.resourcemanager.tasks.mem': 640 };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ebbflow-mesos-faults-'));
  process.env.EBBFLOW_MESOS_BACKOFF_MS = '100';
  d = await startTestDispatcher({ resourceManager: 'mesos', mesosMaster: '127.0.0.1:1' });
  d.logRoots = [root];
  jar = await uploadFraud(d);
});
afterEach(async () => {
  while (masters.length) await masters.pop()!.stop();
});
afterAll(async () => {
  await deleteKeys(d.redis, `${tag}*`);
  await d?.close();
  delete process.env.EBBFLOW_MESOS_BACKOFF_MS;
  rmSync(root, { recursive: true, force: true });
});

async function mesosKeys(id: string): Promise<string[]> {
  // The driver deletes its stored state right after TEARDOWN is answered, a moment after the master forgot the framework.
  await waitFor(`no stored Mesos state of ${id}`, async () => ((await d.redis.keys(`${d.keyPrefix}mesos:${id}:*`)).length === 0 ? true : undefined), 5000).catch(() => {});
  return d.redis.keys(`${d.keyPrefix}mesos:${id}:*`);
}

describe('Mesos faults', () => {
  it('follows a redirect to the leader and retries launches whose offers were withdrawn or rescinded', async () => {
    const leader = await newMaster([agent(2, [31000, 31009]), agent(2, [31010, 31019])]);
    const follower = await newMaster([], new URL(leader.url).host);
    let round = 0;
    leader.afterOffers = (fid) => {
      round++;
      if (round === 1) leader.invalidateOffers(fid); // withdrawn without a word: ACCEPT → TASK_DROPPED
      else if (round === 2) leader.rescindOffers(fid); // RESCIND right behind the OFFERS
    };
    const s = scenario(`${tag}-a`, 5, 2000);
    await writeTransactions(d.redis, s.txns);
    const id = await startFraudJob(d, jar, s, 2, { ...BASE, 'mesos.master': follower.url });
    expect(follower.counters.redirects).toBeGreaterThan(0);
    expect(leader.races.some((r) => r.includes('ACCEPT of withdrawn offer'))).toBe(true);
    expect(leader.liveTasks()).toHaveLength(2);
    expect(leader.violations).toEqual([]);
    await cancelJob(d, id);
    expect(leader.taskPids()).toEqual([]);
    expect(await mesosKeys(id)).toEqual([]);
  });

  it('replaces the TaskManager of a lost agent on another agent', async () => {
    const m = await newMaster([agent(2, [31020, 31029]), agent(2, [31030, 31039])]);
    const s = scenario(`${tag}-b`, 6, 2000);
    await writeTransactions(d.redis, s.txns);
    const id = await startFraudJob(d, jar, s, 2, { ...BASE, 'mesos.master': m.url, 'mesos.resourcemanager.tasks.placement': 'spread' }, 2);
    const agents = new Set(m.liveTasks().map((t) => t.agentId));
    expect(agents.size).toBe(2); // spread: one TaskManager per agent
    const [gone, kept] = [...agents];
    m.removeAgent(gone!);
    const running = () => m.liveTasks().filter((t) => t.state !== 'TASK_UNREACHABLE');
    await explain(d, id, waitFor('a replacement on the other agent', () => (running().length === 2 && running().every((t) => t.agentId === kept) ? true : undefined), 30_000));
    const done = (await (await fetch(`${d.url}/jobs/${id}/checkpoints`)).json() as any).counts.completed;
    await explain(d, id, waitForCheckpoints(d, id, done + 2));
    expect(m.counters.launches).toBe(3);
    expect(m.violations).toEqual([]);
    await cancelJob(d, id);
    expect(m.taskPids()).toEqual([]);
  });

  it('waits on offers too small for a TaskManager, then fails naming them; nothing is launched or left', async () => {
    const m = await newMaster([agent(0.25, [31040, 31049])]);
    const s = scenario(`${tag}-c`, 7, 100);
    const run = await runJar(d, jar, { parallelism: 1, programArgsList: fraudArgs(d.redisUrl, s.streams, s.output), flinkConfiguration: { ...BASE, 'mesos.master': m.url, 'jobmanager.adaptive-scheduler.resource-wait-timeout': '3 s' } });
    expect(run.status).toBe(200);
    const id: string = run.body.jobid;
    const job = await waitForState(d, id, 'FAILED', 30_000);
    const ex = await (await fetch(`${d.url}/jobs/${id}/exceptions`)).json() as any;
    expect(ex['root-exception'] ?? ex.exceptionHistory.entries[0].stacktrace).toMatch(/offers cpus 0.25.*a TaskManager needs cpus 0.5/);
    // The cause names the keys that size a TaskManager.
    expect(ex['root-exception'] ?? ex.exceptionHistory.entries[0].stacktrace).toMatch(/mesos\.resourcemanager\.tasks\.cpus/);
    expect(job.state).toBe('FAILED');
    expect(m.counters.launches).toBe(0);
    expect(m.counters.declines).toBeGreaterThan(0);
    await waitFor('the framework to be torn down', () => (m.counters.teardowns === 1 && !m.framework() ? true : undefined), 10_000);
    expect(await mesosKeys(id)).toEqual([]);
    expect(m.violations).toEqual([]);
  });

  it('cancels a job that is waiting for offers at once, and tears its framework down', async () => {
    const m = await newMaster([agent(0.25, [31060, 31069])]);
    const s = scenario(`${tag}-f`, 10, 100);
    const run = await runJar(d, jar, { parallelism: 1, programArgsList: fraudArgs(d.redisUrl, s.streams, s.output), flinkConfiguration: { ...BASE, 'mesos.master': m.url } });
    expect(run.status).toBe(200);
    const id: string = run.body.jobid;
    await waitFor('offers declined while the request waits', () => (m.counters.declines > 0 ? true : undefined), 10_000);
    const asked = Date.now();
    await cancelJob(d, id);
    expect(Date.now() - asked).toBeLessThan(10_000);
    await waitFor('the framework to be torn down', () => (m.counters.teardowns === 1 && !m.framework() ? true : undefined), 10_000);
    expect(m.counters.launches).toBe(0);
    expect(await mesosKeys(id)).toEqual([]);
  });

  it('fails with a clear cause when the master does not answer, leaving nothing behind', async () => {
    const closed = await freePort();
    const s = scenario(`${tag}-d`, 8, 100);
    const run = await runJar(d, jar, { parallelism: 1, programArgsList: fraudArgs(d.redisUrl, s.streams, s.output), flinkConfiguration: { ...BASE, 'mesos.master': `127.0.0.1:${closed}`, 'jobmanager.adaptive-scheduler.resource-wait-timeout': '2 s' } });
    expect(run.status).toBe(200);
    const id: string = run.body.jobid;
    await waitForState(d, id, 'FAILED', 30_000);
    const ex = await (await fetch(`${d.url}/jobs/${id}/exceptions`)).json() as any;
    expect(ex['root-exception'] ?? ex.exceptionHistory.entries[0].stacktrace).toMatch(new RegExp(`not subscribed to 127.0.0.1:${closed}.*ECONNREFUSED.*check mesos\\.master`));
    await waitFor('the job process to exit', async () => ((await processesMatching(`ebbflow-jobmaster ${id}`)).length === 0 ? true : undefined), 10_000);
    expect(await processesMatching(`ebbflow-taskmanager ${id}`)).toEqual([]);
    expect(await mesosKeys(id)).toEqual([]);
  });

  it('restarts a job process killed with SIGKILL: same framework, its tasks kept (their TaskManagers re-register with the new JobMaster), nothing launched', async () => {
    const m = await newMaster([agent(2, [31070, 31079])]);
    const s = scenario(`${tag}-g`, 11, 2000);
    await writeTransactions(d.redis, s.txns);
    const id = await startFraudJob(d, jar, s, 2, { ...BASE, 'mesos.master': m.url });
    const fid = m.framework()!.id;
    const oldTasks = m.liveTasks().map((t) => t.info.task_id.value).sort();
    const oldPids = m.taskPids().sort();
    const launches = m.counters.launches;
    const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
    const killedAt = Date.now();
    process.kill(jm!.pid, 'SIGKILL');
    const failoverMs = await explain(d, id, waitFor('the job running again on the same two tasks of the same framework', async () => {
      const live = m.liveTasks().map((t) => t.info.task_id.value).sort();
      const [now] = await processesMatching(`ebbflow-jobmaster ${id}`);
      return now && now.pid !== jm!.pid && (await (await fetch(`${d.url}/jobs/${id}`)).json() as any).state === 'RUNNING'
        && JSON.stringify(live) === JSON.stringify(oldTasks) ? Date.now() - killedAt : undefined;
    }, 40_000, 20));
    console.log(`Mesos job-process failover: RUNNING again ${failoverMs} ms after the SIGKILL, on the same tasks`);
    expect(m.framework()!.id).toBe(fid);
    expect(m.counters.subscribes).toBe(2);
    // No task launched, none killed: the same TaskManager processes serve the new JobMaster.
    expect(m.counters.launches).toBe(launches);
    expect(m.taskPids().sort()).toEqual(oldPids);
    expect(m.violations).toEqual([]);
    await cancelJob(d, id);
    await waitFor('the framework to be torn down', () => (!m.framework(fid) && m.taskPids().length === 0 ? true : undefined), 20_000);
  });

  it('tears down the framework of a job process killed with SIGKILL when no restart is left; no task survives', async () => {
    const m = await newMaster([agent(2, [31050, 31059])]);
    const t = await startTestDispatcher({ resourceManager: 'mesos', mesosMaster: m.url, redisUrl: d.redisUrl, jobProcessRestarts: 0 });
    try {
      const tjar = await uploadFraud(t);
      const s = scenario(`${tag}-e`, 9, 2000);
      await writeTransactions(t.redis, s.txns);
      const id = await startFraudJob(t, tjar, s, 2, { ...BASE });
      const fid = m.framework()!.id;
      const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
      process.kill(jm!.pid, 'SIGKILL');
      await waitForState(t, id, 'FAILED', 15_000);
      await waitFor('the framework to be torn down', () => (!m.framework(fid) && m.taskPids().length === 0 ? true : undefined), 20_000);
      expect(m.state().completed_frameworks).toContain(fid);
      expect(await processesMatching(`ebbflow-taskmanager ${id}`)).toEqual([]);
      // The dispatcher forgets the framework right after its TEARDOWN was answered.
      await waitFor('the stored Mesos state to be deleted', async () => ((await t.redis.keys(`${t.keyPrefix}mesos:${id}:*`)).length === 0 ? true : undefined), 5000);
      expect(m.violations).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
