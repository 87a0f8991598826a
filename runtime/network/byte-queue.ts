/**
 * A queue of received byte chunks for the frame decoders (data plane and RPC). Chunks are kept as a
 * list and only the bytes of one whole frame are copied out, once, when the frame is complete, so
 * reading a large frame in many small chunks costs time linear in its size (concatenating the whole
 * buffer on every chunk was quadratic). `copiedBytes` counts every byte copied, for tests.
 */

export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Index of the first unread chunk (dropped chunks are spliced off in batches, not shifted one by one). */
  private head = 0;
  /** Read offset into chunks[head]. */
  private offset = 0;
  private size = 0;
  /** Bytes copied out so far (a frame inside one chunk is a view, not a copy). */
  copiedBytes = 0;

  /** Bytes queued. */
  get length(): number { return this.size; }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The byte at position `i` (0 = the next unread byte); `i` must be < length. */
  byteAt(i: number): number {
    let pos = i + this.offset;
    for (let k = this.head; k < this.chunks.length; k++) {
      const c = this.chunks[k]!;
      if (pos < c.length) return c[pos]!;
      pos -= c.length;
    }
    throw new RangeError(`byteAt(${i}) past the ${this.size} queued bytes`);
  }

  /** Removes and returns the next `n` bytes (n ≤ length): a view when they lie in one chunk, else one copy. */
  take(n: number): Buffer {
    if (n > this.size) throw new RangeError(`take(${n}) past the ${this.size} queued bytes`);
    const first = this.chunks[this.head];
    if (n === 0 || !first) return Buffer.alloc(0);
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.consume(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[this.head]!;
      const m = Math.min(c.length - this.offset, n - filled);
      c.copy(out, filled, this.offset, this.offset + m);
      filled += m;
      this.consume(m);
    }
    this.copiedBytes += n;
    return out;
  }

  /** Drops the next `n` bytes (n ≤ length). */
  skip(n: number): void {
    let left = Math.min(n, this.size);
    while (left > 0) {
      const m = Math.min(this.chunks[this.head]!.length - this.offset, left);
      this.consume(m);
      left -= m;
    }
  }

  /** Forgets everything queued (after a decode error: the connection is going away). */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.size = 0;
  }

  /** Advances past `n` bytes of chunks[head] (n ≤ what is left of it). */
  private consume(n: number): void {
    this.offset += n;
    this.size -= n;
    if (this.offset === this.chunks[this.head]!.length) {
      this.head++;
      this.offset = 0;
      if (this.head === this.chunks.length) {
        this.chunks = [];
        this.head = 0;
      } else if (this.head >= 1024) {
        this.chunks = this.chunks.slice(this.head);
        this.head = 0;
      }
    }
  }
}
