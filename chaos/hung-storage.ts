/**
 * A storage call that really hangs, for the chaos run and the tests: opening a FIFO blocks until the other end is opened
 * (as a call on a dead NFS mount blocks). `hangAt` puts a FIFO where a file will be opened; the
 * FIFO has a second name (a hard link kept outside the target) so that `release` can unblock the
 * waiting process even after the target directory was deleted. Each hung call holds one libuv
 * threadpool thread of the process that made it until it is released.
 */
import { execFileSync } from 'node:child_process';
import { constants, linkSync, mkdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

export class HungStorage {
  private n = 0;
  private readonly fifos: string[] = [];

  /** `keepDir`: where the FIFOs' second names live (created if missing). */
  constructor(private readonly keepDir: string) { mkdirSync(keepDir, { recursive: true }); }

  /** Makes `path` a FIFO: a process opening it hangs until `release()`. Synchronous and fast (a hard link). */
  hangAt(path: string): void {
    const fifo = join(this.keepDir, `fifo-${this.n++}`);
    execFileSync('mkfifo', ['-m', '600', fifo]);
    this.fifos.push(fifo);
    linkSync(fifo, path);
  }

  /** A FIFO made in advance, linked to `path` on demand (for a path that appears in a race). */
  prepare(): (path: string) => void {
    const fifo = join(this.keepDir, `fifo-${this.n++}`);
    execFileSync('mkfifo', ['-m', '600', fifo]);
    this.fifos.push(fifo);
    return (path) => linkSync(fifo, path);
  }

  /**
   * Unblocks every process waiting on the FIFOs (opens both ends without blocking; drains what
   * writers send until they close or `timeoutMs` passes), then deletes them.
   */
  async release(timeoutMs = 5000): Promise<void> {
    for (const fifo of this.fifos.splice(0)) {
      // A process hung opening it for reading: a writer that opens and closes gives it an empty file.
      await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).then((w) => w.close(), (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENXIO') throw err; // ENXIO: nobody waits to read
      });
      // A process hung opening it for writing: a reader takes what it writes until it closes.
      const fh = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      const deadline = Date.now() + timeoutMs;
      const buf = Buffer.alloc(64 * 1024);
      try {
        for (;;) {
          try {
            // 0 bytes: no writer has the FIFO open (any more).
            if ((await fh.read(buf, 0, buf.length, null)).bytesRead === 0) break;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
            if (Date.now() > deadline) break;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      } finally {
        await fh.close();
        rmSync(fifo, { force: true });
      }
    }
  }
}
