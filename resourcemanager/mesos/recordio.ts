/**
 * RecordIO, the framing of the Mesos v1 scheduler API's SUBSCRIBE stream:
 *
 *   records     = *record
 *   record      = record-size LF record-data
 *   record-size = 1*DIGIT   (ASCII decimal byte count; no sign, CR or padding)
 *
 * HTTP chunks have nothing to do with records: a chunk may end inside the size,
 * between the size and its data, or inside the data. The decoder therefore
 * works on bytes across pushes. A size with anything but digits, or above the
 * limit, means the stream is corrupt: the decoder fails for good and the caller
 * reconnects. A zero-length record (which Mesos never sends) decodes as an
 * empty record.
 */
import { RecordIOError } from './errors.js';

/** Records above this many bytes are refused (a corrupt or hostile stream must not make us buffer without bound). */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;
/** More size digits than this cannot be a valid size under any limit we accept. */
const MAX_SIZE_DIGITS = 20;
const LF = 0x0a;

export class RecordIODecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The size of the record whose data is awaited; undefined while reading a size line. */
  private expected: number | undefined;
  private failed: RecordIOError | undefined;

  constructor(private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {}

  /** Bytes received but not yet returned as records. */
  get pendingBytes(): number { return this.buffered; }

  /** Feeds bytes; returns every record they complete, in order. Throws RecordIOError on a corrupt stream (and on every later call). */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failed) throw this.failed;
    if (chunk.length) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.buffered += chunk.length;
    }
    const out: Buffer[] = [];
    for (;;) {
      if (this.expected === undefined) {
        const size = this.readSize();
        if (size === undefined) return out;
        this.expected = size;
      }
      if (this.buffered < this.expected) return out;
      out.push(this.take(this.expected));
      this.expected = undefined;
    }
  }

  /** The stream ended: throws if it stopped inside a record (a size line or its data). */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.buffered > 0 || this.expected !== undefined) {
      throw this.fail(`the stream ended inside a record (${this.buffered} byte(s) of ${this.expected === undefined ? 'a size line' : `a ${this.expected}-byte record`})`);
    }
  }

  /** Reads a size line if a whole one is buffered. */
  private readSize(): number | undefined {
    const all = this.chunks.length === 1 ? this.chunks[0]! : this.concat();
    const lf = all.indexOf(LF);
    const digits = lf < 0 ? all.length : lf;
    // Validate what is there even before the LF arrives, so garbage fails at once.
    for (let i = 0; i < digits; i++) {
      const c = all[i]!;
      if (c < 0x30 || c > 0x39) throw this.fail(`a record size must be decimal digits, got byte 0x${c.toString(16).padStart(2, '0')} at offset ${i} of the size line`);
    }
    if (digits > MAX_SIZE_DIGITS) throw this.fail(`a record size line is longer than ${MAX_SIZE_DIGITS} digits`);
    if (lf < 0) return undefined;
    if (lf === 0) throw this.fail('a record size line is empty');
    const size = Number(all.subarray(0, lf).toString('latin1'));
    if (size > this.maxRecordBytes) throw this.fail(`a record of ${size} bytes is larger than the limit of ${this.maxRecordBytes}`);
    this.take(lf + 1);
    return size;
  }

  /** Removes and returns the first `n` buffered bytes. */
  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : this.concat();
    const head = Buffer.from(all.subarray(0, n)); // a copy: the caller may keep it while the rest is reused
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }

  private concat(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }

  private fail(message: string): RecordIOError {
    this.failed = new RecordIOError(`corrupt RecordIO stream: ${message}`);
    this.chunks = [];
    this.buffered = 0;
    return this.failed;
  }
}

/** Frames one record: its byte length in decimal, LF, the bytes. */
export function encodeRecord(data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.length);
  return Buffer.concat([Buffer.from(`${bytes.length}\n`, 'latin1'), bytes]);
}
