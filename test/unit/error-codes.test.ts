/**
 * Every component's errors carry a stable code: each class exported by an `errors.ts` is an
 * EbbflowError whose `code` looks like EBBFLOW_SOMETHING, and no two classes share one (a code
 * names one kind of problem, so logs and clients can rely on it). A new component's errors.ts
 * joins MODULES below.
 */
import { describe, expect, it } from 'vitest';
import * as cliErrors from '../../cli/errors.js';
import * as configErrors from '../../config/errors.js';
import * as dispatcherErrors from '../../dispatcher/errors.js';
import * as supervisorErrors from '../../dispatcher/supervisor-errors.js';
import * as jobMasterErrors from '../../jobmaster/errors.js';
import * as metadataErrors from '../../metadata/errors.js';
import * as resourceManagerErrors from '../../resourcemanager/errors.js';
import * as mesosErrors from '../../resourcemanager/mesos/errors.js';
import * as runtimeErrors from '../../runtime/errors.js';

const { EbbflowError } = runtimeErrors;
type ErrorClass = new (...args: never[]) => Error;

const MODULES: Record<string, Record<string, unknown>> = {
  'cli/errors.ts': cliErrors,
  'config/errors.ts': configErrors,
  'dispatcher/errors.ts': dispatcherErrors,
  'dispatcher/supervisor-errors.ts': supervisorErrors,
  'jobmaster/errors.ts': jobMasterErrors,
  'metadata/errors.ts': metadataErrors,
  'resourcemanager/errors.ts': resourceManagerErrors,
  'resourcemanager/mesos/errors.ts': mesosErrors,
  'runtime/errors.ts': runtimeErrors,
};

/** Abstract bases: never thrown themselves, so they have no code of their own. */
const ABSTRACT = new Set<unknown>([dispatcherErrors.DispatcherError]);

/** ConfigError takes its code as an argument: one instance per code (config/errors.ts's ConfigErrorCode). */
const CONFIG_CODES: configErrors.ConfigErrorCode[] = [
  'EBBFLOW_CONFIG_TYPE', 'EBBFLOW_CONFIG_RANGE', 'EBBFLOW_CONFIG_INVALID', 'EBBFLOW_CONFIG_MISSING',
  'EBBFLOW_CONFIG_UNKNOWN_KEY', 'EBBFLOW_CONFIG_UNKNOWN_PROVIDER',
];

const isErrorClass = (v: unknown): v is ErrorClass => typeof v === 'function' && v.prototype instanceof Error;

/**
 * Instances of every exported error class, labelled "module: Class". Constructors take strings,
 * numbers and causes in various orders; none of them decides the code but ConfigError's.
 */
function instances(): Array<[label: string, err: Error, cls: ErrorClass]> {
  const out: Array<[string, Error, ErrorClass]> = [];
  for (const [file, mod] of Object.entries(MODULES)) {
    for (const [name, value] of Object.entries(mod)) {
      if (!isErrorClass(value) || ABSTRACT.has(value)) continue;
      if (value === configErrors.ConfigError) {
        for (const code of CONFIG_CODES) out.push([`${file}: ConfigError(${code})`, new configErrors.ConfigError(code, 'some.key', 'message'), value]);
        continue;
      }
      const Cls = value as unknown as new (...args: unknown[]) => Error;
      out.push([`${file}: ${name}`, new Cls('a', 'b', 3, new Error('cause')), value]);
    }
  }
  return out;
}

describe('error codes', () => {
  const all = instances();

  it('finds the error classes of every component', () => {
    // A module whose classes are not found (renamed, no longer exported) would make the checks below vacuous.
    for (const file of Object.keys(MODULES)) expect(all.some(([label]) => label.startsWith(`${file}:`)), file).toBe(true);
    expect(all.length).toBeGreaterThanOrEqual(30);
  });

  it('each is an EbbflowError named after its class, with a code EBBFLOW_[A-Z0-9_]+', () => {
    for (const [label, err, cls] of all) {
      expect(err, label).toBeInstanceOf(EbbflowError);
      expect(err.name, label).toBe(cls.name);
      expect((err as InstanceType<typeof EbbflowError>).code, label).toMatch(/^EBBFLOW_[A-Z0-9_]+$/);
    }
  });

  it('no two classes (or ConfigError kinds) share a code', () => {
    const byCode = new Map<string, string[]>();
    for (const [label, err] of all) {
      const code = (err as InstanceType<typeof EbbflowError>).code;
      byCode.set(code, [...(byCode.get(code) ?? []), label]);
    }
    const shared = [...byCode].filter(([, labels]) => labels.length > 1);
    expect(shared).toEqual([]);
  });

  it('a code does not depend on the arguments', () => {
    const { MesosNotSubscribedError, MesosCallError } = mesosErrors;
    expect(new MesosNotSubscribedError('ACCEPT not sent: not subscribed to Mesos').code).toBe('EBBFLOW_MESOS_NOT_SUBSCRIBED');
    expect(new MesosNotSubscribedError('x', 500)).toBeInstanceOf(MesosCallError);
    expect(new cliErrors.DispatcherUnreachableError('http://127.0.0.1:1', new Error('ECONNREFUSED')).status).toBe(0);
  });
});
