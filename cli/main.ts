#!/usr/bin/env node
/**
 * The `ebbflow` command:
 *   ebbflow dispatcher [--host] [--port] [--redis] [--data-dir]
 *   ebbflow submit <bundle> [--parallelism N] [--entry-class NAME] [-- program args]
 *   ebbflow jobs
 *   ebbflow cancel <jobid>
 *   ebbflow scale <jobid> <n> [--no-wait]                         every vertex to parallelism n
 *   ebbflow scale <jobid> --vertex <id|name> --min <n> --max <n> [--no-wait]   one vertex's bounds
 * Client commands talk to the REST API at --url (env EBBFLOW_URL, default http://127.0.0.1:8081).
 */
import { Command, InvalidArgumentError } from 'commander';
import { RestClient, RestError } from './rest-client.js';
import { CliError, scale } from './scale.js';

const positiveInt = (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(v);
};

const program = new Command('ebbflow')
  .description('ebbflow: an elastic stream-job platform (dispatcher, per-job JobMaster + ResourceManager, TaskManagers)')
  .option('--url <url>', 'dispatcher REST URL for client commands', process.env.EBBFLOW_URL ?? 'http://127.0.0.1:8081')
  .option('--token <token>', 'bearer token (env EBBFLOW_TOKEN)', process.env.EBBFLOW_TOKEN);

const client = () => {
  const o = program.opts<{ url: string; token?: string }>();
  return new RestClient(o.url, o.token);
};

program.command('dispatcher')
  .description('run the dispatcher (REST API, web form, job supervision)')
  .option('--host <host>', 'bind address (env EBBFLOW_HOST)', process.env.EBBFLOW_HOST ?? '127.0.0.1')
  .option('--port <port>', 'port (env EBBFLOW_PORT)', process.env.EBBFLOW_PORT ?? '8081')
  .option('--redis <url>', 'Redis URL (env EBBFLOW_REDIS_URL)', process.env.EBBFLOW_REDIS_URL ?? 'redis://127.0.0.1:6379')
  .option('--data-dir <dir>', 'bundles, logs and checkpoints (env EBBFLOW_DATA_DIR)', process.env.EBBFLOW_DATA_DIR ?? './data')
  .option('--key-prefix <prefix>', 'prefix of Redis keys (env EBBFLOW_KEY_PREFIX)', process.env.EBBFLOW_KEY_PREFIX ?? 'ebbflow:')
  .option('--max-upload-bytes <n>', 'largest accepted bundle (env EBBFLOW_MAX_UPLOAD_BYTES)', process.env.EBBFLOW_MAX_UPLOAD_BYTES ?? String(100 * 1024 * 1024))
  .option('--allowed-hosts <names>', 'more host names the API answers to, comma-separated (env EBBFLOW_ALLOWED_HOSTS)', process.env.EBBFLOW_ALLOWED_HOSTS)
  .option('--resource-manager <kind>', 'where TaskManagers run: local or mesos (env EBBFLOW_RESOURCE_MANAGER)', process.env.EBBFLOW_RESOURCE_MANAGER ?? 'local')
  .option('--mesos-master <url>', 'Mesos master(s), host:port or http://host:port, comma-separated (env EBBFLOW_MESOS_MASTER)', process.env.EBBFLOW_MESOS_MASTER)
  .option('--mesos-content-type <type>', 'Mesos scheduler API encoding: protobuf or json (env EBBFLOW_MESOS_CONTENT_TYPE)', process.env.EBBFLOW_MESOS_CONTENT_TYPE ?? 'protobuf')
  .option('-D, --conf <key=value>', 'configuration every job starts from, Flink key names (repeatable), e.g. -D mesos.resourcemanager.tasks.cpus=0.5', (kv: string, acc: Record<string, string>) => {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--conf expects key=value, got ${kv}`);
    return { ...acc, [kv.slice(0, i)]: kv.slice(i + 1) };
  }, {} as Record<string, string>)
  .action(async (o: { host: string; port: string; redis: string; dataDir: string; keyPrefix: string; maxUploadBytes: string; resourceManager: string; mesosMaster?: string; mesosContentType: string; conf: Record<string, string>; allowedHosts?: string }) => {
    const { startDispatcher } = await import('../api/server.js');
    const { token } = program.opts<{ token?: string }>();
    process.title = 'ebbflow-dispatcher';
    let running: Awaited<ReturnType<typeof startDispatcher>>;
    try {
      running = await startDispatcher({
        host: o.host, port: Number(o.port), redisUrl: o.redis, dataDir: o.dataDir, keyPrefix: o.keyPrefix, maxUploadBytes: Number(o.maxUploadBytes), token,
        allowedHosts: o.allowedHosts ? o.allowedHosts.split(',').map((h) => h.trim()).filter(Boolean) : undefined,
        resourceManager: o.resourceManager as 'local' | 'mesos', mesosMaster: o.mesosMaster, mesosContentType: o.mesosContentType as 'protobuf' | 'json', defaultConfiguration: o.conf,
      });
    } catch (err) {
      console.error(`ebbflow dispatcher: ${(err as Error).message}`);
      process.exit(1);
    }
    const rm = running.dispatcher.options.resourceManager === 'mesos' ? `Mesos at ${running.dispatcher.options.mesosMaster ?? o.conf['mesos.master']}` : 'local TaskManagers';
    console.error(`ebbflow dispatcher listening on ${running.url} (Redis ${o.redis}, data in ${running.dispatcher.options.dataDir}, ${rm})`);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) process.exit(1);
      stopping = true;
      console.error(`ebbflow dispatcher: ${signal}, cancelling jobs and shutting down`);
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
    const { jobid } = await c.run(jarId, { parallelism: o.parallelism, programArgsList: args, entryClass: o.entryClass, jobId: o.jobId });
    console.log(jobid);
  });

program.command('jobs')
  .description('list jobs')
  .action(async () => {
    const { jobs } = await client().jobsOverview();
    if (jobs.length === 0) { console.log('no jobs'); return; }
    for (const j of jobs) console.log(`${j.jid}  ${j.state.padEnd(12)} ${new Date(j['start-time']).toISOString()}  ${j.name}`);
  });

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

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(`ebbflow: ${err instanceof RestError || err instanceof CliError ? err.message : (err as Error).stack}`);
  process.exit(1);
}
