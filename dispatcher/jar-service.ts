/** Use cases on stored bundles: list, store one upload (within the concurrent-upload limit), delete one no job uses. */
import { DISPATCHER_OPTIONS } from '../config/index.js';
import { isTerminal, type JobRegistry } from '../metadata/index.js';
import type { BundleStore, StoredBundle } from './bundle-store.js';
import { BundleRejectedError } from './archive.js';
import type { UploadLimits } from './dispatcher-gateway.js';
import { BundleRejected, JarInUse, JarNotFound, Unavailable } from './errors.js';

export class JarService {
  private uploading = 0;

  constructor(private readonly bundles: BundleStore, readonly uploadLimits: UploadLimits, private readonly registry: Pick<JobRegistry, 'list'>) {}

  /** Uploads holding a slot right now. */
  get uploadsInProgress(): number {
    return this.uploading;
  }

  listJars(): Promise<StoredBundle[]> {
    return this.bundles.list();
  }

  reserveUpload(): () => void {
    if (this.uploading >= this.uploadLimits.maxConcurrent) {
      throw new Unavailable(`${this.uploading} uploads are in progress (the limit, ${DISPATCHER_OPTIONS.maxConcurrentUploads.env}); retry shortly`, 5);
    }
    this.uploading++;
    let freed = false;
    return () => { if (!freed) { freed = true; this.uploading--; } };
  }

  async storeJar(fileName: string, content: NodeJS.ReadableStream): Promise<StoredBundle> {
    try {
      return await this.bundles.save(fileName, content);
    } catch (err) {
      if (err instanceof BundleRejectedError) throw new BundleRejected(err.message, err.statusCode);
      throw err;
    }
  }

  discardJar(jarId: string): Promise<boolean> {
    return this.bundles.delete(jarId);
  }

  /**
   * Deletes the bundle unless a job that has not ended uses it (409 naming the jobs): its job process
   * and TaskManagers load the bundle again on every restart. A run request racing the delete makes it
   * 409 when its job is recorded first; otherwise its job finds the bundle gone and fails to start.
   */
  async deleteJar(jarId: string): Promise<void> {
    if (!(await this.bundles.get(jarId))) throw new JarNotFound(jarId);
    const users = (await this.registry.list()).filter((j) => j.jarId === jarId && !isTerminal(j.state));
    if (users.length) throw new JarInUse(jarId, users.map((j) => j.id));
    if (!(await this.bundles.delete(jarId))) throw new JarNotFound(jarId);
  }
}
