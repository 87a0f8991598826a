/**
 * The resource-provider registry: each provider validates its own keys, an unknown provider name is a
 * clear error, the dispatcher checks at startup that its provider can run jobs, and the Mesos provider
 * reads its keys (with --mesos-master as the default of mesos.master).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/index.js';
import { compileDispatcherOptions, dispatcherConfiguration } from '../../dispatcher/dispatcher-options.js';
import { compileJobConfig, knownConfigurationKeys } from '../../jobmaster/job-config.js';
import { RESOURCE_PROVIDERS, resourceProvider } from '../../resourcemanager/index.js';
import { parseMesosSettings } from '../../resourcemanager/mesos/mesos-config.js';

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
