/**
 * The bundle store's quota: how many bundles, and how many uploaded bytes, may be stored together,
 * uploads in progress included (they count from their first byte, so concurrent uploads cannot
 * overrun it together). Separate from the store, which only says what is stored and reports each
 * upload's progress here.
 */
import { DISPATCHER_OPTIONS } from '../config/index.js';
import { BundleRejectedError } from './archive.js';

export class UploadQuota {
  /** Bytes received so far by each upload in progress. */
  private readonly inFlight = new Map<symbol, number>();

  /** 0: no limit. */
  constructor(readonly maxCount: number, readonly maxTotalBytes: number) {}

  /** An upload starts: it counts from now on (call before the first await, so concurrent uploads see each other). */
  begin(upload: symbol): void { this.inFlight.set(upload, 0); }

  end(upload: symbol): void { this.inFlight.delete(upload); }

  /**
   * Refuses with 507 at once when the count is reached; answers a check to call with the bytes
   * received so far, which refuses with 507 once the total would pass its limit.
   */
  async check(upload: symbol, stored: () => Promise<Array<{ size: number }>>): Promise<(received: number) => void> {
    const { maxCount, maxTotalBytes } = this;
    if (!maxCount && !maxTotalBytes) return () => {};
    const bundles = await stored();
    const free = 'delete bundles that are no longer needed (DELETE /jars/:jarid)';
    if (maxCount && bundles.length + this.inFlight.size > maxCount) {
      throw new BundleRejectedError(`the bundle store is full: ${bundles.length} bundles stored${this.inFlight.size > 1 ? ` and ${this.inFlight.size - 1} more being uploaded` : ''}, at most ${maxCount} (${DISPATCHER_OPTIONS.maxJars.env}); ${free}`, 507);
    }
    const storedBytes = bundles.reduce((n, b) => n + b.size, 0);
    return (received) => {
      this.inFlight.set(upload, received);
      if (!maxTotalBytes) return;
      const total = storedBytes + [...this.inFlight.values()].reduce((n, b) => n + b, 0);
      if (total > maxTotalBytes) {
        throw new BundleRejectedError(`the bundle store is full: this upload would bring the stored bundles to more than ${maxTotalBytes} bytes (${DISPATCHER_OPTIONS.maxJarBytesTotal.env}; ${storedBytes} stored); ${free}`, 507);
      }
    };
  }
}
