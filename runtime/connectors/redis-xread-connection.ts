/**
 * The Redis Streams source's read connection: XREAD and nothing else, over one socket, with its
 * reply parsed straight into StreamEntry objects.
 *
 * Why not ioredis for this: its parser makes a Buffer of every bulk string of a reply and then a
 * string of each Buffer, and XREAD's reply comes as nested arrays ([stream, [[id, [field, value,
 * …]], …]]) that the source then turns into entries. For the fraud job that was a fifth of a
 * TaskManager's CPU at parallelism 1 (Buffer → string conversion 10–16 %, redis-parser 4–6 %) and a
 * large part of its garbage (bench/README.md, "Profile (issue 18)"). Here a reply is collected
 * whole, checked to be ASCII in one native call, turned into strings a window at a time, and the
 * entries' short strings are cut out of those; field names repeat from entry to entry and are
 * reused, not re-made, and an entry's fields object is made by an object literal for its names.
 * Replies with other bytes take a UTF-8 decode per string, as ioredis does (same results).
 *
 * The reply is parsed by xread-reply.ts. Connection failures behave as the source's ioredis connection did (maxRetriesPerRequest: null):
 * the read is sent again once the connection is back (XREAD names its positions, so a repeat reads
 * the same entries), retrying after min(50 ms × attempt, 2 s), until `close()`. A Redis error reply
 * fails the read. Only `redis://host[:port][/db]` URLs, with an optional user and password, are
 * handled here (`parseRedisUrl`); the source keeps ioredis for any other form (TLS, query options,
 * Unix sockets).
 */
import { connect, type Socket } from 'node:net';
import { RedisReplyError, respLine, XreadReplyParser, type StreamBatch } from './xread-reply.js';

export { RedisReplyError, type StreamBatch } from './xread-reply.js';

export interface RedisEndpoint { host: string; port: number; username?: string | undefined; password?: string | undefined; db: number }

/** The endpoint of a plain `redis://` URL without query options; undefined for any other form. */
export function parseRedisUrl(url: string): RedisEndpoint | undefined {
  let u: URL;
  try { u = new URL(url); } catch { return undefined; }
  if (u.protocol !== 'redis:' || u.search || u.hash || !u.hostname) return undefined;
  const path = u.pathname.replace(/^\//, '');
  if (path && !/^\d+$/.test(path)) return undefined;
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return {
    host, port: u.port ? Number(u.port) : 6379, db: path ? Number(path) : 0,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
}

/**
 * Error replies that mean "not now" rather than "never": a server loading its dataset after a
 * restart (ioredis waits for it to be ready after connecting), busy with a script, or a replica
 * without its master. The read is repeated after the usual delay, as after a lost connection.
 */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN)\b/;
const NO_PASSWORD_SET = /without any password configured|no password is set/i;

const CONNECT_TIMEOUT_MS = 10_000;

export class RedisXreadConnection {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private closed = false;
  /** Bytes received and not consumed; `scanOff`/`stack`: how far the reply in progress is known to be complete. */
  private buf = Buffer.allocUnsafe(64 * 1024);
  private len = 0;
  private scanOff = 0;
  private stack: number[] = [];
  private waiter: { resolve: (end: number) => void; reject: (err: Error) => void } | undefined;
  private readonly parser = new XreadReplyParser();
  /** The integer of the last RESP line scanned. */
  private readonly line = { int: 0 };

  constructor(private readonly endpoint: RedisEndpoint) {}

  /** XREAD COUNT `count` [BLOCK `blockMs`] STREAMS … ids; null when nothing was there (or the block timed out). */
  async xread(count: number, blockMs: number | undefined, streams: string[], ids: string[]): Promise<StreamBatch[] | null> {
    const args = ['XREAD', 'COUNT', String(count), ...(blockMs === undefined ? [] : ['BLOCK', String(blockMs)]), 'STREAMS', ...streams, ...ids];
    for (let attempt = 1; ; attempt++) {
      let end: number;
      try {
        const socket = await this.open();
        end = await this.request(socket, args);
      } catch (err) {
        if (this.closed || (err instanceof RedisReplyError && !TRANSIENT_REPLY.test(err.message))) throw err;
        await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 2000)));
        continue;
      }
      try {
        return this.parser.parse(this.buf, end);
      } finally {
        this.consume(end);
      }
    }
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.fail(new Error('the connection was closed'));
  }

  private async open(): Promise<Socket> {
    if (this.closed) throw new Error('the connection was closed');
    if (this.socket) return this.socket;
    this.connecting ??= this.connect().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private async connect(): Promise<Socket> {
    const { host, port, username, password, db } = this.endpoint;
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`connecting to Redis at ${host}:${port} timed out`)); }, CONNECT_TIMEOUT_MS);
      socket.once('connect', () => { clearTimeout(timer); resolve(); });
      socket.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
    this.len = 0;
    this.resetScan();
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.fail(new Error('the connection to Redis was lost'));
    });
    if (this.closed) { socket.destroy(); throw new Error('the connection was closed'); }
    try {
      if (password !== undefined) {
        try {
          this.consume(await this.request(socket, username !== undefined ? ['AUTH', username, password] : ['AUTH', password]));
        } catch (err) {
          // A password for a server that has none: ioredis goes on (with a warning), and so does this.
          if (!(err instanceof RedisReplyError && NO_PASSWORD_SET.test(err.message))) throw err;
        }
      }
      if (db !== 0) this.consume(await this.request(socket, ['SELECT', String(db)]));
    } catch (err) {
      socket.destroy();
      throw err;
    }
    this.socket = socket;
    return socket;
  }

  /** Sends one command and resolves with the end offset of its whole reply in `buf` (an error reply rejects). */
  private request(socket: Socket, args: string[]): Promise<number> {
    if (this.waiter) return Promise.reject(new Error('one XREAD at a time'));
    let cmd = `*${args.length}\r\n`;
    for (const a of args) cmd += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    const reply = new Promise<number>((resolve, reject) => {
      this.waiter = {
        resolve: (end) => {
          if (this.buf[0] === 0x2d /* - */) {
            const message = this.buf.toString('utf8', 1, end - 2);
            this.consume(end);
            reject(new RedisReplyError(message));
          } else resolve(end);
        },
        reject,
      };
    });
    socket.write(cmd);
    this.check();
    return reply;
  }

  private fail(err: Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    this.len = 0;
    this.resetScan();
    w?.reject(err);
  }

  private received(chunk: Buffer): void {
    if (this.len + chunk.length > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + chunk.length));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
    this.check();
  }

  /** Hands the reply to the waiting request once all of it is here. */
  private check(): void {
    if (!this.waiter) return;
    let end: number;
    try {
      end = this.scan();
    } catch (err) {
      this.socket?.destroy();
      this.fail(err as Error);
      return;
    }
    if (end < 0) return;
    const w = this.waiter;
    this.waiter = undefined;
    w.resolve(end);
  }

  private resetScan(): void {
    this.scanOff = 0;
    this.stack = [];
  }

  /** Drops the first `end` bytes (a reply that was used). */
  private consume(end: number): void {
    this.buf.copy(this.buf, 0, end, this.len);
    this.len -= end;
    this.resetScan();
    if (this.buf.length > 4 * 1024 * 1024 && this.len < 64 * 1024) {
      const smaller = Buffer.allocUnsafe(64 * 1024);
      this.buf.copy(smaller, 0, 0, this.len);
      this.buf = smaller;
    }
  }

  /**
   * How far the reply at the start of `buf` is complete, resumed where the last call stopped: its
   * end offset, or -1 while bytes are missing. Only lengths are read here; nothing is allocated.
   */
  private scan(): number {
    const b = this.buf;
    const stack = this.stack;
    let off = this.scanOff;
    for (;;) {
      if (off >= this.len) return -1;
      const type = b[off];
      let next: number;
      if (type === 0x2b /* + */ || type === 0x2d /* - */ || type === 0x3a /* : */) {
        const lineEnd = this.simpleLineAt(off + 1);
        if (lineEnd < 0 || lineEnd + 1 >= this.len) return -1;
        next = lineEnd + 2;
      } else if (type === 0x24 /* $ */ || type === 0x2a /* * */) {
        const lineEnd = respLine(this.buf, off + 1, this.len, this.line);
        if (lineEnd < 0 || lineEnd + 1 >= this.len) return -1;
        const n = this.line.int;
        if (type === 0x2a && n > 0) {
          stack.push(n);
          off = this.scanOff = lineEnd + 2;
          continue;
        }
        next = type === 0x2a || n < 0 ? lineEnd + 2 : lineEnd + 2 + n + 2;
        if (next > this.len) return -1;
      } else throw new Error(`unexpected byte ${type} in a Redis reply`);
      // One element complete: count it off its arrays, innermost first.
      off = this.scanOff = next;
      while (stack.length > 0 && --stack[stack.length - 1]! === 0) stack.pop();
      if (stack.length === 0) return off;
    }
  }

  /** Where the simple line (status, error) from `from` ends: its CR, or -1. */
  private simpleLineAt(from: number): number {
    const b = this.buf;
    for (let i = from; i < this.len; i++) if (b[i] === 13 /* CR */) return i;
    return -1;
  }
}
