/**
 * A hand-written stand-in for a net.Socket, enough for an RpcConnection: tests feed it bytes with
 * `receive`, and it records what was written and whether (and why) it was destroyed. Events are
 * emitted synchronously, so a test sees the outcome of a chunk right after feeding it.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

export class TestingSocket extends EventEmitter {
  destroyed = false;
  writable = true;
  destroyedWith: Error | undefined;
  readonly written: Uint8Array[] = [];

  setNoDelay(): this { return this; }

  /** Delivers a chunk as the peer's bytes (ignored once destroyed, like a real socket). */
  receive(chunk: Buffer): void {
    if (!this.destroyed) this.emit('data', chunk);
  }

  write(data: Uint8Array): boolean { this.written.push(data); return true; }

  end(): this { return this.destroy(); }

  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.writable = false;
    this.destroyedWith = err;
    if (err) this.emit('error', err);
    this.emit('close', Boolean(err));
    return this;
  }

  /** This fake, typed as the socket it stands in for. */
  asSocket(): Socket { return this as unknown as Socket; }
}
