/**
 * Several dispatchers, one leader (docs/ha.md), end to end: three `ebbflow dispatcher` processes
 * against one Redis prefix and one HA storage directory. A write sent to a standby is forwarded to
 * the leader; the leader SIGKILLed idle, or between a run's acceptance and its job's start, is
 * replaced within the lease TTL plus a second and the job runs exactly once with the reference
 * alerts; the leader SIGSTOPped past its lease finds itself deposed when resumed, its late writes
 * are refused by the fence, and no job runs twice; the CLI given several URLs works when the
 * first dispatcher is dead.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeTransactions } from '../../examples/fraud-detection/generator.js';
import { CLI } from '../helpers/cli.js';
import { json, processesMatching, waitFor } from '../helpers/dispatcher.js';
import { expectReferenceAlerts, explain, scenario } from '../helpers/faults.js';
import { fraudArgs, FRAUD_BUNDLE, waitForCheckpoints, waitForState } from '../helpers/fraud.js';
import { HA_TIMINGS, HaCluster, type HaNode } from '../helpers/ha-cluster.js';
import { expectSpecResponse } from '../helpers/openapi.js';

let c: HaCluster;
let jar: string;
const tag = () => `${c.keyPrefix}t${Math.random().toString(16).slice(2, 8)}`;
const CONFIG = { 'execution.checkpointing.interval': 200, 'restart-strategy.fixed-delay.delay': '100 ms' };

beforeAll(async () => { c = new HaCluster(); await c.start(3); });
// Every test starts with three running dispatchers (one killed by the test before is replaced).
beforeEach(async () => { while (c && c.alive.length < 3) await c.startNode(); });
afterAll(async () => { await c?.close(); });

/** Samples the job processes of `id` every 20 ms until stopped; `max` is the most seen at once. */
function watchJobProcesses(id: string) {
  let max = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      max = Math.max(max, (await processesMatching(`ebbflow-jobmaster ${id}`)).length);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return { stop: async () => { stopped = true; await loop; return max; } };
}

async function uploadAt(node: HaNode): Promise<Response> {
  const form = new FormData();
  form.append('jarfile', new Blob([readFileSync(FRAUD_BUNDLE)]), 'fraud-detection.mjs');
  return fetch(`${node.url}/jars/upload`, { method: 'POST', body: form });
}

function cli(urls: string[], ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--url', urls.join(','), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => { stdout += b; });
    child.stderr.on('data', (b) => { stderr += b; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('three dispatchers, one leader', () => {
  it('agree on one leader; a standby serves reads and forwards writes (an upload, streamed) to the leader', async () => {
    const leader = await c.waitForLeader();
    const standby = c.alive.find((n) => n !== leader)!;
    const view = await c.view(standby);
    await expectSpecResponse('get', '/cluster/leader', 200, view);
    expect(view).toMatchObject({ highAvailability: 'redis', self: { leader: false }, leader: { url: leader.url }, writes: 'proxy' });
    expect(view.leader!.epoch).toBeGreaterThan(0);

    const res = await uploadAt(standby);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ebbflow-leader')).toBe(leader.url);
    jar = (await json(res)).filename;
    // The shared storage directory: every dispatcher lists it.
    for (const n of c.alive) expect((await json(await fetch(`${n.url}/jars`))).files.map((f: { id: string }) => f.id)).toContain(jar);
  });

  it('the leader SIGKILLed while idle: a standby leads within the lease TTL plus a second, with a larger epoch; the CLI with the dead URL first still works', async () => {
    const old = await c.waitForLeader();
    const epoch = (await c.view(old)).leader!.epoch;
    c.kill(old);
    const killedAt = Date.now();
    const next = await c.waitForLeader(HA_TIMINGS.leaseMs + 1000, old);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(HA_TIMINGS.leaseMs + 1000);
    expect((await c.view(next)).leader!.epoch).toBeGreaterThan(epoch);
    await waitFor('the dispatcher to exit', () => (old.dead ? true : undefined), 5000);

    const standby = c.alive.find((n) => n !== next)!;
    const listed = await cli([old.url, standby.url], 'jars', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).map((f: { id: string }) => f.id)).toContain(jar);
    // A write through the CLI: the dead URL is skipped, the standby forwards it, the leader answers (404: no such job).
    const cancel = await cli([old.url, standby.url], 'cancel', 'f'.repeat(32));
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/PATCH \/jobs\/f{32}\?mode=cancel → 404/);
    expect(cancel.stderr).not.toMatch(/cannot reach/);
  });

  it('the leader SIGKILLed during an upload: the cut-off upload is never listed, the client repeats it at a standby and it is stored once', async () => {
    const leader = await c.waitForLeader();
    const listIds = async (n: HaNode) => (await json(await fetch(`${n.url}/jars`))).files.map((f: { id: string }) => f.id) as string[];
    const before = await listIds(leader);
    const boundary = 'ebbflow-ha-test';
    const bytes = readFileSync(FRAUD_BUNDLE);
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="jarfile"; filename="fraud-detection.mjs"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    // Half the bundle, then nothing more: the upload is in progress when the leader dies.
    const body = new ReadableStream<Uint8Array>({ start(ctrl) { ctrl.enqueue(head); ctrl.enqueue(bytes.subarray(0, bytes.length >> 1)); } });
    const cutOff = fetch(`${leader.url}/jars/upload`, { method: 'POST', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, duplex: 'half' } as RequestInit)
      .then((r) => r.status, () => 0);
    const tmp = join(c.storageDir, c.clusterId, 'jars', '.tmp');
    await waitFor('the upload to be in progress at the leader', () => (readdirSync(tmp).length > 0 ? true : undefined), 10_000, 10);
    c.kill(leader);
    expect(await cutOff).toBe(0);
    const next = await c.waitForLeader(HA_TIMINGS.leaseMs + 1000, leader);
    const standby = c.alive.find((n) => n !== next)!;
    expect(await listIds(standby)).toEqual(before);
    const again = await uploadAt(standby);
    expect(again.status).toBe(200);
    const after = await listIds(next);
    expect(after).toHaveLength(before.length + 1);
    expect(after).toContain((await json(again)).filename);
  });

  it('the leader SIGKILLed between the run request\'s acceptance and the job\'s start: the job starts once, on the new leader, with the reference alerts', async () => {
    const s = scenario(tag(), 31, 3000);
    await writeTransactions(c.redis, s.txns);
    const leader = await c.waitForLeader();
    const jobId = Math.random().toString(16).slice(2).padEnd(32, '0').slice(0, 32);
    const key = `${c.keyPrefix}job:${jobId}`;
    const body = JSON.stringify({ jobId, parallelism: 2, programArgsList: fraudArgs(c.redisUrl, s.streams, s.output), flinkConfiguration: CONFIG });
    const watch = watchJobProcesses(jobId);
    const first = fetch(`${leader.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.status, () => 0);
    // The moment the record is queued: the leader dies before (or right as) it starts the job process.
    const stage = await waitFor('the run to be recorded and queued', async () => {
      const [queuedAt, pid] = await c.redis.hmget(key, 'queuedAt', 'pid');
      return Number(queuedAt) > 0 ? { pid: Number(pid ?? 0) } : undefined;
    }, 10_000, 1);
    c.kill(leader);
    expect([0, 200]).toContain(await first); // cut off (or answered just before)
    const next = await c.waitForLeader(HA_TIMINGS.leaseMs + 1000, leader);
    // The client repeats its request, with the same job id, at any dispatcher: the same job.
    const standby = c.alive.find((n) => n !== next)!;
    const again = await fetch(`${standby.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(again.status, `${await again.clone().text()} (killed with pid ${stage.pid} recorded)`).toBe(200);
    const d = c.as(next);
    await explain(d, jobId, waitForState(d, jobId, 'RUNNING'));
    await explain(d, jobId, waitForCheckpoints(d, jobId, 1));
    await expectReferenceAlerts(d, jobId, s);
    expect(await watch.stop()).toBe(1);
    expect((await json(await fetch(`${next.url}/jobs/${jobId}`))).state).toBe('RUNNING');
  });

  it('the leader SIGSTOPped past its lease and resumed: it is deposed, its late writes are refused, no job runs twice', async () => {
    const s = scenario(tag(), 32, 4000);
    const half = Math.floor(s.txns.length / 2);
    await writeTransactions(c.redis, s.txns.slice(0, half));
    const leader = await c.waitForLeader();
    const d0 = c.as(leader);
    const run = await fetch(`${leader.url}/jars/${jar}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parallelism: 2, programArgsList: fraudArgs(c.redisUrl, s.streams, s.output), flinkConfiguration: CONFIG }) });
    expect(run.status).toBe(200);
    const id: string = (await json(run)).jobid;
    await explain(d0, id, waitForCheckpoints(d0, id, 2));
    const [jm] = await processesMatching(`ebbflow-jobmaster ${id}`);
    expect(jm).toBeDefined();
    const watch = watchJobProcesses(id);

    c.kill(leader, 'SIGSTOP');
    const next = await c.waitForLeader(HA_TIMINGS.leaseMs + 1000, leader);
    // The CLI given the paused dispatcher's URL first skips it (it accepts connections but never answers).
    const listed = await cli([leader.url, next.url], 'jobs', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(id);
    // The job process (a child of the stopped leader) dies: its exit reaches the stopped leader only when it resumes.
    process.kill(jm!.pid, 'SIGKILL');
    await writeTransactions(c.redis, s.txns.slice(half));
    c.kill(leader, 'SIGCONT');
    // Resumed, it finds itself deposed; recording its child's end was a late write, refused by the fence.
    await waitFor('the resumed dispatcher to see itself deposed and its late write refused', async () => {
      const v = await c.view(leader);
      return !v.self.leader && v.leader?.url === next.url && v.fencedWrites >= 1 ? v : undefined;
    }, 10_000);
    expect(c.log(leader)).toMatch(/deposed: no longer leader/);
    expect(c.log(leader)).toMatch(/fenced write refused/);
    const scrape = await (await fetch(`${leader.url}/metrics`)).text();
    expect(scrape).toMatch(/^ebbflow_dispatcher_leader 0$/m);
    expect(Number(/^ebbflow_dispatcher_fenced_writes_total (\d+)$/m.exec(scrape)?.[1])).toBeGreaterThanOrEqual(1);
    const d = c.as(next);
    // The new leader restarts the job once, from its latest checkpoint; the deposed one neither restarts nor fails it.
    await explain(d, id, waitFor('the job running in a new job process', async () => {
      const [now] = await processesMatching(`ebbflow-jobmaster ${id}`);
      return now && now.pid !== jm!.pid && (await json(await fetch(`${next.url}/jobs/${id}`))).state === 'RUNNING' ? true : undefined;
    }, 30_000));
    await expectReferenceAlerts(d, id, s);
    expect(await watch.stop()).toBe(1);
    const job = await json(await fetch(`${next.url}/jobs/${id}`));
    expect(job.state).toBe('RUNNING');
    // An operation sent to the resumed (standby) dispatcher is forwarded and runs once: a repeat with its trigger id is the same one.
    const trigger = 'c'.repeat(32);
    const post = () => fetch(`${leader.url}/jobs/${id}/checkpoints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ triggerId: trigger }) });
    const op = await post();
    expect(op.status, await op.clone().text()).toBe(202);
    expect((await json(op))['request-id']).toBe(trigger);
    expect((await json(await post()))['request-id']).toBe(trigger);
    await waitFor('the checkpoint to complete', async () => {
      const st = await json(await fetch(`${next.url}/jobs/${id}/checkpoints/${trigger}`));
      return st.status.id === 'COMPLETED' ? st : undefined;
    }, 20_000);
    // A write sent to the resumed (standby) dispatcher is forwarded: the cancel reaches the job.
    expect((await fetch(`${leader.url}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status).toBe(202);
    await explain(d, id, waitForState(d, id, 'CANCELED'));
  });
});
