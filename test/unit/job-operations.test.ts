/**
 * The job process's Flink-CLI operations against the control plane's fakes: a checkpoint on
 * request answers its id; stop with drain asks the sources to drain at the final savepoint and the
 * job FINISHES; a drain savepoint that fails restarts the job (its sources read no more), a plain
 * stop that fails leaves the job running.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TestingCluster } from '../helpers/testing-cluster.js';
import { waitFor } from '../helpers/wait-for.js';

let cluster: TestingCluster | undefined;
afterEach(async () => { await cluster?.stop(); cluster = undefined; });

describe('operations of the Flink CLI', () => {
  it('a checkpoint on request completes with its id, as an ordinary (not draining) checkpoint', async () => {
    cluster = await TestingCluster.start();
    const op = cluster.ops.submit({ kind: 'checkpoint' });
    const { result } = await op.done;
    const id = Number(result!.checkpointId);
    expect(Number.isSafeInteger(id) && id > 0).toBe(true);
    expect(cluster.triggers.filter((t) => t.checkpointId === id).every((t) => !t.drain)).toBe(true);
    expect(cluster.triggers.some((t) => t.checkpointId === id)).toBe(true);
  });

  it('stop with drain triggers the final savepoint with drain, and the job finishes', async () => {
    cluster = await TestingCluster.start();
    const op = cluster.ops.submit({ kind: 'stop', drain: true });
    const { location } = await op.done;
    expect(location).toMatch(/savepoint-/);
    const drained = cluster.triggers.filter((t) => t.drain);
    expect(drained.length).toBeGreaterThan(0);
    expect(new Set(drained.map((t) => t.checkpointId)).size).toBe(1);
    // Nothing after it.
    expect(Math.max(...cluster.triggers.map((t) => t.checkpointId))).toBe(drained[0]!.checkpointId);
    await cluster.waitForState('FINISHED');
  });

  it('a drain savepoint that fails restarts the job; a plain stop that fails leaves it running', async () => {
    cluster = await TestingCluster.start({ configuration: { 'execution.checkpointing.timeout': '300 ms' } });
    const c = cluster;
    const silent = () => false;
    c.answers.ack = silent; // no subtask acknowledges: the savepoint expires
    const plain = c.ops.submit({ kind: 'stop' });
    await expect(plain.done).rejects.toThrow(/expired/);
    expect(c.registry.count('RESTARTING' as never)).toBe(0);
    c.answers.ack = () => true;
    const before = c.triggers.length;
    await waitFor('periodic checkpoints to go on', () => c.triggers.length > before);
    expect(c.registry.count('RESTARTING' as never)).toBe(0);

    c.answers.ack = silent;
    const drain = c.ops.submit({ kind: 'stop', drain: true });
    await expect(drain.done).rejects.toThrow(/expired/);
    c.answers.ack = () => true;
    await c.waitForState('RESTARTING');
    await c.waitForState('RUNNING', 2);
  });
});
