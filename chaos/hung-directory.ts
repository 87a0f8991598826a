/**
 * A savepoint target whose storage hangs, as on a hung NFS mount: every directory made under it gets
 * a FIFO at the name the savepoint's metadata is written through (`_metadata.tmp`). Opening a FIFO
 * for writing blocks until a reader opens it, so that write never returns on its own. `release()`
 * opens every FIFO for reading (the blocked writers then finish into it) and removes the directory,
 * so nothing stays stuck after the run.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readSync, rmSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/** The temporary name `_metadata` is written under before it is renamed (runtime/checkpoint/checkpoint-storage.ts). */
const HUNG_FILE = '_metadata.tmp';

export class HungDirectory {
  private readonly watcher: FSWatcher;
  private readonly fifos: string[] = [];

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    this.watcher = watch(path, (_event, name) => {
      if (!name) return;
      const fifo = join(path, name, HUNG_FILE);
      if (this.fifos.includes(fifo) || !existsSync(join(path, name))) return;
      try {
        execFileSync('mkfifo', ['-m', '600', fifo]);
        this.fifos.push(fifo);
      } catch {
        // The directory vanished or the FIFO exists: nothing to hang here.
      }
    });
  }

  /** How many writes were set up to hang. */
  get traps(): number { return this.fifos.length; }

  release(): void {
    this.watcher.close();
    const buf = Buffer.alloc(65536);
    for (const fifo of this.fifos) {
      try {
        const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
        // Drain what a writer already put in, so that it never blocks on a full pipe.
        try { while (readSync(fd, buf, 0, buf.length, null) > 0) { /* drain */ } } catch { /* EAGAIN: empty */ }
        closeSync(fd);
      } catch {
        // Already gone.
      }
    }
    rmSync(this.path, { recursive: true, force: true });
  }
}
