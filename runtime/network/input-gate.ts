/**
 * The receiving end of one input edge of a subtask: batches from every producer
 * subtask (one channel each) queue here. Each channel has `capacity` credits: a
 * batch takes one when pushed and gives it back when the consumer `release`s it
 * after processing. `push` waits for a credit, so a slow (or aligning) consumer
 * holds its producers back: locally by awaiting, remotely because the data
 * server stops reading the socket and TCP pushes back.
 */
import type { StreamElement } from '../elements.js';
import type { IoCounters } from '../subtask-metrics.js';

/** `bytes`: the size of the data frame it came in (0 for a batch handed over in memory). */
export interface ChannelBatch { channel: number; batch: StreamElement[]; bytes?: number }

/** What `next()` returns after `wake()`: no data, but the consumer has something else to do. */
export const WAKE_CHANNEL = -1;

export class InputGate {
  private readonly queue: ChannelBatch[] = [];
  private readonly queued = new Map<number, number>();
  private readonly blocked = new Map<number, Array<() => void>>();
  private waiter: ((b: ChannelBatch | undefined) => void) | undefined;
  private closed = false;
  private woken = false;
  private readonly creditListeners = new Map<number, (credits: number) => void>();

  /** Credits (batches in flight or queued) each channel may have. */
  constructor(readonly capacity = 8) {}

  /** Calls `listener(1)` whenever a batch of `channel` is released: a remote producer's credit announcement. */
  onCredit(channel: number, listener: (credits: number) => void): void {
    this.creditListeners.set(channel, listener);
  }

  /** Whether `next()` answers at once (a batch is queued, the gate was woken or closed). */
  get ready(): boolean { return this.queue.length > 0 || this.woken || this.closed; }

  /** `producer`: a local producer's counters, which count a wait for a credit as back-pressure. */
  async push(channel: number, batch: StreamElement[], bytes = 0, producer?: IoCounters): Promise<void> {
    if (!this.closed && (this.queued.get(channel) ?? 0) >= this.capacity) {
      producer?.blockedStart();
      while (!this.closed && (this.queued.get(channel) ?? 0) >= this.capacity) {
        await new Promise<void>((resolve) => {
          const list = this.blocked.get(channel) ?? [];
          list.push(resolve);
          this.blocked.set(channel, list);
        });
      }
      producer?.blockedEnd();
    }
    if (this.closed) return;
    const item: ChannelBatch = bytes ? { channel, batch, bytes } : { channel, batch };
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(item);
      return;
    }
    this.queue.push(item);
    this.queued.set(channel, (this.queued.get(channel) ?? 0) + 1);
  }

  next(): Promise<ChannelBatch | undefined> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve({ channel: WAKE_CHANNEL, batch: [] });
    }
    const item = this.queue.shift();
    if (item) return Promise.resolve(item);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => { this.waiter = resolve; });
  }

  /** Whether the gate was woken since the last `next()`; clears it (a consumer replaying batches it holds checks between them). */
  takeWake(): boolean {
    const w = this.woken;
    this.woken = false;
    return w;
  }

  /** Makes the consumer's pending (or next) `next()` return a WAKE_CHANNEL item, e.g. when loaded state is ready. */
  wake(): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ channel: WAKE_CHANNEL, batch: [] });
    } else {
      this.woken = true;
    }
  }

  /** Gives back the credit of one processed batch of `channel`. */
  release(channel: number): void {
    this.queued.set(channel, Math.max(0, (this.queued.get(channel) ?? 1) - 1));
    const waiting = this.blocked.get(channel);
    if (waiting?.length) waiting.shift()!();
    this.creditListeners.get(channel)?.(1);
  }

  /** Ends the gate: the consumer's next() returns undefined and blocked producers are released. */
  close(): void {
    this.closed = true;
    this.creditListeners.clear();
    this.queue.length = 0;
    this.waiter?.(undefined);
    this.waiter = undefined;
    for (const list of this.blocked.values()) for (const r of list) r();
    this.blocked.clear();
  }
}
