/**
 * Where a job may have ebbflow write its state: a savepoint's `targetDirectory` and a job's own
 * `state.checkpoints.dir` / `state.savepoints.dir` must lie under one of the allowed directories
 * (Flink's idea of `state.savepoints.allowed-dirs`, dispatcher-wide): the dispatcher's data
 * directory, the dispatcher-wide `state.checkpoints.dir` / `state.savepoints.dir` (`-D`), and
 * EBBFLOW_SAVEPOINT_ALLOWED_DIRS. Without this, whoever holds the REST token could have the job
 * process and its TaskManagers write state files anywhere their OS user can (over a config file,
 * into another job's checkpoints). `..` is resolved and symbolic links are followed as far as the
 * path exists, so neither escapes. An `s3://bucket/prefix` target must lie under an allowed
 * `s3://` location (whole key segments; `.` and `..` segments are refused, not resolved).
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { DISPATCHER_OPTIONS, JOB_OPTIONS } from '../config/index.js';
import { localPath } from '../runtime/checkpoint/checkpoint-storage.js';
import { isS3Path, isUnderS3, normalizeS3Path } from '../runtime/checkpoint/s3-location.js';
import { dispatcherConfiguration, type CompiledDispatcherOptions } from './dispatcher-options.js';
import { InvalidRequest } from './errors.js';

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The directories state may be written under, absolute (not yet following symbolic links); `s3://` ones normalised. */
export function allowedStateDirs(o: Pick<CompiledDispatcherOptions, 'dataDir' | 'savepointAllowedDirs' | 'providerDefaults' | 'defaultConfiguration'>): string[] {
  const conf = dispatcherConfiguration(o);
  const configured = [conf[JOB_OPTIONS.checkpointDir.key], conf[JOB_OPTIONS.savepointDir.key]].filter((v): v is string => typeof v === 'string' && v.trim() !== '');
  return [...new Set([o.dataDir, ...o.savepointAllowedDirs, ...configured].map((d) => (isS3Path(d) ? normalizeS3Path(d) : resolve(localPath(d)))))];
}

/** `path` with every symbolic link of its longest existing ancestor resolved (the rest cannot be a link yet). */
export async function realPathOf(path: string): Promise<string> {
  const rest: string[] = [];
  let p = path;
  for (;;) {
    try {
      return join(await realpath(p), ...rest.reverse());
    } catch {
      const parent = dirname(p);
      if (parent === p) return path;
      rest.push(basename(p));
      p = parent;
    }
  }
}

function isUnder(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Refuses (400) a state target outside the allowed directories. `what` names the setting in the
 * message (`targetDirectory`, `flinkConfiguration["state.checkpoints.dir"]`).
 */
export async function checkStateTarget(what: string, target: string, allowed: readonly string[]): Promise<void> {
  const fix = `savepoints and checkpoints may only be written under ${allowed.join(', ')} (the data directory, the dispatcher's -D state.checkpoints.dir/state.savepoints.dir, and ${DISPATCHER_OPTIONS.savepointAllowedDirs.env})`;
  if (isS3Path(target)) {
    let location: string;
    try {
      location = normalizeS3Path(target);
    } catch (err) {
      throw new InvalidRequest(`${what} ${(err as Error).message}`);
    }
    if (allowed.some((dir) => isS3Path(dir) && isUnderS3(location, dir))) return;
    throw new InvalidRequest(`${what} ${target} is outside the allowed directories: ${fix}`);
  }
  const plain = target.startsWith('file://') ? localPath(target) : target;
  if (HAS_SCHEME.test(plain)) throw new InvalidRequest(`${what} ${target} is not a directory path: ${fix}`);
  const real = await realPathOf(resolve(plain));
  for (const dir of allowed) {
    if (!isS3Path(dir) && isUnder(real, await realPathOf(dir))) return;
  }
  throw new InvalidRequest(`${what} ${target} is outside the allowed directories: ${fix}`);
}
