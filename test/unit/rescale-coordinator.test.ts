/**
 * The in-place rescale procedure without processes (testing TaskManagers answer like real ones
 * unless a test makes them fail): a failure before the switch is rolled back with no restart, a
 * failure after it restarts the job from the rescale checkpoint at the new scale, a TaskManager lost
 * while its subtasks load state restarts the job the same way, and a second request waits for the first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TestingCluster, type FakeExecution } from '../helpers/testing-cluster.js';
import { waitFor } from '../helpers/wait-for.js';

let cluster: TestingCluster | undefined;
afterEach(async () => { await cluster?.stop(); cluster = undefined; });

const running = (c: TestingCluster) => [...c.executions.values()].filter((e) => e.state === 'RUNNING');
const rescale = (c: TestingCluster, parallelism: number) => c.ops.submit({ kind: 'rescale', parallelism });

describe('rescale coordinator', () => {
  it('rescales 2 → 3 in place: added subtasks deployed, the others prepared, nothing restarted', async () => {
    cluster = await TestingCluster.start();
    const c = cluster;
    const kept = running(c);
    const { result } = await rescale(c, 3).done as { result: { parallelism: { after: Record<string, number> }; subtasks: Record<string, number>; checkpointId: number } };
    const [src, win] = c.vertices;
    expect(result.parallelism.after).toEqual({ [src]: 3, [win]: 3 });
    expect(result.subtasks).toEqual({ kept: 4, added: 2, retired: 0 });
    expect(c.parallelism()).toEqual([3, 3]);
    expect(kept.every((e) => e.state === 'RUNNING' && e.prepared?.checkpointId === result.checkpointId)).toBe(true);
    expect(c.registry.count('RESTARTING')).toBe(0);
    expect(c.registry.job.resourceRequirements![win]!.parallelism.upperBound).toBe(3);
  });

  it('a failure before the switch is rolled back: added subtasks cancelled, the job goes on at its scale, no restart', async () => {
    cluster = await TestingCluster.start();
    const c = cluster;
    const win = c.vertices[1];
    c.answers.prepare = (e) => (e.vertexId === win && e.subtaskIndex === 0 ? 'Error: cannot take the new configuration' : '');
    const op = rescale(c, 3);
    await expect(op.done).rejects.toThrow('a subtask could not take the new configuration: Error: cannot take the new configuration');
    const added = [...c.executions.values()].filter((e) => e.loadAfter > 0);
    expect(added).toHaveLength(2);
    const tm3 = c.tm('0cafe000-taskmanager-00003').gateway;
    expect(tm3.sent('cancel').sort()).toEqual(added.map((e) => e.id).sort());
    expect(c.parallelism()).toEqual([2, 2]);
    expect(c.registry.count('RESTARTING')).toBe(0);
    expect(c.registry.job.state).toBe('RUNNING');
    // The TaskManager started for the request is released again (not a failure).
    await waitFor('the idle TaskManager to be released', () => tm3.sent('release').length === 1 && c.driver.released.includes('0cafe000-taskmanager-00003'));
    expect(c.registry.job.resourceRequirements![win]!.parallelism.upperBound).toBe(2);
  });

  it('a failure after the switch restarts the job from the rescale checkpoint, at the new scale', async () => {
    cluster = await TestingCluster.start({ configuration: { 'execution.checkpointing.timeout': '400 ms' } });
    const c = cluster;
    const win = c.vertices[1];
    // The added window subtask never reports its state loaded.
    c.answers.load = (e, id) => !(e.loadAfter === id && e.vertexId === win);
    const op = rescale(c, 3);
    const err = await op.done.then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/^rescale at checkpoint (\d+) failed: timed out after 400 ms waiting for every subtask to switch and load the state it gained, and retired ones to end$/);
    const n = Number(/checkpoint (\d+)/.exec(err!.message)![1]);
    await c.waitForState('RUNNING', 2);
    expect(c.registry.states).toEqual(['CREATED', 'RUNNING', 'RESTARTING', 'RUNNING']);
    const restarted = running(c);
    expect(restarted.map((e) => [e.attempt, e.restorePath.replace(/.*\//, "")])).toEqual(restarted.map(() => [1, `chk-${n}`]));
    expect(c.parallelism()).toEqual([3, 3]);
    // Checkpoint n completed, so the request took effect: the requirements follow the scale the job resumed at.
    expect(c.registry.job.resourceRequirements![win]!.parallelism.upperBound).toBe(3);
  });

  it('a TaskManager lost while its added subtasks load restarts the job from the rescale checkpoint', async () => {
    cluster = await TestingCluster.start();
    const c = cluster;
    let loading: FakeExecution[] = [];
    c.answers.load = (e, id) => { if (e.loadAfter === id) { loading.push(e); return false; } return true; };
    const op = rescale(c, 3);
    await waitFor('the added subtasks to be loading', () => loading.length === 2);
    const n = loading[0]!.loadAfter;
    expect(new Set(loading.map((e) => e.resourceId))).toEqual(new Set(['0cafe000-taskmanager-00003']));
    c.kill('0cafe000-taskmanager-00003');
    await expect(op.done).rejects.toThrow(`rescale at checkpoint ${n} failed: the job is restarting: lost the connection to TaskManager 0cafe000-taskmanager-00003 (pid 4242)`);
    loading = [];
    await c.waitForState('RUNNING', 2);
    expect(c.driver.requested.at(-1)!.resourceId).toBe('0cafe000-taskmanager-00004');
    expect(running(c).every((e) => e.restorePath.endsWith(`chk-${n}`))).toBe(true);
    expect(c.parallelism()).toEqual([3, 3]);
    expect(c.registry.job.exceptions!.at(-1)).toMatchObject({ taskName: '0cafe000-taskmanager-00003' });
  });

  it('a second request waits until the first is done, then runs', async () => {
    cluster = await TestingCluster.start();
    const c = cluster;
    const prepared: Array<{ checkpointId: number; firstDone: boolean }> = [];
    const first = rescale(c, 3);
    const second = rescale(c, 4);
    c.answers.prepare = (e) => { prepared.push({ checkpointId: e.prepared!.checkpointId, firstDone: first.settled !== undefined }); return ''; };
    const a = (await first.done).result as { checkpointId: number };
    const b = (await second.done).result as { checkpointId: number; parallelism: { before: Record<string, number> } };
    expect(b.checkpointId).toBeGreaterThan(a.checkpointId);
    expect(Object.values(b.parallelism.before)).toEqual([3, 3]);
    expect(prepared.filter((p) => p.checkpointId === a.checkpointId).every((p) => !p.firstDone)).toBe(true);
    expect(prepared.filter((p) => p.checkpointId === b.checkpointId).every((p) => p.firstDone)).toBe(true);
    expect(prepared.filter((p) => p.checkpointId === b.checkpointId)).toHaveLength(6);
    expect(c.parallelism()).toEqual([4, 4]);
  });

  it('leaves periodic checkpoints on their ticks: the one after the rescale is not moved to its end', async () => {
    // Interval 400 ms; the rescale is asked for 100 ms after a periodic checkpoint and preparing it
    // takes 100 ms. Restarting the schedule at the rescale's end (~200 ms after that checkpoint)
    // would shift every later checkpoint, and with it when output of key groups that did not move
    // is published, by ~200 ms.
    cluster = await TestingCluster.start({ configuration: { 'execution.checkpointing.interval': 400 } });
    const c = cluster;
    c.answers.prepareMs = 100;
    const seen = c.triggers.length;
    await waitFor('a periodic checkpoint', () => c.triggers.length > seen, 5000);
    const before = c.triggers.at(-1)!;
    await new Promise((r) => setTimeout(r, before.at + 100 - Date.now()));
    const { result } = await rescale(c, 3).done as { result: { checkpointId: number } };
    const after = await waitFor('a periodic checkpoint after the rescale', () => c.triggers.find((t) => t.checkpointId > result.checkpointId), 5000);
    const d = after.at - before.at;
    const off = d % 400;
    expect(Math.min(off, 400 - off), `the periodic checkpoints before and after the rescale started ${d} ms apart`).toBeLessThan(80);
    expect(c.parallelism()).toEqual([3, 3]);
  });

  describe('in batches (rescale.migration.max-batch-bytes)', () => {
    const BATCHED = { 'rescale.migration.max-batch-bytes': 10_000 };
    type Batched = { checkpointId: number; keyGroups: { moved: number }; subtasks: Record<string, number>; batches: Array<{ checkpointId: number; keyGroups: number; stateBytes: number }> };

    it('2 → 3 → 1: the moves go in batches of at most the limit, one rescale checkpoint each, and the job ends at the new scale unrestarted', async () => {
      cluster = await TestingCluster.start({ keyGroupBytes: 1000, configuration: BATCHED });
      const c = cluster;
      const prepared = new Map<number, number>();
      c.answers.prepare = (e) => { prepared.set(e.prepared!.checkpointId, (prepared.get(e.prepared!.checkpointId) ?? 0) + 1); return ''; };
      const up = (await rescale(c, 3).done).result as Batched;
      // 42 key groups of 1000 bytes move, at most 10 per batch.
      expect(up.keyGroups.moved).toBe(42);
      expect(up.batches.map((b) => b.keyGroups)).toEqual([10, 10, 10, 10, 2]);
      expect(up.batches.map((b) => b.checkpointId)).toEqual([...prepared.keys()]);
      expect(up.checkpointId).toBe(up.batches.at(-1)!.checkpointId);
      expect(up.subtasks).toEqual({ kept: 4, added: 2, retired: 0 });
      expect(c.parallelism()).toEqual([3, 3]);

      prepared.clear();
      const down = (await rescale(c, 1).done).result as Batched;
      expect(down.batches.length).toBeGreaterThan(5);
      expect(down.batches.reduce((s, b) => s + b.keyGroups, 0)).toBe(down.keyGroups.moved);
      expect(down.subtasks).toEqual({ kept: 2, added: 0, retired: 4 });
      expect(c.parallelism()).toEqual([1, 1]);
      expect(c.registry.count('RESTARTING')).toBe(0);
    });

    it('with rescale.migration.pace=checkpoint-interval each batch\'s checkpoint takes the place of a periodic one, on its tick', async () => {
      cluster = await TestingCluster.start({ keyGroupBytes: 1000, configuration: { ...BATCHED, 'execution.checkpointing.interval': 200, 'rescale.migration.pace': 'checkpoint-interval' } });
      const c = cluster;
      const seen = c.triggers.length;
      await waitFor('a periodic checkpoint', () => c.triggers.length > seen, 5000);
      const up = (await rescale(c, 3).done).result as Batched;
      expect(up.batches.map((b) => b.keyGroups)).toEqual([10, 10, 10, 10, 2]);
      const starts = new Map<number, number>();
      for (const t of c.triggers) if (!starts.has(t.checkpointId)) starts.set(t.checkpointId, t.at);
      const ids = [...starts.keys()].filter((id) => id >= up.batches[0]!.checkpointId && id <= up.checkpointId).sort((a, b) => a - b);
      // Only the batches' checkpoints ran meanwhile, each on a tick of the schedule (a whole number of intervals apart).
      expect(ids).toEqual(up.batches.map((b) => b.checkpointId));
      for (let i = 1; i < ids.length; i++) {
        const d = starts.get(ids[i]!)! - starts.get(ids[i - 1]!)!;
        expect(d).toBeGreaterThan(140);
        const off = d % 200;
        expect(Math.min(off, 200 - off), `batch checkpoints ${ids[i - 1]} → ${ids[i]} ${d} ms apart`).toBeLessThan(60);
      }
      expect(c.parallelism()).toEqual([3, 3]);
    });

    it('a batch after the first that fails restarts the job from its latest completed checkpoint (the scale the batches before reached)', async () => {
      cluster = await TestingCluster.start({ keyGroupBytes: 1000, configuration: { ...BATCHED, 'execution.checkpointing.timeout': '400 ms' } });
      const c = cluster;
      let rescaleCheckpoints = 0;
      c.answers.prepare = (e) => {
        if (e.vertexId === c.vertices[1] && e.subtaskIndex === 0 && ++rescaleCheckpoints === 3) return 'Error: cannot take the new configuration';
        return '';
      };
      const err = await rescale(c, 3).done.then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/^rescale at checkpoint \d+ failed: a subtask could not take the new configuration: Error: cannot take the new configuration$/);
      await c.waitForState('RUNNING', 2);
      expect(c.registry.states).toEqual(['CREATED', 'RUNNING', 'RESTARTING', 'RUNNING']);
      // The first batch gave the job its new parallelism; the restart rebalances the key groups.
      expect(c.parallelism()).toEqual([3, 3]);
    });
  });
});
