/**
 * A running fraud-detection job whose TaskManagers' data ports receive well-formed channel headers
 * that name no channel served to the sender: an edge the job does not have, a producer beyond the
 * edge, another consumer execution, a producer that is connected already, a producer that runs on
 * the consumer's own TaskManager and — after a TaskManager
 * was killed and the job restarted — the earlier attempt. Each is refused with its reason (sent back
 * in a refusal frame, logged by the TaskManager), nothing reaches a gate, and the alerts equal the
 * reference exactly.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts } from '../../examples/fraud-detection/reference.js';
import { decodeRefusal, encodeFrame, FrameDecoder, type ChannelHeader } from '../../runtime/network/frames.js';
import type { JobGraph } from '../../runtime/job-graph.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { fraudArgs, FRAUD_BUNDLE, OOO, readAlerts, runJar, uploadFraud, W, waitForCheckpoints, waitForState } from '../helpers/fraud.js';

let d: TestDispatcher;
const prefix = `ebbtest-dpfence-${randomBytes(4).toString('hex')}`;

beforeAll(async () => { d = await startTestDispatcher(); });
afterAll(async () => {
  await d?.redis && deleteKeys(d.redis, `${prefix}*`);
  await d?.close();
});

/** The job graph of the fraud bundle as the build plans it (in a child process: the bundle is not for vite to load). */
function planFraud(args: string[]): JobGraph {
  const planner = fileURLToPath(new URL('../../dist/runtime/plan.js', import.meta.url));
  const script = `const { planJob } = await import(${JSON.stringify(planner)});
    const p = await planJob({ bundlePath: ${JSON.stringify(fileURLToPath(FRAUD_BUNDLE))}, programArgs: ${JSON.stringify(args)}, parallelism: 2 });
    process.stdout.write(JSON.stringify(p.graph));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as JobGraph;
}

/** Sends a channel header to host:port; resolves with the refusal reason once the peer closed the connection. */
function refusalOf(port: number, header: ChannelHeader): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let reason: string | undefined;
    let credits = 0;
    const decoder = new FrameDecoder(4096, '', 'frame');
    const s = connect({ host: '127.0.0.1', port }, () => s.write(encodeFrame(Buffer.from(JSON.stringify(header), 'utf8'))));
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`port ${port} kept ${JSON.stringify(header)} open (${credits} credits)`)); }, 10_000);
    s.on('data', (chunk) => { for (const f of decoder.push(chunk)) if (f.length === 4) credits += f.readUInt32BE(0); else reason = decodeRefusal(f); });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve(reason); });
  });
}

interface Consumer { subtask: number; port: number; executionId: string; attempt: number }

async function consumersOf(jobId: string, vertexId: string): Promise<Consumer[]> {
  const v = await json(await fetch(`${d.url}/jobs/${jobId}/vertices/${vertexId}`));
  return v.subtasks.map((s: any) => ({ subtask: s.subtask, port: Number(String(s.host).split(':').at(-1)), executionId: s['execution-id'], attempt: s.attempt }));
}

describe('fencing on the data plane of a running job', () => {
  it('refuses headers of unknown edges, out-of-range producers, other executions, connected or local producers and stale attempts; alerts stay exact', async () => {
    const jar = await uploadFraud(d);
    const streams = [0, 1, 2, 3].map((i) => `${prefix}-in-${i}`);
    const output = `${prefix}-alerts`;
    const txns = generateTransactions({ seed: 23, count: 12_000, streams });
    const all = [...txns, ...endMarkers(streams, Math.max(...txns.map((t) => t.ts)) + W + OOO + 1)];
    const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
    const half = Math.floor(txns.length / 2);
    await writeTransactions(d.redis, all.slice(0, half));
    const args = fraudArgs(d.redisUrl, streams, output);
    const run = await runJar(d, jar, { parallelism: 2, programArgsList: args, flinkConfiguration: { 'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms' } });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id: string = run.body.jobid;
    await waitForState(d, id, 'RUNNING');
    await waitForCheckpoints(d, id, 1);

    // The job's edges as its TaskManagers know them (ids derive from the vertex ids REST shows).
    const graph = planFraud(args);
    const job = await json(await fetch(`${d.url}/jobs/${id}`));
    expect(job.vertices.map((v: any) => v.id)).toEqual(graph.vertices.map((v) => v.id));
    const edge = graph.edges.find((e) => e.partitioning === 'HASH')!;
    const maxParallelism = job.vertices.find((v: any) => v.id === edge.target).maxParallelism;
    const consumers = await consumersOf(id, edge.target);
    expect(consumers).toHaveLength(2);
    expect(new Set(consumers.map((c) => c.port)).size).toBe(2);

    for (const c of consumers) {
      // The other subtask's producer is remote to this consumer, and connected.
      const remoteProducer = 1 - c.subtask;
      const header: ChannelHeader = { edgeId: `${edge.id}#0`, consumer: c.subtask, producer: remoteProducer, consumerExecution: c.executionId };
      const channel = (h: ChannelHeader) => `channel ${h.edgeId} (consumer ${h.consumer}, producer ${h.producer})`;
      const unknown = { ...header, edgeId: `${'0'.repeat(32)}#0` };
      expect(await refusalOf(c.port, unknown)).toBe(`${channel(unknown)}: the job has no edge ${'0'.repeat(32)}`);
      const beyond = { ...header, producer: maxParallelism };
      expect(await refusalOf(c.port, beyond)).toBe(`${channel(beyond)}: producer ${maxParallelism} is outside the edge (at most ${maxParallelism} producers)`);
      const other = { ...header, consumerExecution: 'f'.repeat(32) };
      expect(await refusalOf(c.port, other)).toBe(`${channel(other)}: it names consumer execution ${'f'.repeat(32)}, but the consumer deployed here is execution ${c.executionId}`);
      expect(await refusalOf(c.port, header)).toBe(`${channel(header)}: that producer is connected already`);
      // Slot sharing: the producer with the consumer's own index runs on its TaskManager and writes in memory.
      const local = { ...header, producer: c.subtask };
      expect(await refusalOf(c.port, local)).toBe(`${channel(local)}: producer ${c.subtask} runs on this TaskManager (its channel is in memory, never a connection)`);
    }

    // A TaskManager dies: the job restarts (attempt 1). Attempt 0's channels are stale on the TaskManager that stayed.
    const tms = await processesMatching(`ebbflow-taskmanager ${id}`);
    expect(tms).toHaveLength(2);
    process.kill(tms[0]!.pid, 'SIGKILL');
    await writeTransactions(d.redis, all.slice(half));
    const restarted = await waitFor('the restarted attempt to run', async () => {
      const cs = await consumersOf(id, edge.target).catch(() => []);
      const j = await json(await fetch(`${d.url}/jobs/${id}`));
      return j.state === 'RUNNING' && cs.length === 2 && cs.every((c) => c.attempt === 1 && c.port > 0) ? cs : undefined;
    }, 60_000);
    const survivorPorts = new Set(consumers.map((c) => c.port));
    const survivor = restarted.find((c) => survivorPorts.has(c.port)) ?? restarted[0]!;
    const stale: ChannelHeader = { edgeId: `${edge.id}#0`, consumer: survivor.subtask, producer: 1 - survivor.subtask, consumerExecution: survivor.executionId };
    expect(await refusalOf(survivor.port, stale)).toBe(`channel ${edge.id}#0 (consumer ${survivor.subtask}, producer ${1 - survivor.subtask}): attempt 0 is stale (this TaskManager runs attempt 1)`);

    await waitFor(`${expected.length} alerts`, async () => ((await d.redis.xlen(output)) >= expected.length ? true : undefined), 60_000);
    // A few more checkpoints: duplicates, if any, would show now.
    const stats = await json(await fetch(`${d.url}/jobs/${id}/checkpoints`));
    await waitForCheckpoints(d, id, stats.counts.completed + 3);
    expect(sortAlerts(await readAlerts(d.redis, output))).toEqual(expected);
    const exceptions = await json(await fetch(`${d.url}/jobs/${id}/exceptions`));
    // One restart, for the killed TaskManager; none for the refused connections.
    expect(exceptions.exceptionHistory.entries).toHaveLength(1);
    expect(exceptions.exceptionHistory.entries[0].stacktrace).toMatch(/TaskManager taskmanager-0000[12]/);

    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitForState(d, id, 'CANCELED');
    await waitFor('TaskManagers gone', async () => ((await processesMatching(`ebbflow-taskmanager ${id}`)).length === 0 ? true : undefined), 10_000);
  });
});
