/**
 * The registration secrets of a job's TaskManagers: the ResourceManager issues a random one with
 * each worker it requests (handed to that TaskManager only, by its driver) and the JobMaster's
 * endpoint checks a connecting TaskManager's handshake against the one issued for the resource id
 * it names. A worker that is released or lost loses its secret, so it cannot register again.
 */
import { newSecret } from '../runtime/network/handshake.js';

export class WorkerSecrets {
  private readonly secrets = new Map<string, Buffer>();

  /** A new secret for `resourceId` (replacing any earlier one). */
  issue(resourceId: string): Buffer {
    const secret = newSecret();
    this.secrets.set(resourceId, secret);
    return secret;
  }

  /** Takes over the secret an earlier job process issued to `resourceId` (a TaskManager that may re-register after a failover). */
  restore(resourceId: string, secret: Buffer): void { this.secrets.set(resourceId, Buffer.from(secret)); }

  get(resourceId: string): Buffer | undefined { return this.secrets.get(resourceId); }

  revoke(resourceId: string): void { this.secrets.delete(resourceId); }

  clear(): void { this.secrets.clear(); }
}
