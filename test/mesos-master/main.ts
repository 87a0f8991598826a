#!/usr/bin/env node
/**
 * Runs the test Mesos master as a process (for `npm run demo:mesos` and manual
 * tries): `node dist/test/mesos-master/main.js [--port 5050] [--agents 2]
 * [--cpus 4] [--mem 4096] [--sandbox DIR]`. Its state is at /master/state.
 */
import { Command } from 'commander';
import { TestMesosMaster } from './master.js';

const o = new Command('ebbflow-test-mesos-master')
  .option('--host <host>', 'bind address', '127.0.0.1')
  .option('--port <port>', 'port', '5050')
  .option('--agents <n>', 'simulated agents', '2')
  .option('--cpus <n>', 'cpus per agent', '4')
  .option('--mem <mb>', 'memory per agent (MB)', '4096')
  .option('--sandbox <dir>', 'where agents make task sandboxes', './data/mesos-agents')
  .option('--heartbeat <s>', 'heartbeat interval in seconds', '15')
  .parse(process.argv)
  .opts<{ host: string; port: string; agents: string; cpus: string; mem: string; sandbox: string; heartbeat: string }>();

process.title = 'ebbflow-test-mesos-master';
const agents = Array.from({ length: Number(o.agents) }, (_, i) => ({
  hostname: o.host,
  resources: { scalars: { cpus: Number(o.cpus), mem: Number(o.mem), disk: 10_000 }, ranges: { ports: [[31000 + i * 100, 31099 + i * 100] as [number, number]] } },
  attributes: [{ name: 'rack', type: 'TEXT' as const, text: { value: `r${i + 1}` } }],
}));
const master = new TestMesosMaster({ host: o.host, port: Number(o.port), sandboxRoot: o.sandbox, agents, heartbeatIntervalSeconds: Number(o.heartbeat) });
const url = await master.start();
console.error(`test Mesos master at ${url} with ${agents.length} agent(s) of ${o.cpus} cpus / ${o.mem} MB; state at ${url}/master/state`);
const stop = async () => {
  await master.stop();
  console.error(`test Mesos master stopped: ${JSON.stringify(master.counters)}; protocol violations: ${master.violations.length ? master.violations.join('; ') : 'none'}`);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
