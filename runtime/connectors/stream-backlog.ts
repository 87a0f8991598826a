/**
 * Per stream of a Redis Streams source subtask: entries read, and the backlog (entries written to
 * the stream after the read position), at a bounded cost per report: no XRANGE over the backlog.
 *
 * Redis ≥ 7 counts every entry ever added to a stream (`entries-added` of XINFO STREAM). The reader
 * keeps `consumed`: the value of that counter at its read position. Then the backlog is
 * `entries-added − consumed`. `consumed` is learnt exactly when a probe (XINFO STREAM and a
 * non-blocking XREAD in one MULTI, so nothing is added in between) reads the stream to its end
 * (fewer entries than asked for: consumed = entries-added), or when the read position is before the
 * stream's first entry (all `length` entries are ahead: consumed = entries-added − length); it then
 * goes up with every entry read and is kept in checkpoints. Until it is known the backlog is -1. An
 * entry deleted before it was read stays counted until the reader catches up once (re-anchored).
 */
import type { SplitReport } from '../subtask-metrics.js';

/** What XINFO STREAM says about a stream (the fields used here). */
export interface StreamInfo { entriesAdded: number; length: number; firstEntryId: string | undefined }

/** The fields of an XINFO STREAM reply (a flat key, value list); undefined if it is not one (Redis < 7 has no entries-added). */
export function parseStreamInfo(reply: unknown): StreamInfo | undefined {
  if (!Array.isArray(reply)) return undefined;
  let entriesAdded: number | undefined;
  let length = 0;
  let firstEntryId: string | undefined;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const k = String(reply[i]);
    const v = reply[i + 1] as unknown;
    if (k === 'entries-added') entriesAdded = Number(v);
    else if (k === 'length') length = Number(v);
    else if (k === 'first-entry' && Array.isArray(v)) firstEntryId = String(v[0]);
  }
  return entriesAdded === undefined || !Number.isFinite(entriesAdded) ? undefined : { entriesAdded, length, firstEntryId };
}

/** Compares two stream entry ids (`<ms>-<seq>`). */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

interface Progress { read: number; consumed: number | undefined; addedAtProbe: number | undefined }

export class StreamBacklog {
  private readonly streams = new Map<string, Progress>();
  /** Records read over all streams. */
  total = 0;

  private of(stream: string): Progress {
    let p = this.streams.get(stream);
    if (!p) this.streams.set(stream, (p = { read: 0, consumed: undefined, addedAtProbe: undefined }));
    return p;
  }

  /** `n` entries of `stream` were read. */
  read(stream: string, n: number): void {
    const p = this.of(stream);
    p.read += n;
    this.total += n;
    if (p.consumed !== undefined) p.consumed += n;
  }

  /**
   * A probe saw `info` (before its XREAD, atomically), with the read position at `position` then;
   * the XREAD returned `got` entries of at most `asked`. Call before `read(stream, got)`. `'no such key'`:
   * nothing was ever written; undefined: no entries-added count (Redis < 7), the backlog stays unknown.
   */
  probed(stream: string, info: StreamInfo | 'no such key' | undefined, position: string, got: number, asked: number): void {
    const p = this.of(stream);
    if (info === undefined) return;
    if (info === 'no such key') {
      // No such key yet: nothing written, nothing ahead.
      p.consumed ??= 0;
      p.addedAtProbe = p.consumed;
      return;
    }
    p.addedAtProbe = info.entriesAdded;
    if (got < asked) p.consumed = info.entriesAdded - got; // read to the end: after this read, consumed = entries-added
    else if (position === '0-0' || (info.firstEntryId !== undefined && compareIds(position, info.firstEntryId) < 0)) p.consumed = info.entriesAdded - info.length;
  }

  /** The stream is no longer read here (lost at a rescale). */
  forget(stream: string): void { this.streams.delete(stream); }

  /** For the checkpoint: `consumed` at the read position (undefined: not known). */
  consumedAt(stream: string): number | undefined { return this.streams.get(stream)?.consumed; }

  /** From a checkpoint (or a rescale's loaded position). */
  restore(stream: string, consumed: number | undefined): void {
    if (consumed !== undefined && Number.isFinite(consumed)) this.of(stream).consumed = consumed;
  }

  reports(streams: readonly string[]): SplitReport[] {
    return streams.map((stream) => {
      const p = this.streams.get(stream);
      const pending = p?.consumed !== undefined && p.addedAtProbe !== undefined ? Math.max(0, p.addedAtProbe - p.consumed) : -1;
      return { stream, recordsRead: p?.read ?? 0, pendingRecords: pending };
    });
  }
}
