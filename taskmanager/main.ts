#!/usr/bin/env node
/**
 * TaskManager process entry. Started by a ResourceManager driver (the local
 * driver forks it; the Mesos driver launches it as a task, from the bundled
 * runtime dist/artifacts/ebbflow-taskmanager.mjs fetched into the sandbox) with:
 *   main.js --job-id <id> --resource-id <id> --job-master <host:port> [--slots N]
 *           [--data-host H] [--data-bind-host B] [--data-port P] [--bundle-path F]
 * It shows as `ebbflow-taskmanager <jobid> <n>` in ps. Its registration secret comes on stdin or in
 * EBBFLOW_WORKER_SECRET (worker-secret.ts), never in argv; the job's data secret and its `s3.*` settings
 * (for `s3://` state) come in the registration answer.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { pino } from 'pino';
import { UNHANDLED_REJECTION_MESSAGE } from '../runtime/errors.js';
import { growingMaskingLogOptions } from '../config/log-masking.js';
import { TaskExecutor } from './task-executor.js';
import { readLaunchSecrets } from './worker-secret.js';
import { loadInternalTls, type InternalTls } from '../runtime/network/tls.js';

const program = new Command('ebbflow-taskmanager')
  .requiredOption('--job-id <id>')
  .requiredOption('--resource-id <id>')
  .requiredOption('--job-master <host:port>')
  .option('--index <n>', 'ordinal of this TaskManager within the job', '0')
  .option('--slots <n>', 'task slots', '1')
  .option('--data-host <host>', 'address other TaskManagers use for data connections to this one', '127.0.0.1')
  .option('--data-bind-host <host>', 'address the data server binds (default: --data-host)')
  .option('--data-port <port>', 'port of the data server (0 = any free port)', '0')
  .option('--bundle-path <path>', 'the job bundle on this host (default: the path the JobMaster sends)')
  .option('--parent-pid <pid>', 'exit when this process (the job process that started us) is gone, unless the JobMaster said to wait for its successor')
  .option('--job-master-timeout-ms <ms>', 'exit when the JobMaster is silent this long', '10000')
  .option('--ssl-keystore <file>', 'PEM key and certificate for mutual TLS on internal channels (security.ssl.internal.keystore)')
  .option('--ssl-truststore <file>', 'PEM CA certificates peers must chain to (security.ssl.internal.truststore)')
  .parse(process.argv);
const o = program.opts<{ jobId: string; resourceId: string; jobMaster: string; index: string; slots: string; dataHost: string; dataBindHost?: string; dataPort: string; bundlePath?: string; parentPid?: string; jobMasterTimeoutMs: string; sslKeystore?: string; sslTruststore?: string }>();

process.title = `ebbflow-taskmanager ${o.jobId} ${o.index}`;
// Masked like the job process's log; the job's secret program arguments are added at the first deployment.
const masking = growingMaskingLogOptions();
const logger = pino({ base: { role: 'taskmanager', jobId: o.jobId, resourceId: o.resourceId }, ...masking.options });
const sep = o.jobMaster.lastIndexOf(':');
let secrets: Awaited<ReturnType<typeof readLaunchSecrets>>;
let tls: InternalTls | undefined;
try {
  secrets = await readLaunchSecrets();
  if (o.sslKeystore || o.sslTruststore) {
    if (!o.sslKeystore || !o.sslTruststore) throw new Error('--ssl-keystore and --ssl-truststore go together');
    tls = loadInternalTls({ keystore: o.sslKeystore, truststore: o.sslTruststore, keyPassword: secrets.keyPassword });
  }
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'TaskManager failed to start');
  process.exit(1);
}
const te = new TaskExecutor({
  jobId: o.jobId,
  resourceId: o.resourceId,
  jobMasterHost: o.jobMaster.slice(0, sep),
  jobMasterPort: Number(o.jobMaster.slice(sep + 1)),
  slots: Number(o.slots),
  dataHost: o.dataHost,
  dataBindHost: o.dataBindHost ?? o.dataHost,
  dataPort: Number(o.dataPort),
  bundlePath: o.bundlePath ? resolve(o.bundlePath) : undefined,
  jobMasterTimeoutMs: Number(o.jobMasterTimeoutMs),
  workerSecret: secrets.workerSecret,
  tls,
  logger,
  learnSecrets: masking.add,
});
// A rejection nobody handles is a bug: reported loudly (a fixed message tests look for), not fatal.
process.on('unhandledRejection', (err) => logger.error({ err }, UNHANDLED_REJECTION_MESSAGE));
// Started by a local job process: die with it, unless this TaskManager was told to outlive its JobMaster
// (it then waits for the job's next one, taskmanager.registration.timeout, and its connection's close
// already told it); also when the JobMaster connection never came up.
if (o.parentPid) {
  const parent = Number(o.parentPid);
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    if (te.outlivesJobMaster) { clearInterval(watch); return; }
    logger.error({ parent }, 'the job process that started this TaskManager is gone; exiting');
    process.exit(1);
  }, 500);
  watch.unref();
}
process.on('SIGTERM', () => void te.stop(0));
process.on('SIGINT', () => void te.stop(0));
try {
  await te.start();
} catch (err) {
  logger.fatal({ err }, 'TaskManager failed to start');
  process.exit(1);
}
const code = await te.done;
logger.info({ code }, 'TaskManager exiting');
// Give pino a tick to write, then leave even if user code holds handles open.
setTimeout(() => process.exit(code), 50).unref();
setTimeout(() => process.exit(code), 2000);
