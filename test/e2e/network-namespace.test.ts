/**
 * Location independence: a TaskManager in another network namespace (standing for another host)
 * joins its JobMaster and exchanges keyed data with a TaskManager on this host. The test master's
 * agent A runs its tasks inside a namespace made with `ip netns` and joined to this one by a veth
 * pair; agent B runs them here. The job process binds 0.0.0.0 and advertises the host side of the
 * veth pair (`jobmanager.bind-host`, `jobmanager.rpc.address`); each TaskManager advertises its
 * agent's address. Needs root (CAP_NET_ADMIN): without it the test fails saying so.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestDispatcher, upload, type TestDispatcher } from '../helpers/dispatcher.js';
import { runJar, waitForState } from '../helpers/fraud.js';
import { readWindowSums } from '../helpers/window-sums.js';
import { jobLogTails } from '../helpers/rescale.js';
import { TestMesosMaster } from '../mesos-master/master.js';

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].find((p) => existsSync(p)) ?? 'ip';
const suffix = randomBytes(3).toString('hex');
const ns = `ebbtest-${suffix}`;
const vethHost = `veb${suffix}h`;
const vethNs = `veb${suffix}n`;
const octet = 16 + (parseInt(suffix, 16) % 200);
const hostIp = `10.213.${octet}.1`;
const nsIp = `10.213.${octet}.2`;
const ip = (...args: string[]) => execFileSync(IP, args, { stdio: 'pipe' });

let d: TestDispatcher;
let master: TestMesosMaster;
let root: string;
let made = false;

beforeAll(async () => {
  try {
    ip('netns', 'add', ns);
    made = true;
    ip('link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethNs);
    ip('link', 'set', vethNs, 'netns', ns);
    ip('addr', 'add', `${hostIp}/30`, 'dev', vethHost);
    ip('link', 'set', vethHost, 'up');
    ip('netns', 'exec', ns, IP, 'addr', 'add', `${nsIp}/30`, 'dev', vethNs);
    ip('netns', 'exec', ns, IP, 'link', 'set', vethNs, 'up');
    ip('netns', 'exec', ns, IP, 'link', 'set', 'lo', 'up');
  } catch (err) {
    throw new Error(`this test needs root and network namespaces (ip netns add, a veth pair); it could not set them up: ${(err as Error).message}`);
  }
  root = mkdtempSync(join(tmpdir(), 'ebbflow-netns-'));
  master = new TestMesosMaster({
    sandboxRoot: root, heartbeatIntervalSeconds: 1, allocationIntervalMs: 100, updateRetryMs: 1000,
    agents: [
      { hostname: nsIp, commandPrefix: [IP, 'netns', 'exec', ns], resources: { scalars: { cpus: 2, mem: 2048 }, ranges: { ports: [[31100, 31109]] } } },
      { hostname: hostIp, resources: { scalars: { cpus: 2, mem: 2048 }, ranges: { ports: [[31110, 31119]] } } },
    ],
  });
  await master.start();
  d = await startTestDispatcher({ resourceManager: 'mesos', mesosMaster: master.url });
});

afterAll(async () => {
  await d?.close();
  await master?.stop();
  if (made) try { ip('netns', 'del', ns); } catch { /* already gone */ }
  try { ip('link', 'del', vethHost); } catch { /* removed with the namespace */ }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a TaskManager in another network namespace', () => {
  it('registers with the JobMaster across the veth pair and exchanges keyed records with one on this host', async () => {
    const out = join(d.dataDir, 'netns.jsonl');
    const src = `export default function (env, args) {
      const data = [];
      for (let i = 0; i < 3000; i++) data.push({ k: 'k' + (i % 7), v: i, ts: i * 3 });
      env.fromElements(data, { timestamp: (r) => r.ts })
        .keyBy((r) => r.k)
        .window(env.windows.tumbling(1000))
        .aggregate({ createAccumulator: () => 0, add: (a, r) => a + r.v, getResult: (a) => a }, (k, w, sum) => ({ k, start: w.start, sum }))
        .sinkTo(env.fileSink(args[0]));
    }`;
    const jar = (await json(await upload(d.url, 'netns.mjs', src))).filename;
    const run = await runJar(d, jar, {
      parallelism: 2, programArgsList: [out],
      flinkConfiguration: {
        'jobmanager.bind-host': '0.0.0.0', 'jobmanager.rpc.address': hostIp,
        'mesos.resourcemanager.tasks.placement': 'spread', 'mesos.resourcemanager.tasks.cpus': 0.5, 'mesos.resourcemanager.tasks.mem': 640,
      },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const id: string = run.body.jobid;
    await waitForState(d, id, 'FINISHED', 60_000).catch(async (err: Error) => { throw new Error(`${err.message}${await jobLogTails(d, id)}`); });
    // One TaskManager ran in the namespace, one here (spread placement), each started once.
    const byAgent = master.allTasks().map((t) => master.agents.find((a) => a.id === t.agentId)!.hostname).sort();
    expect(byAgent).toEqual([hostIp, nsIp].sort());
    const expected = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const key = `k${i % 7}|${Math.floor((i * 3) / 1000) * 1000}`;
      expected.set(key, (expected.get(key) ?? 0) + i);
    }
    expect(readWindowSums(out)).toEqual(expected);
    expect(master.violations).toEqual([]);
  });
});
