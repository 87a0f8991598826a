/**
 * The resource-provider registry: each provider validates its own keys, an unknown provider name is a
 * clear error, the dispatcher checks at startup that its provider can run jobs, and the Mesos provider
 * reads its keys (with --mesos-master as the default of mesos.master). A third provider (test-only) is
 * picked up by every collecting function (known keys, validation, dispatcher flags, README tables)
 * with no edit but its registration.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configDocBlocks, configDocFiles } from '../../cli/config-docs.js';
import { compileOptions, ConfigError, configKeyDefaults, DISPATCHER_OPTIONS, opt, readKey } from '../../config/index.js';
import { compileDispatcherOptions, DISPATCHER_OPTION_TABLE, dispatcherConfiguration } from '../../dispatcher/dispatcher-options.js';
import { compileJobConfig, configurationWarnings, knownConfigurationKeys } from '../../jobmaster/job-config.js';
import { compileJobSpec } from '../../jobmaster/job-spec.js';
import { providerConfiguration } from '../../jobmaster/resource-provider.js';
import { RESOURCE_PROVIDERS, resourceProvider, withProviderDispatcherOptions, type ResourceProvider } from '../../resourcemanager/index.js';
import { parseMesosSettings } from '../../resourcemanager/mesos/mesos-config.js';
import { supervisorHarness } from '../helpers/supervisor-harness.js';

describe('the provider registry', () => {
  it('holds local and mesos, and refuses an unknown name naming the flag and env var', () => {
    expect(RESOURCE_PROVIDERS.map((p) => p.name)).toEqual(['local', 'mesos']);
    expect(resourceProvider('mesos').name).toBe('mesos');
    const err = (() => { try { resourceProvider('kubernetes'); } catch (e) { return e as ConfigError; } })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.code).toBe('EBBFLOW_CONFIG_UNKNOWN_PROVIDER');
    expect(err!.message).toBe('--resource-manager (env EBBFLOW_RESOURCE_MANAGER) must name a resource provider: local or mesos, got "kubernetes"');
  });

  it('lets each provider validate its own keys, which are known keys', () => {
    const mesos = resourceProvider('mesos');
    const local = resourceProvider('local');
    expect(knownConfigurationKeys()).toEqual(expect.arrayContaining(mesos.options.map((d) => d.key)));
    const bad = { 'mesos.resourcemanager.tasks.cpus': 'NaN' };
    expect(() => mesos.validate(bad)).toThrow('mesos.resourcemanager.tasks.cpus must be a number from 0 to 1024, got "NaN"');
    expect(() => local.validate(bad)).not.toThrow();
    // Submission checks every provider's keys, whichever provider runs the job; a master is needed only to run.
    expect(() => compileJobConfig(bad)).toThrow(/mesos.resourcemanager.tasks.cpus must be a number/);
    expect(() => compileJobConfig({ 'mesos.resourcemanager.framework.role': '-x' })).toThrow(/mesos.resourcemanager.framework.role must be a valid Mesos role/);
    expect(() => compileJobConfig({ 'mesos.master': 'zk://a:2181/mesos' })).toThrow(/mesos.master must list http\(s\) master addresses/);
    expect(() => compileJobConfig({ 'mesos.constraints.hard.hostattribute': 'rack' })).toThrow(/mesos.constraints.hard.hostattribute: bad hard constraint "rack"/);
    expect(() => compileJobConfig({ 'mesos.resourcemanager.tasks.mem': 640 })).not.toThrow();
    // A key every provider uses is checked at submission, whichever provider runs the job.
    expect(() => compileJobConfig({ 'taskmanager.node.max-semi-space-size': 5000 })).toThrow(/taskmanager\.node\.max-semi-space-size/);
    expect(compileJobConfig({ 'taskmanager.node.max-semi-space-size': '32' }).taskManagerSemiSpaceMb).toBe(32);
  });

  it('reads the Mesos keys with their defaults, --mesos-master and the content type as key defaults', () => {
    const c = compileDispatcherOptions({ resourceManager: 'mesos', mesosMaster: 'm1:5050, m2:5050', mesosContentType: 'json' }, {});
    const conf = dispatcherConfiguration(c);
    expect(conf).toMatchObject({ 'mesos.master': 'm1:5050, m2:5050', 'mesos.scheduler.content-type': 'json' });
    const m = parseMesosSettings({ ...conf, 'mesos.resourcemanager.declined-offer-refuse-duration': '2 s' }, { slots: 2, heapMb: 512 });
    expect(m).toMatchObject({
      masters: ['m1:5050', 'm2:5050'], contentType: 'application/json', cpus: 2, memMb: 768, diskMb: 0, role: '*', fitness: 'binpack',
      taskManagerCmd: 'node --max-old-space-size=512', declineRefuseSeconds: 2, failoverTimeoutSeconds: 604800, uris: [],
    });
    // A job's own key wins over the dispatcher's.
    expect(parseMesosSettings({ ...conf, 'mesos.master': 'm3:5050' }, { slots: 1, heapMb: 512 }).masters).toEqual(['m3:5050']);
    // The semi-space size joins the default command; a command of the user's own is left as it is.
    expect(parseMesosSettings({ ...conf, 'taskmanager.node.max-semi-space-size': 32 }, { slots: 1, heapMb: 512 }).taskManagerCmd)
      .toBe('node --max-old-space-size=512 --max-semi-space-size=32');
    expect(parseMesosSettings({ ...conf, 'taskmanager.node.max-semi-space-size': 32, 'mesos.resourcemanager.tasks.taskmanager-cmd': '/opt/node' }, { slots: 1, heapMb: 512 }).taskManagerCmd)
      .toBe('/opt/node');
  });

  it('refuses to start a dispatcher whose provider cannot run jobs, or with an unknown -D key', () => {
    expect(() => compileDispatcherOptions({ resourceManager: 'mesos' }, {})).toThrow(/needs a master: --mesos-master <host:port> \(env EBBFLOW_MESOS_MASTER\) or mesos.master/);
    expect(() => compileDispatcherOptions({ resourceManager: 'mesos', defaultConfiguration: { 'mesos.master': 'm:5050' } }, {})).not.toThrow();
    expect(() => compileDispatcherOptions({}, { EBBFLOW_RESOURCE_MANAGER: 'yarn' })).toThrow(/must name a resource provider: local or mesos, got "yarn"/);
    expect(() => compileDispatcherOptions({ defaultConfiguration: { 'heartbeat.timout': '1 s' } }, {}))
      .toThrow('default job configuration (-D): unknown configuration key "heartbeat.timout"; did you mean "heartbeat.timeout"?');
    expect(() => compileDispatcherOptions({ host: '0.0.0.0' }, {})).toThrow(/without a token/);
  });
});

/** A provider that exists only in this test: one key of its own, and a flag that gives it a dispatcher-wide default. */
const kube = {
  name: 'kube',
  options: [opt.string({
    key: 'kube.namespace', scope: 'kube', default: 'default', doc: 'namespace of the TaskManager pods',
    check: (v) => (/^[a-z0-9-]+$/.test(v) ? undefined : 'must be a Kubernetes namespace name'),
  })],
  dispatcherOptions: {
    kubeNamespace: opt.string({
      key: 'kubeNamespace', scope: 'dispatcher', env: 'EBBFLOW_KUBE_NAMESPACE', configKey: 'kube.namespace',
      cli: { flags: '--kube-namespace <ns>', help: 'namespace of the TaskManager pods (env EBBFLOW_KUBE_NAMESPACE)' },
      doc: 'namespace of the TaskManager pods',
    }),
  },
  validate(c) { readKey(c, kube.options[0]!); },
  checkRunnable: () => {},
  createDriver: () => Promise.reject(new Error('not in a unit test')),
  cleanupAfterDeadJobProcess: async () => {},
} satisfies ResourceProvider;

describe('registering a further provider', () => {
  const providers = [...RESOURCE_PROVIDERS, kube];

  it('makes its name selectable and its keys known and validated', () => {
    expect(resourceProvider('kube', undefined, providers)).toBe(kube);
    expect(() => resourceProvider('yarn', undefined, providers)).toThrow(/must name a resource provider: local or mesos or kube, got "yarn"/);
    expect(knownConfigurationKeys(providers)).toContain('kube.namespace');
    expect(knownConfigurationKeys()).not.toContain('kube.namespace');
    expect(configurationWarnings({ 'kube.namespace': 'jobs' }, providers)).toEqual([]);
    expect(() => compileJobConfig({ 'kube.namespace': 'Bad_NS' }, providers)).toThrow(/must be a Kubernetes namespace name/);
    expect(() => compileJobConfig({ 'kube.namespace': 'Bad_NS' })).not.toThrow();
  });

  it('adds its flags to the dispatcher options after --resource-manager, giving its key a default that -D overrides', () => {
    const table = withProviderDispatcherOptions(DISPATCHER_OPTIONS, providers);
    const names = Object.keys(table);
    expect(names.slice(names.indexOf('resourceManager'), names.indexOf('resourceManager') + 4))
      .toEqual(['resourceManager', 'mesosMaster', 'mesosContentType', 'kubeNamespace']);
    const c = compileOptions(table, {}, { EBBFLOW_KUBE_NAMESPACE: 'jobs' });
    const defaults = configKeyDefaults(table, c);
    expect(defaults).toMatchObject({ 'kube.namespace': 'jobs', 'mesos.scheduler.content-type': 'protobuf' });
    expect(dispatcherConfiguration({ providerDefaults: defaults, defaultConfiguration: { 'kube.namespace': 'other' } })['kube.namespace']).toBe('other');
  });

  it('gets its README table and its row in the dispatcher table', () => {
    expect(configDocFiles(providers)).toEqual({ 'README.md': ['job', 'dispatcher', 'mesos', 'kube'] });
    const blocks = configDocBlocks(providers);
    expect(blocks.kube).toContain('| `kube.namespace` (`--kube-namespace`, `EBBFLOW_KUBE_NAMESPACE`) | `default` | namespace of the TaskManager pods |');
    expect(blocks.dispatcher).toContain('| `--kube-namespace` | `EBBFLOW_KUBE_NAMESPACE` | none | namespace of the TaskManager pods |');
    expect(configDocBlocks().kube).toBeUndefined();
  });

  it('keeps the registered providers\' flags where the dispatcher always had them', () => {
    const names = Object.keys(DISPATCHER_OPTION_TABLE);
    expect(names.slice(names.indexOf('resourceManager'), names.indexOf('defaultConfiguration')))
      .toEqual(['resourceManager', 'mesosMaster', 'mesosContentType']);
    const c = compileDispatcherOptions({}, { EBBFLOW_MESOS_MASTER: 'm:5050', EBBFLOW_RESOURCE_MANAGER: 'mesos' });
    expect(c.providerDefaults).toEqual({ 'mesos.master': 'm:5050', 'mesos.scheduler.content-type': 'protobuf' });
    expect(dispatcherConfiguration({ ...c, defaultConfiguration: { 'mesos.master': 'd:5050' } })['mesos.master']).toBe('d:5050');
  });
});

describe('dispatcher-wide provider defaults', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('travel in the job spec and lose to -D, which loses to the job\'s own keys', async () => {
    vi.useFakeTimers();
    const o = compileDispatcherOptions({ resourceManager: 'mesos' }, { EBBFLOW_MESOS_MASTER: 'flag:5050' });
    const h = supervisorHarness({ resourceManager: o.resourceManager, providerDefaults: o.providerDefaults, defaultConfiguration: { 'mesos.scheduler.content-type': 'json' } });
    const plain = compileJobSpec((await h.startJob('j1')).spec);
    expect(plain.resourceManager).toBe('mesos');
    expect(providerConfiguration(plain)).toMatchObject({ 'mesos.master': 'flag:5050', 'mesos.scheduler.content-type': 'json' });
    const own = compileJobSpec((await h.startJob('j2', { configuration: { 'mesos.master': 'job:5050' } })).spec);
    expect(providerConfiguration(own)).toMatchObject({ 'mesos.master': 'job:5050', 'mesos.scheduler.content-type': 'json' });
  });
});
