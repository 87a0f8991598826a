#!/usr/bin/env node
/**
 * The `ebbflow` command:
 *   ebbflow dispatcher [--host] [--port] [--redis] [--data-dir]
 *   ebbflow submit <bundle> [--parallelism N] [--entry-class NAME] [-- program args]
 *   ebbflow jobs [--json] | jars [--json]
 *   ebbflow cancel <jobid>
 *   ebbflow scale <jobid> <n> [--no-wait]                         every vertex to parallelism n
 *   ebbflow scale <jobid> --vertex <id|name> --min <n> --max <n> [--no-wait]   one vertex's bounds
 *   ebbflow savepoint <jobid> [dir] | stop <jobid> [--savepoint-path dir] [--drain] | checkpoint <jobid>   [--no-wait]
 *   ebbflow exceptions|rescales <jobid> [--json]; metrics <jobid> [--vertex v] [--get names] [--json]
 *   ebbflow logs <jobid> [--taskmanager id|n] [--lines N]
 *   ebbflow autoscaler <jobid> [--json] | autoscaler <jobid> --set key=value... [--reset key...] [--no-wait]
 * Client commands talk to the REST API at --url (env EBBFLOW_URL, default http://127.0.0.1:8081; several
 * comma-separated with HA, each tried in turn);
 * a request the dispatcher refuses prints its errors and exits with status 1.
 */
import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CLIENT_OPTIONS, DISPATCHER_OPTIONS, maskUrl, readOption, type OptionDecl } from '../config/index.js';
import type { DispatcherOptions } from '../dispatcher/index.js';
import { withProviderDispatcherOptions } from '../resourcemanager/index.js';
import { CliError, RestError } from './errors.js';
import { autoscaler } from './autoscaler.js';
import * as list from './listings.js';
import { checkpoint, savepoint, stop } from './operations.js';
import { RestClient } from './rest-client.js';
import { scale } from './scale.js';

const positiveInt = (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(v);
};

/** `-D key=value`, repeatable: collects a map. */
const keyValue = (kv: string, acc: Record<string, string>) => {
  const i = kv.indexOf('=');
  if (i <= 0) throw new CliError(`--conf expects key=value, got ${kv}`);
  return { ...acc, [kv.slice(0, i)]: kv.slice(i + 1) };
};

/** A flag built from its declaration; its default (as the help shows it) is the env var's value, else the declared default. */
function flag(d: OptionDecl): Option {
  const o = new Option(d.cli!.flags, d.cli!.help);
  if (d.type === 'map') return o.argParser(keyValue).default({});
  const fromEnv = d.env ? process.env[d.env] : undefined;
  const def = fromEnv ?? (typeof d.default === 'string' || typeof d.default === 'number' ? String(d.default) : undefined);
  return def === undefined ? o : o.default(def);
}

/**
 * The flags' values, parsed and range-checked by their declarations: an error names the flag, or the env var when the
 * value came from it. Unset (and empty) values are left to compileDispatcherOptions (env var, then default).
 */
function flagValues(cmd: Command, table: Record<string, OptionDecl>, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(table)) {
    if (!d.cli) continue;
    const attribute = new Option(d.cli.flags).attributeName();
    const raw = values[attribute];
    if (raw === undefined || raw === '') continue;
    const long = d.cli.flags.split(/[ ,]+/).find((f) => f.startsWith('--'))!;
    const label = cmd.getOptionValueSource(attribute) === 'cli' || !d.env || !process.env[d.env] ? long : d.env;
    out[name] = readOption(d, raw, label);
  }
  return out;
}

const globals = { url: CLIENT_OPTIONS.url, token: DISPATCHER_OPTIONS.token };
const program = new Command('ebbflow')
  .description('ebbflow: an elastic stream-job platform (dispatcher, per-job JobMaster + ResourceManager, TaskManagers)');
for (const d of Object.values(globals)) program.addOption(flag(d));

const client = () => {
  const o = program.opts<{ url: string; token?: string }>();
  return new RestClient(o.url, o.token);
};

const dispatcherCommand = program.command('dispatcher')
  .description('run the dispatcher (REST API, web form, job supervision)');
/** The dispatcher's options with the resource providers' (e.g. --mesos-master), in --help's order. */
const dispatcherOptions = withProviderDispatcherOptions(DISPATCHER_OPTIONS);
for (const d of Object.values(dispatcherOptions)) if (d.cli && !d.cli.global) dispatcherCommand.addOption(flag(d));
dispatcherCommand.action(async (o: Record<string, unknown>) => {
  const { startDispatcher } = await import('../api/server.js');
  process.title = 'ebbflow-dispatcher';
  let running: Awaited<ReturnType<typeof startDispatcher>>;
  try {
    const token = flagValues(program, { token: globals.token }, program.opts());
    const options = { ...token, ...flagValues(dispatcherCommand, dispatcherOptions, o) } as DispatcherOptions;
    running = await startDispatcher(options);
  } catch (err) {
    console.error(maskUrl(`ebbflow dispatcher: ${(err as Error).message}`));
    process.exit(1);
  }
  const opts = running.dispatcher.options;
  const rm = opts.resourceManager === 'mesos' ? `Mesos at ${opts.mesosMaster ?? opts.defaultConfiguration['mesos.master']}`
    : opts.resourceManager === 'local' ? 'local TaskManagers' : `the ${opts.resourceManager} resource provider`;
  // maskUrl: the Redis URL and the Mesos master may carry a password in their user-info.
  const ha = opts.haType === 'redis' ? `, HA cluster "${opts.haClusterId}" (one leader; this one stands by until elected)` : '';
  console.error(maskUrl(`ebbflow dispatcher listening on ${running.url} (Redis ${opts.redisUrl}, data in ${opts.dataDir}, ${rm}${ha})`));
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    // With HA the jobs are the cluster's: the next leader adopts them.
    console.error(`ebbflow dispatcher: ${signal}, ${opts.haType === 'redis' ? 'leaving the jobs to the next leader' : 'cancelling jobs'} and shutting down`);
    await running.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
});

program.command('submit')
  .description('upload a bundle and run it')
  .argument('<bundle>', '.js/.mjs module or .zip/.jar/.tgz archive')
  .argument('[args...]', 'program arguments (after --)')
  .option('-p, --parallelism <n>', 'parallelism', positiveInt, 1)
  .option('-c, --entry-class <name>', 'export to run (default: the default export)')
  .option('--job-id <id>', '32 hex characters; makes resubmission idempotent')
  .action(async (bundle: string, args: string[], o: { parallelism: number; entryClass?: string; jobId?: string }) => {
    const c = client();
    const jarId = await c.upload(bundle);
    // An id chosen here makes the run request safe to repeat at another dispatcher (HA): the same job, not a second one.
    const jobId = o.jobId ?? randomBytes(16).toString('hex');
    const { jobid } = await c.run(jarId, { parallelism: o.parallelism, programArgsList: args, entryClass: o.entryClass, jobId });
    console.log(jobid);
  });

const JSON_FLAG = ['--json', 'print the REST answer as JSON'] as const;
const NO_WAIT = ['--no-wait', 'print the request id and return at once'] as const;

program.command('jobs')
  .description('list jobs')
  .option(...JSON_FLAG)
  .action(async (o: { json?: boolean }) => list.jobs(client(), o));

program.command('jars')
  .description('list uploaded bundles, newest first')
  .option(...JSON_FLAG)
  .action(async (o: { json?: boolean }) => list.jars(client(), o));

program.command('cancel')
  .description('cancel a job')
  .argument('<jobid>')
  .action(async (id: string) => {
    await client().cancel(id);
    console.log(`cancelling ${id}`);
  });

program.command('scale')
  .description('rescale a running job: every vertex to <n>, or one vertex\'s parallelism bounds; waits until the job has applied it')
  .argument('<jobid>')
  .argument('[n]', 'new parallelism of every vertex', positiveInt)
  .option('--vertex <id>', 'change only this vertex (its id, or its name)')
  .option('--min <n>', 'lowest parallelism of --vertex (default: unchanged)', positiveInt)
  .option('--max <n>', 'highest parallelism of --vertex (default: unchanged)', positiveInt)
  .option('--no-wait', 'print the request id and return at once')
  .action(async (id: string, n: number | undefined, o: { vertex?: string; min?: number; max?: number; wait: boolean }) => {
    process.exitCode = await scale(client(), id, n, o);
  });

program.command('savepoint')
  .description('take a savepoint of a running job; waits for it and prints its location')
  .argument('<jobid>')
  .argument('[dir]', 'parent directory of the savepoint (default: state.savepoints.dir)')
  .option(...NO_WAIT)
  .action(async (id: string, dir: string | undefined, o: { wait: boolean }) => { process.exitCode = await savepoint(client(), id, dir, o); });

program.command('stop')
  .description('stop a running job with a savepoint (it ends FINISHED); waits and prints the savepoint\'s location')
  .argument('<jobid>')
  .option('--savepoint-path <dir>', 'parent directory of the savepoint (default: state.savepoints.dir)')
  .option('--drain', 'drain the pipeline before stopping (Flink\'s --drain)')
  .option(...NO_WAIT)
  .action(async (id: string, o: { savepointPath?: string; drain?: boolean; wait: boolean }) => { process.exitCode = await stop(client(), id, o); });

program.command('checkpoint')
  .description('trigger a checkpoint of a running job; waits and prints its id')
  .argument('<jobid>')
  .option(...NO_WAIT)
  .action(async (id: string, o: { wait: boolean }) => { process.exitCode = await checkpoint(client(), id, o); });

program.command('exceptions')
  .description('the job\'s exception history, newest first')
  .argument('<jobid>')
  .option(...JSON_FLAG)
  .action(async (id: string, o: { json?: boolean }) => list.exceptions(client(), id, o));

program.command('rescales')
  .description('the job\'s rescale history, newest first: trigger, outcome, duration, parallelism, what moved')
  .argument('<jobid>')
  .option(...JSON_FLAG)
  .action(async (id: string, o: { json?: boolean }) => list.rescales(client(), id, o));

program.command('metrics')
  .description('the job\'s metrics, or one vertex\'s subtask metrics aggregated (min, max, avg, sum)')
  .argument('<jobid>')
  .option('--vertex <id>', 'a vertex (its id, or its name)')
  .option('--get <names>', 'comma-separated metric names (default: all)')
  .option(...JSON_FLAG)
  .action(async (id: string, o: { vertex?: string; get?: string; json?: boolean }) => list.metrics(client(), id, o));

const collect = (v: string, acc: string[]) => [...acc, v];
program.command('autoscaler')
  .description('the job\'s autoscaler: on or not, the parallelism it computes per vertex and why, its last decisions; --set changes its settings')
  .argument('<jobid>')
  .option('--set <key=value>', 'change a job.autoscaler.* setting of the running job (the prefix may be left out); repeatable', collect, [])
  .option('--reset <key>', 'take back a change: the job\'s configured value applies again; repeatable', collect, [])
  .option(...NO_WAIT)
  .option(...JSON_FLAG)
  .action(async (id: string, o: { set: string[]; reset: string[]; wait: boolean; json?: boolean }) => { process.exitCode = await autoscaler(client(), id, o); });

program.command('logs')
  .description('the job process\'s log, or one of its TaskManagers\'')
  .argument('<jobid>')
  .option('--taskmanager <id|n>', 'a TaskManager of the job: its id, or its number (1 = the first by id)')
  .option('--lines <n>', 'only the last n lines', positiveInt)
  .action(async (id: string, o: { taskmanager?: string; lines?: number }) => list.logs(client(), id, o));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(maskUrl(`ebbflow: ${err instanceof RestError || err instanceof CliError ? err.message : (err as Error).stack}`));
  process.exit(1);
}
