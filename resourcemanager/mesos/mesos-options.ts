/**
 * The Mesos provider's keys (Flink's `mesos.*` names where Flink had one), set
 * per job in `flinkConfiguration` or for every job with the dispatcher's
 * `-D key=value`. The README's Mesos table is generated from here.
 */
import { MAX_DURATION_MS, opt } from '../../config/index.js';

const scope = 'mesos';

/** Mesos role names: not `.`/`..`, no leading `-`, no `/`-separated part starting with `.`, `-` or `*`. */
const ROLE = /^[^/*.\-][^/]*(\/[^/*.\-][^/]*)*$/;

export const MESOS_OPTIONS = {
  master: opt.string({
    key: 'mesos.master', scope,
    doc: '`host:port` or `http://host:port`, several comma-separated (each tried in turn; 307 redirects lead to the leader). `zk://` is not supported.',
    check: (v) => (v.split(',').map((s) => s.trim()).some((m) => /^zk:\/\//i.test(m) || /^file:/i.test(m))
      ? 'must list http(s) master addresses, comma-separated (zk:// and file: are not supported)' : undefined),
  }),
  contentType: opt.enum(['protobuf', 'json'] as const, {
    key: 'mesos.scheduler.content-type', scope, default: 'protobuf', aliases: { 'application/x-protobuf': 'protobuf', 'application/json': 'json' },
    doc: '`protobuf` or `json`: the encoding of calls and of the event stream',
  }),
  failoverTimeout: opt.number({
    key: 'mesos.failover-timeout', scope, default: 604800, min: 0, max: 31_536_000, defaultDoc: '`604800` (s)',
    doc: 'how long Mesos keeps the framework and its tasks after the job process\'s subscription drops',
  }),
  frameworkName: opt.string({ key: 'mesos.resourcemanager.framework.name', scope, default: 'ebbflow', doc: 'the framework is named `<name> <jobid>`' }),
  role: opt.string({
    key: 'mesos.resourcemanager.framework.role', scope, default: '*', doc: 'the role offers come for',
    check: (v) => (v === '*' || ROLE.test(v) ? undefined : 'must be a valid Mesos role'),
  }),
  user: opt.string({ key: 'mesos.resourcemanager.framework.user', scope, default: '', doc: 'the user tasks run as (empty: the agent\'s)' }),
  principal: opt.string({ key: 'mesos.resourcemanager.framework.principal', scope, doc: 'HTTP Basic user name for masters with `--authenticate_http_frameworks`' }),
  secret: opt.string({ key: 'mesos.resourcemanager.framework.secret', scope, doc: 'HTTP Basic password for masters with `--authenticate_http_frameworks`' }),
  cpus: opt.number({
    key: 'mesos.resourcemanager.tasks.cpus', scope, default: 0, min: 0, max: 1024, defaultDoc: 'slots per TaskManager (at least 1)', doc: 'cpus per TaskManager task',
  }),
  mem: opt.number({ key: 'mesos.resourcemanager.tasks.mem', scope, min: 32, max: 1 << 20, defaultDoc: 'heap cap + 256 (768)', doc: 'MB per TaskManager task' }),
  disk: opt.number({ key: 'mesos.resourcemanager.tasks.disk', scope, default: 0, min: 0, max: 1 << 30, doc: 'MB of disk per task (0: none asked for)' }),
  constraints: opt.string({
    key: 'mesos.constraints.hard.hostattribute', scope, doc: '`key:value,…`: agents must have each attribute with that value; `hostname:<h>` pins a host',
  }),
  placement: opt.enum(['binpack', 'spread'] as const, {
    key: 'mesos.resourcemanager.tasks.placement', scope, default: 'binpack',
    doc: '`binpack` fills the agent that ends fullest (mean cpu and memory use); `spread` puts each TaskManager on the agent running the fewest of the job\'s',
  }),
  taskManagerCmd: opt.string({
    key: 'mesos.resourcemanager.tasks.taskmanager-cmd', scope, defaultDoc: '`node --max-old-space-size=<heap>` (and `--max-semi-space-size` when `taskmanager.node.max-semi-space-size` is set)', doc: 'how the runtime module is started',
  }),
  bootstrapCmd: opt.string({ key: 'mesos.resourcemanager.tasks.bootstrap-cmd', scope, doc: 'shell run before the TaskManager' }),
  uris: opt.list({ key: 'mesos.resourcemanager.tasks.uris', scope, doc: 'more URIs for the fetcher' }),
  containerImage: opt.string({
    key: 'mesos.resourcemanager.tasks.container.image.name', scope, doc: 'run tasks in this Docker image under the Mesos containerizer',
  }),
  declineRefuseDuration: opt.duration({
    key: 'mesos.resourcemanager.declined-offer-refuse-duration', scope, default: 5000, min: 0, max: MAX_DURATION_MS, defaultDoc: '`5 s`',
    doc: 'refuse filter on offers declined while requests wait (with nothing to launch: 120 s, and SUPPRESS)',
  }),
  artifactServerPort: opt.int({ key: 'mesos.resourcemanager.artifactserver.port', scope, default: 0, min: 0, max: 65535, defaultDoc: '`0` (any)', doc: 'port of the job\'s artifact server' }),
};

/**
 * The dispatcher's flags and env vars that give two of the keys above a dispatcher-wide default
 * (`--mesos-master` → `mesos.master`); a job's key and `-D` win over them. The dispatcher collects
 * them from the provider registry: `ebbflow dispatcher --help` and the README's dispatcher table
 * list them after `--resource-manager`.
 */
export const MESOS_DISPATCHER_OPTIONS = {
  mesosMaster: opt.string({
    key: 'mesosMaster', scope: 'dispatcher', env: 'EBBFLOW_MESOS_MASTER', configKey: MESOS_OPTIONS.master.key,
    cli: { flags: '--mesos-master <url>', help: 'Mesos master(s), host:port or http://host:port, comma-separated (env EBBFLOW_MESOS_MASTER)' },
    doc: 'Mesos master(s), `host:port` or `http://host:port`, comma-separated; needed for `mesos`',
  }),
  mesosContentType: opt.enum(['protobuf', 'json'] as const, {
    key: 'mesosContentType', scope: 'dispatcher', env: 'EBBFLOW_MESOS_CONTENT_TYPE', configKey: MESOS_OPTIONS.contentType.key,
    cli: { flags: '--mesos-content-type <type>', help: 'Mesos scheduler API encoding: protobuf or json (env EBBFLOW_MESOS_CONTENT_TYPE)' },
    default: 'protobuf', doc: 'encoding of the Mesos scheduler API: `protobuf` or `json`',
  }),
};

/** Tuning read from the environment of the job process, not a configuration key. */
export const MESOS_TUNING = {
  backoff: opt.duration({
    key: 'mesosBackoffMs', scope, env: 'EBBFLOW_MESOS_BACKOFF_MS', min: 1, max: 60_000, hidden: true,
    doc: 'first reconnect backoff of the scheduler client (the longest is 8×), for tests and the demo; unset: 1 s to 15 s',
  }),
};
