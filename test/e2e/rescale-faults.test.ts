/**
 * Faults during an in-place rescale, end to end with real processes: the
 * fraud-detection job over four Redis streams, input trickled throughout, and
 * the alert stream compared with the independent reference (same set, no
 * duplicates) wherever it can publish. A TaskManager SIGKILLed before the
 * switch rolls the rescale back (the job is untouched) or, if it hosted
 * running subtasks, restarts the job; one killed after the switch restarts it
 * from its latest completed checkpoint. A killed job process is replaced by a
 * new one that restores the job (the request fails saying so); failing checkpoints, a second request, a parallelism
 * the resource provider cannot give, and a cancel are each handled without
 * losing or doubling output and without leaving a process behind.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { jobState, uploadFraud, waitForState } from '../helpers/fraud.js';
import {
  cancelJob, completed, exceptionEntries, expectReferenceAlerts, explain, parallelisms, patchRescale, rescaleStatus, scenario, startFraudJob,
  taskManagerPids, trickle, watchProgress,
} from '../helpers/faults.js';
import { rescale, subtaskIdentities } from '../helpers/rescale.js';

let d: TestDispatcher;
let jar: string;
const tag = `ebbtest-faults-${randomBytes(4).toString('hex')}`;
// The few tens of kilobytes of window state here move in several batches (fluid rescaling): every
// fault below also meets a rescale that is between two batches or in one of them.
const FAST = { 'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms', 'rescale.migration.max-batch-bytes': 4096 };

// At most 3 TaskManager processes per job: enough for every test here, and the limit test 5 runs into.
// /dev/null is allowed (EBBFLOW_SAVEPOINT_ALLOWED_DIRS): one test checkpoints into /dev/null/… on purpose.
beforeAll(async () => { d = await startTestDispatcher({ localMaxTaskManagers: 3, savepointAllowedDirs: ['/dev/null'] }); jar = await uploadFraud(d); });
afterAll(async () => { await deleteKeys(d.redis, `${tag}*`); await d?.close(); });

/**
 * The TaskManager processes of a job and their resource ids: by title (`ebbflow-taskmanager <jobid> <n>`)
 * once a process has set it, by its arguments (`--job-id <jobid> --resource-id <id>`) while it still starts.
 */
async function taskManagers(id: string): Promise<Array<{ pid: number; resourceId: string }>> {
  const titled = (await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => ({ pid: p.pid, resourceId: `taskmanager-${p.args.trim().split(/\s+/).at(-1)!.padStart(5, '0')}` }));
  const starting = (await processesMatching(`--job-id ${id}`)).map((p) => ({ pid: p.pid, resourceId: /--resource-id (\S+)/.exec(p.args)?.[1] ?? '?' }));
  return [...titled, ...starting.filter((p) => !titled.some((t) => t.pid === p.pid))];
}

/** Which TaskManager process hosts subtask 0 of the first vertex. */
async function hostOfSubtask0(id: string): Promise<{ pid: number; resourceId: string }> {
  const ids = await subtaskIdentities(d, id);
  const pid = Object.values(ids)[0]!.find((s) => s.subtask === 0)!.pid;
  const tm = (await taskManagers(id)).find((t) => t.pid === pid);
  expect(tm, `TaskManager process ${pid}`).toBeDefined();
  return tm!;
}

const sameList = (a: number[], b: number[]) => JSON.stringify([...a].sort((x, y) => x - y)) === JSON.stringify([...b].sort((x, y) => x - y));

const failureOf = (status: any): string => {
  expect(status.status.id).toBe('COMPLETED');
  expect(status.operation['failure-cause'], JSON.stringify(status.operation)).toBeDefined();
  return status.operation['failure-cause']['stack-trace'];
};

describe('a TaskManager killed in the middle of a rescale', () => {
  /**
   * The TaskManager started for the added subtasks dies: `when` is either before it registered (the
   * request waits for slots; its process is killed as soon as ps shows it), or once the request left
   * the slot wait and before anything switched (pre-flight checkpoint, added subtasks starting or
   * preparing; its pid is found in advance because ps takes tens of milliseconds).
   */
  for (const when of ['before it registers', 'after it registered'] as const) {
    it(`before the switch: the TaskManager of the added subtasks dies ${when}; the rescale is rolled back and the job goes on untouched`, async () => {
      const s = scenario(`${tag}-1a-${when.split(' ')[0]}`, when === 'before it registers' ? 40 : 41, 12_000);
      await writeTransactions(d.redis, s.txns.slice(0, 2000));
      const id = await startFraudJob(d, jar, s, 2, FAST);
      const rest = trickle(d.redis, s.txns.slice(2000));
      const before = await subtaskIdentities(d, id);
      const old = new Set(await taskManagerPids(id));

      const trigger = await patchRescale(d, id, 3);
      const watch = watchProgress(d, id, trigger);
      const added = await explain(d, id, waitFor('the added TaskManager process', async () => (await taskManagers(id)).find((t) => !old.has(t.pid)), 10_000, 20));
      const phase = when === 'before it registers'
        ? (watch.seen.at(-1)?.phase ?? 'waiting for slots, not reported yet')
        : await explain(d, id, watch.until(/checkpointing before|starting|preparing|switching|loading/));
      process.kill(added.pid, 'SIGKILL');
      const cause = failureOf(await completed(d, id, trigger));
      await watch.stop();
      expect(cause).toContain(added.resourceId);

      const job = await explain(d, id, waitForState(d, id, 'RUNNING'));
      const restarted = job.timestamps.RESTARTING > 0;
      console.log(`1a (${when}): killed ${added.resourceId} at "${phase}"; ${restarted ? 'restarted' : 'rolled back'}; phases ${JSON.stringify(watch.seen.map((x) => x.phase))}; cause: ${cause.split('\n')[0]}`);
      const entries = await exceptionEntries(d, id);
      expect(entries.length, JSON.stringify(entries.map((e) => e.stacktrace.slice(0, 400)))).toBe(1);
      expect(entries[0]!.stacktrace).toContain(added.resourceId);
      // Only a kill landing after the switch (never seen here) restarts the job; the checks below hold for both.
      if (!restarted) {
        expect(entries[0]!.stacktrace).toMatch(/rescale in progress was rolled back; the job was not restarted/);
        // Rolled back: the same executions in the same processes, at the old parallelism, and the added TaskManager gone.
        expect(await parallelisms(d, id)).toEqual([2, 2]);
        // The job's status is written by the job process at its own pace: wait for it to settle (a
        // subtask restarted by the failure would keep a new execution id and never match).
        await expect.poll(() => subtaskIdentities(d, id), { timeout: 10_000 }).toEqual(before);
        await explain(d, id, waitFor('the two original TaskManagers only', async () => (sameList(await taskManagerPids(id), [...old]) ? true : undefined), 10_000));
      }
      // The failed attempt left nothing behind that a later rescale would trip over.
      const again = await rescale(d, id, 3);
      expect(again.parallelism.after).toEqual(Object.fromEntries(Object.keys(before).map((v) => [v, 3])));
      await rest.finish();
      await expectReferenceAlerts(d, id, s);
      await cancelJob(d, id);
    });
  }

  it('before the switch: a TaskManager running subtasks dies while the request waits for slots; the job restarts and the request fails', async () => {
    const s = scenario(`${tag}-1a2`, 42, 12_000);
    await writeTransactions(d.redis, s.txns.slice(0, 2000));
    const id = await startFraudJob(d, jar, s, 2, FAST);
    const rest = trickle(d.redis, s.txns.slice(2000));
    const victim = await hostOfSubtask0(id);

    const trigger = await patchRescale(d, id, 3);
    const watch = watchProgress(d, id, trigger);
    const phase = await explain(d, id, watch.until(/waiting for 3 slot/));
    process.kill(victim.pid, 'SIGKILL');
    const cause = failureOf(await completed(d, id, trigger));
    await watch.stop();
    console.log(`1a2: killed ${victim.resourceId} at "${phase}"; phases ${JSON.stringify(watch.seen.map((x) => x.phase))}; cause: ${cause.split('\n')[0]}`);
    expect(cause).toMatch(/restart/);
    expect(cause).toContain(victim.resourceId);

    const job = await explain(d, id, waitFor('the job to run again', async () => {
      const j = await jobState(d, id);
      return j.state === 'RUNNING' && j.timestamps.RESTARTING > 0 ? j : undefined;
    }));
    expect(job.timestamps.RESTARTING).toBeGreaterThan(0);
    // The request failed before anything switched: the job runs at its old parallelism, with as many
    // TaskManagers. (Only a kill landing after the switch could resume at 3, from the rescale checkpoint.)
    const p = await parallelisms(d, id);
    expect(/RescaleFailedAfterSwitch/.test(cause) ? [[2, 2], [3, 3]] : [[2, 2]]).toContainEqual(p);
    await explain(d, id, waitFor(`${p[0]} TaskManagers`, async () => ((await taskManagerPids(id)).length === p[0] ? true : undefined), 10_000));
    const entries = await exceptionEntries(d, id);
    expect(entries.length, JSON.stringify(entries.map((e) => e.stacktrace.slice(0, 400)))).toBe(1);
    expect(entries[0]!.stacktrace).toContain(victim.resourceId);
    await rest.finish();
    await expectReferenceAlerts(d, id, s);
    await cancelJob(d, id);
  });

  /**
   * After the switch the job restarts from its latest completed checkpoint: the rescale checkpoint n
   * (at 3) if it completed, else the one before (at 2). `when` picks the instant: as soon as the
   * progress says "switching" (n usually cannot complete any more), or once n's _metadata is on disk
   * (n completed; gainers are loading what they gained) — watched in the checkpoint directory, since
   * the "loading" phase lasts only tens of milliseconds.
   */
  for (const when of ['switching', 'n complete'] as const) {
    it(`after the switch (${when}): a TaskManager dies; the job restarts from its latest completed checkpoint at that checkpoint's scale`, async () => {
      const s = scenario(`${tag}-1b-${when.replace(' ', '-')}`, when === 'switching' ? 43 : 49, 12_000);
      await writeTransactions(d.redis, s.txns.slice(0, 2000));
      const id = await startFraudJob(d, jar, s, 2, FAST);
      const rest = trickle(d.redis, s.txns.slice(2000));
      const victim = await hostOfSubtask0(id);

      const trigger = await patchRescale(d, id, 3);
      const watch = watchProgress(d, id, trigger);
      const phase = await explain(d, id, watch.until(/switching|loading/));
      const n = Number(/checkpoint (\d+)/.exec(phase)![1]);
      if (when === 'n complete') {
        const metadata = join(d.dataDir, 'checkpoints', id, `chk-${n}`, '_metadata');
        await explain(d, id, waitFor(`${metadata} to exist`, () => (existsSync(metadata) ? true : undefined), 10_000, 1));
      }
      process.kill(victim.pid, 'SIGKILL');
      const status = await completed(d, id, trigger);
      await watch.stop();
      // Once n is complete the gainers load within milliseconds here: the rescale may have finished
      // (successfully) before the kill landed. Either way the restart below must resume at n's scale.
      const finishedFirst = when === 'n complete' && status.status.id === 'COMPLETED' && !status.operation['failure-cause'];
      if (!finishedFirst) {
        const cause = failureOf(status);
        expect(cause).toMatch(/^RescaleFailedAfterSwitch: rescale at checkpoint \d+ failed: the job is restarting: /);
        expect(cause).toContain(victim.resourceId);
      }

      const job = await explain(d, id, waitFor('the job to run again', async () => {
        const j = await jobState(d, id);
        return j.state === 'RUNNING' && j.timestamps.RESTARTING > 0 ? j : undefined;
      }));
      expect(job.timestamps.RESTARTING).toBeGreaterThan(0);
      // Checkpoint statistics reach the registry up to 200 ms late: wait for checkpoint n's outcome.
      const rescaleCheckpoint = await explain(d, id, waitFor(`the outcome of checkpoint ${n}`, async () => {
        const history: Array<{ id: number; status: string }> = (await json(await fetch(`${d.url}/jobs/${id}/checkpoints`))).history;
        const status = history.find((h) => h.id === n)?.status;
        return status === 'COMPLETED' || status === 'FAILED' ? status : undefined;
      }, 5000));
      const p = await parallelisms(d, id);
      console.log(`1b (${when}): killed ${victim.resourceId} at "${phase}"${finishedFirst ? ' (the rescale had already finished)' : ''}; checkpoint ${n} ${rescaleCheckpoint}; resumed at ${p[0]}`);
      expect(p).toEqual(rescaleCheckpoint === 'COMPLETED' ? [3, 3] : [2, 2]);
      await explain(d, id, waitFor(`${p[0]} TaskManagers`, async () => ((await taskManagerPids(id)).length === p[0] ? true : undefined), 10_000));
      const entries = await exceptionEntries(d, id);
      expect(entries.length, JSON.stringify(entries.map((e) => e.stacktrace.slice(0, 400)))).toBe(1);
      expect(entries[0]!.stacktrace).toContain(victim.resourceId);
      await rest.finish();
      await expectReferenceAlerts(d, id, s);
      await cancelJob(d, id);
    });
  }
});

describe('other trouble during a rescale', () => {
  it('the job process is SIGKILLed during a rescale: a new job process restores the job, the request fails saying so, the output stays exact', async () => {
    const s = scenario(`${tag}-2`, 44, 6000);
    await writeTransactions(d.redis, s.txns.slice(0, 2000));
    const id = await startFraudJob(d, jar, s, 2, FAST);
    const rest = trickle(d.redis, s.txns.slice(2000));
    const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
    expect(jm).toBeDefined();
    const oldTms = await taskManagerPids(id);

    const trigger = await patchRescale(d, id, 3);
    const watch = watchProgress(d, id, trigger);
    // In the middle of the rescale proper: its checkpoint is in flight, added subtasks run, nothing is final yet.
    const phase = await explain(d, id, watch.until(/switching|loading/));
    process.kill(jm!.pid, 'SIGKILL');
    // The TaskManagers the job process leaves (the new one starts a second later: none of its own yet).
    const atKill = await taskManagerPids(id);
    // The input keeps arriving while the job process is replaced (Redis holds it): all of it, so the reference holds.
    await rest.finish();
    const status = await completed(d, id, trigger, 30_000);
    await watch.stop();
    console.log(`2: killed the job process at "${phase}"; ${JSON.stringify(status.operation['failure-cause']).slice(0, 200)}`);
    expect(status.operation['failure-cause'].class).toBe('JobProcessLost');
    expect(status.operation['failure-cause']['stack-trace']).toMatch(/the job process running this operation died; a new job process restored the job/);
    await explain(d, id, waitFor('the job running in a new job process', async () => {
      const [now] = await processesMatching(`ebbflow-jobmaster ${id}`);
      return now && now.pid !== jm!.pid && (await json(await fetch(`${d.url}/jobs/${id}`))).state === 'RUNNING' ? true : undefined;
    }, 30_000));
    // The TaskManagers of the old job process re-registered with the new one, which runs the job on them
    // (those beyond what it restored released as idle) and started none.
    const now = await taskManagerPids(id);
    expect(now.length).toBeGreaterThanOrEqual(oldTms.length);
    expect(now.every((p) => atKill.includes(p)), `TaskManagers at the kill: ${atKill}, now: ${now}`).toBe(true);
    await expectReferenceAlerts(d, id, s);
    await cancelJob(d, id);
  });

  it('checkpoints fail: the request fails with the checkpoint failure and the job keeps running untouched', async () => {
    const s = scenario(`${tag}-3`, 45, 3000);
    await writeTransactions(d.redis, s.txns);
    const id = await startFraudJob(d, jar, s, 2, {
      ...FAST, 'state.checkpoints.dir': '/dev/null/not-a-directory', 'execution.checkpointing.tolerable-failed-checkpoints': 1000,
    }, 0);
    await explain(d, id, waitFor('a failed checkpoint', async () => ((await json(await fetch(`${d.url}/jobs/${id}/checkpoints`))).counts.failed >= 1 ? true : undefined)));
    const before = await subtaskIdentities(d, id);
    const pids = await taskManagerPids(id);

    const trigger = await patchRescale(d, id, 3);
    const cause = failureOf(await completed(d, id, trigger));
    expect(cause).toMatch(/needs a successful checkpoint first/);
    expect(cause).toMatch(/cannot create checkpoint directory \/dev\/null\/not-a-directory/);

    const job = await jobState(d, id);
    expect(job.state).toBe('RUNNING');
    expect(job.timestamps.RESTARTING).toBe(0);
    expect(await parallelisms(d, id)).toEqual([2, 2]);
    expect(await subtaskIdentities(d, id)).toEqual(before);
    expect(await exceptionEntries(d, id)).toEqual([]);
    // The TaskManager started for the rescale is released again.
    await explain(d, id, waitFor('the original TaskManagers only', async () => (sameList(await taskManagerPids(id), pids) ? true : undefined), 10_000));
    await cancelJob(d, id);
  });

  it('a second request while one is in progress runs after it, in order', async () => {
    const s = scenario(`${tag}-4`, 46, 12_000);
    await writeTransactions(d.redis, s.txns.slice(0, 2000));
    const id = await startFraudJob(d, jar, s, 2, FAST);
    const rest = trickle(d.redis, s.txns.slice(2000));

    const first = await patchRescale(d, id, 3);
    const second = await patchRescale(d, id, 1);
    expect((await rescaleStatus(d, id, second)).status.id).toBe('IN_PROGRESS');
    const a = await completed(d, id, first);
    expect(a.operation['failure-cause'], JSON.stringify(a.operation)).toBeUndefined();
    const b = await completed(d, id, second);
    expect(b.operation['failure-cause'], JSON.stringify(b.operation)).toBeUndefined();
    const vertices = Object.keys(a.operation.parallelism.after);
    expect(a.operation.parallelism.before).toEqual(Object.fromEntries(vertices.map((v) => [v, 2])));
    expect(a.operation.parallelism.after).toEqual(Object.fromEntries(vertices.map((v) => [v, 3])));
    // The second started from what the first left.
    expect(b.operation.parallelism.before).toEqual(a.operation.parallelism.after);
    expect(b.operation.parallelism.after).toEqual(Object.fromEntries(vertices.map((v) => [v, 1])));
    expect(b.operation.checkpointId).toBeGreaterThan(a.operation.checkpointId);
    expect(await parallelisms(d, id)).toEqual([1, 1]);
    await explain(d, id, waitFor('one TaskManager', async () => ((await taskManagerPids(id)).length === 1 ? true : undefined), 10_000));
    await rest.finish();
    await expectReferenceAlerts(d, id, s);
    expect(await exceptionEntries(d, id)).toEqual([]);
    await cancelJob(d, id);
  });

  it('a parallelism the resource provider cannot give fails after the resource wait timeout and leaves the job as it was', async () => {
    const s = scenario(`${tag}-5`, 47, 8000);
    await writeTransactions(d.redis, s.txns.slice(0, 2000));
    // (A start waits as long for its slots; a short stabilization timeout lets it start with fewer and scale up.)
    const id = await startFraudJob(d, jar, s, 2, {
      ...FAST, 'jobmanager.adaptive-scheduler.resource-wait-timeout': '1500 ms', 'jobmanager.adaptive-scheduler.resource-stabilization-timeout': '500 ms',
    });
    const rest = trickle(d.redis, s.txns.slice(2000));
    const before = await subtaskIdentities(d, id);
    const pids = await taskManagerPids(id);

    // The provider runs at most 3 TaskManagers per job: it starts one more, never the fourth.
    const t0 = Date.now();
    const trigger = await patchRescale(d, id, 4);
    const cause = failureOf(await completed(d, id, trigger));
    const took = Date.now() - t0;
    expect(cause).toMatch(/could not get 4 slot\(s\) within 1500 ms \(jobmanager\.adaptive-scheduler\.resource-wait-timeout\)/);
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(6000);

    const job = await jobState(d, id);
    expect(job.state).toBe('RUNNING');
    expect(job.timestamps.RESTARTING).toBe(0);
    expect(await parallelisms(d, id)).toEqual([2, 2]);
    expect(await subtaskIdentities(d, id)).toEqual(before);
    // The TaskManager it did start is released, and the one it asked for in vain is withdrawn.
    await explain(d, id, waitFor('the original TaskManagers only', async () => (sameList(await taskManagerPids(id), pids) ? true : undefined), 10_000));
    await rest.finish();
    await expectReferenceAlerts(d, id, s);
    expect(await exceptionEntries(d, id)).toEqual([]);
    await cancelJob(d, id);
  });

  it('cancel during a rescale: the job is CANCELED, no process is left, the request completes with a failure', async () => {
    const s = scenario(`${tag}-6`, 48, 4000);
    await writeTransactions(d.redis, s.txns.slice(0, 2000));
    const id = await startFraudJob(d, jar, s, 2, FAST);
    const rest = trickle(d.redis, s.txns.slice(2000));

    const trigger = await patchRescale(d, id, 3);
    const watch = watchProgress(d, id, trigger);
    // While the TaskManager for the added subtasks is being started.
    const phase = await explain(d, id, watch.until(/waiting for 3 slot/));
    await cancelJob(d, id);
    await rest.stop();
    const status = await completed(d, id, trigger);
    await watch.stop();
    console.log(`6: cancelled at "${phase}"; ${JSON.stringify(status.operation['failure-cause']).slice(0, 200)}`);
    expect(status.operation['failure-cause']).toBeDefined();
    // Either the job process recorded why ("the job is ending (CANCELED)"), or it ended first and the dispatcher answers JobEnded.
    expect(status.operation['failure-cause']['stack-trace']).toMatch(/the job is ending \(CANCELED\)|the job ended \(CANCELED\)/);
  });
});
