/**
 * The bundles of an HA cluster whose `high-availability.storageDir` is an `s3://` URL: the shared
 * copy every dispatcher lists, and fetches a bundle from when it starts a job from it. Layout under
 * `<storageDir>/<cluster-id>/jars/` (as the local store's, without the extracted directories):
 *   <id>        the uploaded file, as uploaded (an object appears whole: PUT or a completed multipart)
 *   <id>.json   the sidecar {name, uploaded, size, kind, entry}, PUT last: only ids with one exist
 * A dispatcher checks an upload on a local file first (bundle-store.ts), then writes it here; an
 * archive is extracted again (with the same checks) by each dispatcher that fetches it.
 */
import { open } from 'node:fs/promises';
import { cleanupFailed } from '../runtime/cleanup.js';
import { joinS3 } from '../runtime/checkpoint/s3-location.js';
import type { S3Storage } from '../runtime/checkpoint/s3-storage.js';

/** What the sidecar holds (bundle-names.ts checks its shape). */
export type RemoteSidecar = object;

/** Bytes per request when a bundle goes up (a multipart part beyond S3Storage's PART_SIZE) or comes down (a ranged GET). */
const CHUNK = 8 * 1024 * 1024;

const isNotFound = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

export class RemoteBundles {
  /** `dir`: the normalised `s3://…/jars` location. */
  constructor(readonly storage: S3Storage, readonly dir: string) {}

  /** Where the uploaded file of `id` lives. */
  location(id: string): string { return joinS3(this.dir, id); }

  /** The id of a location this store answered (`location(id)`), or undefined for any other. */
  idOf(location: string): string | undefined {
    const prefix = `${this.dir}/`;
    if (!location.startsWith(prefix)) return undefined;
    const id = location.slice(prefix.length);
    return id.includes('/') ? undefined : id;
  }

  /** Uploads the local file as the object of `id` (streamed: multipart beyond one part). */
  async putFile(id: string, file: string): Promise<void> {
    const writer = await this.storage.create(this.location(id));
    const fh = await open(file, 'r');
    try {
      for (;;) {
        // A fresh buffer per chunk: the writer may hold it until close.
        const buf = Buffer.allocUnsafe(CHUNK);
        const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
        if (bytesRead === 0) break;
        await writer.writev([buf.subarray(0, bytesRead)]);
      }
      await writer.close();
    } catch (err) {
      await writer.abort().catch(cleanupFailed('aborting the upload of a bundle to S3', undefined, { to: file }));
      throw err;
    } finally {
      await fh.close();
    }
  }

  /** Writes a checked upload through: the file, then the sidecar (from then on every dispatcher lists it); a failure removes what went up. */
  async putBundle(id: string, file: string, sidecar: RemoteSidecar): Promise<void> {
    try {
      await this.putFile(id, file);
      await this.putSidecar(id, sidecar);
    } catch (err) {
      await this.remove(id).catch((e: Error) => {
        process.emitWarning(`could not remove ${this.location(id)} after a failed upload: ${e.message}; remove it by hand`, { code: 'EBBFLOW_UPLOAD_LEFTOVER' });
      });
      throw err;
    }
  }

  /** Writes the sidecar, which makes the bundle exist for every dispatcher. */
  async putSidecar(id: string, sidecar: RemoteSidecar): Promise<void> {
    await this.storage.writeAtomically(`${this.location(id)}.json`, Buffer.from(JSON.stringify(sidecar)));
  }

  /** The ids with a sidecar. */
  async ids(): Promise<string[]> {
    const names = await this.storage.list(this.dir);
    return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
  }

  /** The parsed sidecar, or undefined when there is none (or it is not JSON). */
  async sidecar(id: string): Promise<unknown> {
    let bytes: Buffer;
    try {
      bytes = await this.storage.readAll(`${this.location(id)}.json`);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    try { return JSON.parse(bytes.toString('utf8')); } catch { return undefined; }
  }

  /** Downloads the uploaded file of `id` into `target` (created 0600, must not exist) by ranged GETs. */
  async fetchFile(id: string, target: string): Promise<number> {
    const reader = await this.storage.openRead(this.location(id));
    const fh = await open(target, 'wx', 0o600);
    let position = 0;
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      for (;;) {
        const n = await reader.read(buf, position);
        if (n === 0) break;
        await fh.write(buf, 0, n);
        position += n;
      }
    } finally {
      await fh.close();
      await reader.close();
    }
    return position;
  }

  /** Removes the sidecar (the bundle is gone for every dispatcher at once), then the file. */
  async remove(id: string): Promise<void> {
    await this.storage.removeObject(`${this.location(id)}.json`);
    await this.storage.removeObject(this.location(id));
  }
}
