/** Use cases on stored bundles: list, store one upload (within the concurrent-upload limit), delete. */
import { DISPATCHER_OPTIONS } from '../config/index.js';
import type { BundleStore, StoredBundle } from './bundle-store.js';
import { BundleRejectedError } from './archive.js';
import type { UploadLimits } from './dispatcher-gateway.js';
import { BundleRejected, JarNotFound, Unavailable } from './errors.js';

export class JarService {
  private uploading = 0;

  constructor(private readonly bundles: BundleStore, readonly uploadLimits: UploadLimits) {}

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

  async deleteJar(jarId: string): Promise<void> {
    if (!(await this.bundles.delete(jarId))) throw new JarNotFound(jarId);
  }
}
