/**
 * A savepoint target whose storage hangs, as on a hung NFS mount: every directory made under it gets
 * a FIFO (chaos/hung-storage.ts) at the name the savepoint's metadata is written through
 * (`_metadata.tmp`), so that write never returns on its own. `release()` unblocks every hung write
 * and removes the directory, so nothing stays stuck after the run.
 */
import { mkdirSync, rmSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { HungStorage } from './hung-storage.js';

/** The temporary name `_metadata` is written under before it is renamed (runtime/checkpoint/checkpoint-storage.ts). */
const HUNG_FILE = '_metadata.tmp';

export class HungDirectory {
  private readonly watcher: FSWatcher;
  private readonly storage: HungStorage;
  private readonly seen = new Set<string>();
  /** How many writes were set up to hang. */
  traps = 0;
  /** Entries a FIFO could not be put into, with why (shown when no write hung). */
  readonly misses: string[] = [];

  /** `keepDir`: where the FIFOs' second names live, outside `path`. */
  constructor(readonly path: string, keepDir: string) {
    mkdirSync(path, { recursive: true });
    this.storage = new HungStorage(keepDir);
    // The FIFO is made in advance: when a directory appears, only a hard link has to win the race with the job's write.
    let next = this.storage.prepare();
    this.watcher = watch(path, (_event, name) => {
      if (!name || this.seen.has(name)) return;
      this.seen.add(name);
      try {
        next(join(path, name, HUNG_FILE));
        this.traps++;
        next = this.storage.prepare();
      } catch (err) {
        this.misses.push(`${name}: ${(err as Error).message}`);
      }
    });
  }

  async release(): Promise<void> {
    this.watcher.close();
    await this.storage.release();
    rmSync(this.path, { recursive: true, force: true });
  }
}
