/**
 * How the Redis Streams source (redis-stream-source.ts, which decides what to read) issues its XREADs:
 *
 * - over its own connection (redis-xread-connection.ts) for the URLs that handles, else ioredis;
 * - read-ahead: the next non-blocking XREAD is sent as soon as a batch is parsed, so that Redis answers
 *   it while the batch is processed; it is used only if the next read asks for exactly these streams
 *   at exactly these positions (else awaited and dropped: the connection reads one thing at a time);
 * - what is there is read at once; only when nothing is does a read block (XREAD BLOCK, `blockMs`),
 *   and that wait is waiting for input (`waitedMs`), also when an entry ends it;
 * - `wake` (a checkpoint trigger) ends a wait for input at once: the read gives nothing and the
 *   blocked XREAD stays in flight as the read-ahead, so the next read takes it up — the barrier goes in
 *   before whatever arrives, and nothing is read twice or lost.
 */
import type { Redis } from 'ioredis';
import type { StreamEntry } from '../../sdk/types.js';
import { cleanupFailed } from '../cleanup.js';
import type { RedisXreadConnection, StreamBatch } from './redis-xread-connection.js';

export type XreadReply = Array<[string, Array<[string, string[]]>]> | null;

/** An XREAD's outcome: never a rejected promise, so that one in flight that nobody takes up is not an unhandled rejection. */
type Outcome = { batches: StreamBatch[] | null } | { error: unknown };

/** An XREAD in flight: what it asked for, its outcome, and whether it blocks for input. */
interface Read { key: string; reply: Promise<Outcome>; blocking?: boolean }

/** The batches of an outcome; its failure thrown to the poll that takes it up. */
function unwrap(o: Outcome): StreamBatch[] | null {
  if ('error' in o) throw o.error;
  return o.batches;
}

/** What a wait ended by `wake` gives instead of a reply. */
const WOKEN = Symbol('woken');

export class StreamReads {
  private ahead: Read | undefined;
  /** Ends the wait in progress (`wake`). */
  private waker: (() => void) | undefined;
  /** `wake` was called during this poll: a wait that starts later in it ends at once. */
  private wakeRequested = false;
  private closed = false;
  /** How long a read with nothing to read waits for an entry (XREAD BLOCK), ms. */
  blockMs = 200;
  /** Time spent in reads that blocked because nothing was there to read, ms since the reader started. */
  waitedMs = 0;

  /** `reader`: the reading connection, when the URL is one it handles; else reads go through `connection()`. */
  constructor(private readonly reader: RedisXreadConnection | undefined, private readonly connection: () => Promise<Redis>) {}

  /** A poll starts: the subtask handled every trigger before it, so a wake of an earlier poll is spent. */
  newPoll(): void { this.wakeRequested = false; }

  /** Whether `wake` was called during this poll. */
  get woken(): boolean { return this.wakeRequested; }

  /** Whether a wait for input is in progress (a blocked read, or `idle`). */
  get waiting(): boolean { return this.waker !== undefined; }

  /** `count` entries at most of `streams` after `ids`: what is there now, else the first to arrive within `blockMs`; null when none came or `wake` ended the wait. */
  async next(count: number, streams: string[], ids: string[]): Promise<StreamBatch[] | null> {
    let got = await this.readNow(count, streams, ids);
    if (got === null && !this.closed) got = await this.waitBlocked(this.send(count, this.blockMs, streams, ids));
    return got === WOKEN ? null : got;
  }

  /** Sends the read the next poll will want (from `ids` on), now; only over the reading connection. */
  readAhead(count: number, streams: string[], ids: string[]): void {
    if (this.reader && !this.closed) this.ahead = this.send(count, undefined, streams, ids);
  }

  /** Waits for a read-ahead that will not be used (its entries come again from the next read) and forgets it. */
  async dropAhead(): Promise<void> {
    const ahead = this.ahead;
    this.ahead = undefined;
    const o = ahead && await ahead.reply;
    // Nothing is lost (the next read asks again), but a failing connection should show before that read fails too.
    if (o && 'error' in o && !this.closed) cleanupFailed('an XREAD read ahead and not used failed', undefined, { key: ahead.key.replace(/\u0000/g, ' ') })(o.error);
  }

  /** Waits `ms`, or until `wake`. */
  async idle(ms: number): Promise<void> {
    await this.untilWoken(new Promise((r) => setTimeout(r, ms)));
  }

  /** Ends the wait for input in progress, or the next to start in this poll. */
  wake(): void {
    this.wakeRequested = true;
    this.waker?.();
  }

  close(): void {
    this.closed = true;
    this.waker?.();
    this.reader?.close();
  }

  /** The read-ahead's answer if it asked for just this (a blocked one waited for again, until woken), else a read now. */
  private async readNow(count: number, streams: string[], ids: string[]): Promise<StreamBatch[] | null | typeof WOKEN> {
    const ahead = this.ahead;
    if (ahead && ahead.key === readKey(count, streams, ids)) {
      this.ahead = undefined;
      return ahead.blocking ? this.waitBlocked(ahead) : unwrap(await ahead.reply);
    }
    await this.dropAhead();
    return this.xread(count, undefined, streams, ids);
  }

  /** Waits for a blocking read's answer; woken first, the read stays in flight as the read-ahead. */
  private async waitBlocked(read: Read): Promise<StreamBatch[] | null | typeof WOKEN> {
    const t0 = performance.now();
    const got = await this.untilWoken(read.reply);
    this.waitedMs += performance.now() - t0;
    if (got === WOKEN) { this.ahead = read; return WOKEN; }
    return unwrap(got);
  }

  /** `p`'s value, or WOKEN as soon as `wake` (or `close`) is called, whichever comes first. */
  private async untilWoken<T>(p: Promise<T>): Promise<T | typeof WOKEN> {
    if (this.wakeRequested || this.closed) return WOKEN;
    let wake!: () => void;
    const woken = new Promise<typeof WOKEN>((resolve) => { wake = () => resolve(WOKEN); });
    this.waker = wake;
    try {
      return await Promise.race([p, woken]);
    } finally {
      if (this.waker === wake) this.waker = undefined;
    }
  }

  /** An XREAD sent now; its failure is thrown by the read that takes it up, or logged if it is dropped. */
  private send(count: number, blockMs: number | undefined, streams: string[], ids: string[]): Read {
    const reply = this.xread(count, blockMs, streams, ids).then((batches): Outcome => ({ batches }), (error: unknown): Outcome => ({ error }));
    return { key: readKey(count, streams, ids), reply, blocking: blockMs !== undefined };
  }

  /** XREAD over the reading connection, or ioredis for URLs it does not handle. */
  private async xread(count: number, blockMs: number | undefined, streams: string[], ids: string[]): Promise<StreamBatch[] | null> {
    if (this.reader) return this.reader.xread(count, blockMs, streams, ids);
    const redis = await this.connection();
    const res = blockMs === undefined
      ? await redis.xread('COUNT', count, 'STREAMS', ...streams, ...ids)
      : await redis.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...streams, ...ids);
    return toBatches(res as XreadReply);
  }
}

function readKey(count: number, streams: string[], ids: string[]): string {
  return `${count}\u0000${streams.join('\u0000')}\u0000${ids.join('\u0000')}`;
}

/** An ioredis XREAD reply as entries. */
export function toBatches(res: XreadReply): StreamBatch[] | null {
  if (!res) return null;
  return res.map(([stream, raw]) => ({
    stream,
    entries: raw.map(([id, flat]): StreamEntry => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
      return { stream, id, fields };
    }),
  }));
}
