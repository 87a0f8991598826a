/**
 * HA storage on S3: a job record names its bundle by its shared location (`s3://…/jars/<id>`), since
 * the leader that starts (or restarts) the job may not be the one the bundle was uploaded at, and
 * each dispatcher has its own data directory. Before the job process starts, the bundle is brought
 * into this dispatcher's cache (fetched from S3 and checked once per dispatcher) and the process
 * gets the local path, as without S3: it loads the bundle from there, and on Mesos its artifact
 * server serves it to the TaskManagers from there.
 */
import { isS3Path } from '../runtime/checkpoint/s3-location.js';
import type { JobSpec } from '../jobmaster/job-spec.js';
import type { BundleStore } from './bundle-store.js';
import type { FencedLaunch, JobProcess, JobProcessLauncher } from './job-process-launcher.js';

export class BundleFetchingLauncher implements JobProcessLauncher {
  constructor(private readonly inner: JobProcessLauncher, private readonly bundles: Pick<BundleStore, 'materialiseLocation'>) {}

  async launch(spec: JobSpec, fenced?: FencedLaunch): Promise<JobProcess> {
    if (!isS3Path(spec.bundlePath)) return this.inner.launch(spec, fenced);
    let local: string;
    try {
      local = (await this.bundles.materialiseLocation(spec.bundlePath)).bundlePath;
    } catch (err) {
      throw new Error(`could not fetch the job's bundle from the HA storage: ${(err as Error).message}`, { cause: err });
    }
    return this.inner.launch({ ...spec, bundlePath: local }, fenced);
  }

  logTail(jobId: string): string { return this.inner.logTail(jobId); }
  isAlive(pid: number): boolean { return this.inner.isAlive(pid); }
  signal(pid: number, signal: NodeJS.Signals): boolean { return this.inner.signal(pid, signal); }
}
