/**
 * A running fraud-detection job whose TaskManagers' data ports are sent garbage six times over
 * (more than the restart strategy's five attempts), and whose JobMaster's RPC port is sent an
 * oversized length and an over-long varint: each bad connection is closed, no TaskManager dies,
 * the job stays RUNNING without a restart, and the alerts equal the reference.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts } from '../../examples/fraud-detection/reference.js';
import { encodeFrame } from '../../runtime/network/frames.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { fraudArgs, jobProcessPorts, OOO, readAlerts, runJar, taskManagersWithDataPorts, uploadFraud, W, waitForState } from '../helpers/fraud.js';

let d: TestDispatcher;
const prefix = `ebbtest-garbage-${randomBytes(4).toString('hex')}`;

beforeAll(async () => { d = await startTestDispatcher(); });
afterAll(async () => {
  await d?.redis && deleteKeys(d.redis, `${prefix}*`);
  await d?.close();
});

/** Sends `bytes` to host:port and resolves when the peer has closed the connection. */
function sendGarbage(host: string, port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => s.write(bytes));
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`${host}:${port} kept a garbage connection open`)); }, 10_000);
    s.on('error', () => {});
    // Read (and drop) what the server sends, its handshake challenge: a close is only seen by a reading client.
    s.resume();
    s.on('close', () => { clearTimeout(timer); resolve(); });
  });
}

describe('garbage on the data plane of a running job', () => {
  it('closes each garbage connection and the job runs on without a restart, with the reference alerts', async () => {
    const jar = await uploadFraud(d);
    const streams = [0, 1, 2, 3].map((i) => `${prefix}-in-${i}`);
    const output = `${prefix}-alerts`;
    const txns = generateTransactions({ seed: 11, count: 6000, streams });
    const all = [...txns, ...endMarkers(streams, Math.max(...txns.map((t) => t.ts)) + W + OOO + 1)];
    const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
    await writeTransactions(d.redis, all);
    const run = await runJar(d, jar, { parallelism: 2, programArgsList: fraudArgs(d.redisUrl, streams, output) });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id: string = run.body.jobid;
    await waitForState(d, id, 'RUNNING');
    const tms = await taskManagersWithDataPorts(d, id, 2);
    const pids = (await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort();

    for (let round = 0; round < 6; round++) {
      for (const tm of tms) {
        await sendGarbage('127.0.0.1', tm.dataPort, Buffer.from('this is not json\n'));
        await sendGarbage('127.0.0.1', tm.dataPort, encodeFrame(Buffer.from('this is not json\n')));
      }
    }

    const rpcPorts = await jobProcessPorts(id);
    expect(rpcPorts).toHaveLength(1);
    for (let round = 0; round < 6; round++) {
      // 2^34 declared, then 30 MB: refused at the length, not buffered.
      await sendGarbage('127.0.0.1', rpcPorts[0]!, Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x40]), Buffer.alloc(30 * 1024 * 1024, 1)]));
      await sendGarbage('127.0.0.1', rpcPorts[0]!, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    }

    await waitFor(`${expected.length} alerts`, async () => ((await d.redis.xlen(output)) >= expected.length ? true : undefined), 60_000);
    expect(sortAlerts(await readAlerts(d.redis, output))).toEqual(expected);
    const job = await json(await fetch(`${d.url}/jobs/${id}`));
    expect(job.state).toBe('RUNNING');
    expect(job.timestamps.RESTARTING ?? 0).toBe(0);
    const exceptions = await json(await fetch(`${d.url}/jobs/${id}/exceptions`));
    expect(exceptions.exceptionHistory.entries).toEqual([]);
    expect((await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort()).toEqual(pids);

    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitForState(d, id, 'CANCELED');
    await waitFor('TaskManagers gone', async () => ((await processesMatching(`ebbflow-taskmanager ${id}`)).length === 0 ? true : undefined), 10_000);
  });
});
