/**
 * Issue 14, defects 2 and 3, as an attacker on the same host would try them against a running
 * exactly-once fraud-detection job:
 *  (a) a raw client on the JobMaster's RPC port registers as an existing TaskManager and as the
 *      next one (`<job id's first 8 hex>-taskmanager-0000N`, the public job id);
 *  (b) a raw client on each TaskManager's data port names a real channel (its id derived from the
 *      vertex ids REST returns), sends a forged transfer and END for every producer.
 * Each connection is closed having received nothing but the handshake challenge, the refusals are
 * logged with the remote address, the job runs on without a restart on the same TaskManagers, and
 * the alerts equal the independent computation. No secret is on a command line or in a TaskManager's
 * environment, and the dispatcher's job-secret file is gone once the job process read it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import protobuf from 'protobufjs/minimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarkers, generateTransactions, writeTransactions } from '../../examples/fraud-detection/generator.js';
import { expectedAlerts, sortAlerts } from '../../examples/fraud-detection/reference.js';
import { Envelope } from '../../rpc/index.js';
import { END, RECORD } from '../../runtime/elements.js';
import { encodeBatch, encodeFrame } from '../../runtime/network/frames.js';
import { deleteKeys, json, processesMatching, startTestDispatcher, waitFor, type TestDispatcher } from '../helpers/dispatcher.js';
import { fraudArgs, jobProcessPorts, OOO, readAlerts, runJar, taskManagersWithDataPorts, uploadFraud, W, waitForCheckpoints, waitForState } from '../helpers/fraud.js';

let d: TestDispatcher;
const prefix = `ebbtest-auth-${randomBytes(4).toString('hex')}`;

beforeAll(async () => { d = await startTestDispatcher(); });
afterAll(async () => {
  await d?.redis && deleteKeys(d.redis, `${prefix}*`);
  await d?.close();
});

/** The bytes of the server's handshake challenge: a 2-byte length (36), "EBH1", a 32-byte nonce. */
const isChallengeOnly = (b: Buffer) => b.length === 38 && b.readUInt16BE(0) === 36 && b.subarray(2, 6).toString() === 'EBH1';

/** Sends `bytes` without a handshake; resolves with everything the server sent once it closed the connection. */
function attack(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const s = connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`port ${port} kept the attacker's connection open (received ${Buffer.concat(got).length} bytes)`)); }, 15_000);
    s.on('data', (b: Buffer) => got.push(b));
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(got)); });
  });
}

const delimited = (msg: Parameters<typeof Envelope.encodeDelimited>[0]) => {
  const w = protobuf.Writer.create();
  Envelope.encodeDelimited(msg, w);
  return Buffer.from(w.finish());
};

describe('authenticated internal channels', () => {
  it('refuses forged registrations and injected data-channel frames; the exactly-once output stays exact', async () => {
    const jar = await uploadFraud(d);
    const streams = [0, 1, 2, 3].map((i) => `${prefix}-in-${i}`);
    const output = `${prefix}-alerts`;
    const txns = generateTransactions({ seed: 14, count: 8000, streams });
    const all = [...txns, ...endMarkers(streams, Math.max(...txns.map((t) => t.ts)) + W + OOO + 1)];
    const expected = expectedAlerts(all, { windowMs: W, thresholdCents: 10_000_00, maxOutOfOrdernessMs: OOO, streams });
    const half = Math.floor(txns.length / 2);
    await writeTransactions(d.redis, all.slice(0, half));
    const run = await runJar(d, jar, {
      parallelism: 2, programArgsList: fraudArgs(d.redisUrl, streams, output),
      flinkConfiguration: { 'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms' },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id: string = run.body.jobid;
    await waitForState(d, id, 'RUNNING');
    await waitForCheckpoints(d, id, 1);
    const tms = await taskManagersWithDataPorts(d, id, 2);
    const tmProcs = await processesMatching(`ebbflow-taskmanager ${id}`);
    const pids = tmProcs.map((p) => p.pid).sort();
    const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
    const rpcPorts = await jobProcessPorts(id);
    expect(rpcPorts).toHaveLength(1);

    // (a) Registration as an existing TaskManager and as the next one, with the right job id.
    for (const resourceId of [1, 2, 3].map((n) => `${id.slice(0, 8)}-taskmanager-0000${n}`)) {
      const answer = await attack(rpcPorts[0]!, delimited({ register: { resourceId, jobId: id, slots: 8, pid: 1, dataHost: '127.0.0.1', dataPort: 1 } }));
      expect(isChallengeOnly(answer), `the JobMaster answered a forged registration as ${resourceId} with ${answer.length} bytes`).toBe(true);
    }

    // (b) The channel ids of the keyed edge, derived from the vertex ids REST returns (attempt 0), on every consumer.
    const job = await json(await fetch(`${d.url}/jobs/${id}`));
    const [source, window] = job.vertices.map((v: any) => v.id);
    const edgeId = `${createHash('sha256').update(`edge:0:${source}:${window}`).digest('hex').slice(0, 32)}#0`;
    const forged = { from: 'mallory', to: 'eve', cents: 999_999_999, ts: txns[0]!.ts };
    for (const tm of tms) {
      for (const consumer of [0, 1]) {
        for (const producer of [0, 1]) {
          const bytes = Buffer.concat([
            encodeFrame(Buffer.from(JSON.stringify({ edgeId, consumer, producer }))),
            encodeBatch([{ t: RECORD, v: forged, ts: forged.ts }]),
            encodeBatch([{ t: END }]),
          ]);
          const answer = await attack(tm.dataPort, bytes);
          expect(isChallengeOnly(answer), `a TaskManager answered an unauthenticated channel with ${answer.length} bytes`).toBe(true);
        }
      }
    }

    await writeTransactions(d.redis, all.slice(half));
    await waitFor(`${expected.length} alerts`, async () => ((await d.redis.xlen(output)) >= expected.length ? true : undefined), 90_000);
    const stats = await json(await fetch(`${d.url}/jobs/${id}/checkpoints`));
    await waitForCheckpoints(d, id, stats.counts.completed + 2);
    expect(sortAlerts(await readAlerts(d.redis, output))).toEqual(expected);
    const after = await json(await fetch(`${d.url}/jobs/${id}`));
    expect(after.state).toBe('RUNNING');
    expect(after.timestamps.RESTARTING ?? 0).toBe(0);
    expect((await json(await fetch(`${d.url}/jobs/${id}/exceptions`))).exceptionHistory.entries).toEqual([]);
    expect((await processesMatching(`ebbflow-taskmanager ${id}`)).map((p) => p.pid).sort()).toEqual(pids);

    // Refusals are logged with the remote address (and counted), by the JobMaster and by the TaskManagers.
    const logDir = join(d.dataDir, 'logs', id);
    const lines = (file: string) => readFileSync(join(logDir, file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const jmRefusals = lines('jobmaster.log').filter((l) => l.msg === 'closed an RPC connection that failed the handshake');
    expect(jmRefusals).toHaveLength(3);
    expect(jmRefusals.every((l) => /^127\.0\.0\.1:\d+$/.test(l.remote))).toBe(true);
    const tmRefusals = [1, 2].map((n) => `${id.slice(0, 8)}-taskmanager-0000${n}.log`).flatMap(lines).filter((l) => l.msg === 'closed a data connection that failed the handshake');
    expect(tmRefusals).toHaveLength(8);

    // Secrets: not on a command line, not in a TaskManager's environment, the job-secret file consumed.
    expect(existsSync(join(logDir, 'job-secret'))).toBe(false);
    for (const p of [...tmProcs, jm!]) {
      expect(readFileSync(`/proc/${p.pid}/cmdline`, 'utf8')).not.toMatch(/[0-9a-f]{64}/i);
      expect(readFileSync(`/proc/${p.pid}/environ`, 'utf8')).not.toMatch(/EBBFLOW_WORKER_SECRET|[0-9a-f]{64}/i);
    }

    expect((await fetch(`${d.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await waitForState(d, id, 'CANCELED');
    await waitFor('TaskManagers gone', async () => ((await processesMatching(`ebbflow-taskmanager ${id}`)).length === 0 ? true : undefined), 10_000);
  });
});
