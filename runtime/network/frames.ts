/**
 * Data-plane framing between TaskManagers: each frame is a 4-byte big-endian
 * length followed by that many bytes. The first frame of a connection is a JSON
 * header naming the channel; every later frame is one batch of stream elements
 * (batch-codec.ts: a compact format for records of strings, numbers and plain
 * objects, node:v8's structured clone for anything else, which keeps bigints,
 * Maps, arrays, Dates … intact as before).
 *
 * Flow control is credit-based: the consumer's side answers on the same socket
 * with credit frames (a 4-byte big-endian count), first the gate's capacity,
 * then one per batch the consumer has processed. A producer sends a batch only
 * while it holds a credit, so a slow consumer stops its producers instead of
 * buffering without bound. A channel the consumer's side does not accept gets
 * one refusal frame (longer than 4 bytes: the reason, in UTF-8) and is closed.
 */
import { UPPER_BOUND_MAX_PARALLELISM } from '../../state/key-groups.js';
import type { StreamElement } from '../elements.js';
import { FrameDecodeError, FrameTooLargeError } from '../errors.js';
import { decodeBatchPayload, encodeBatchPayload } from './batch-codec.js';
import { ByteQueue } from './byte-queue.js';

/**
 * A data connection's first frame. `edgeId` is the channel id `<edge>#<attempt>` (the execution
 * attempt); `consumerExecution` the execution id of the consumer subtask the producer was deployed
 * to feed, so that a producer of an earlier deployment (before a failover or a rescale) cannot feed
 * another consumer.
 */
export interface ChannelHeader { edgeId: string; consumer: number; producer: number; consumerExecution: string }

/** The job setting that bounds a data frame (a batch). */
export const NETWORK_FRAME_SETTING = 'ebbflow.network.max-frame-size';
/** Default bound of one data frame: 64 MiB. */
export const DEFAULT_NETWORK_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Bound of a header frame: a JSON object of four short fields. */
export const MAX_HEADER_FRAME_BYTES = 4096;
/** Longest edge id a header may name. */
const MAX_EDGE_ID_LENGTH = 512;
/** Longest consumer execution id a header may name (they are 32 hex digits). */
const MAX_EXECUTION_ID_LENGTH = 128;

export function encodeFrame(payload: Uint8Array): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}

export function encodeCredit(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(4, 0);
  b.writeUInt32BE(n, 4);
  return b;
}

export const encodeBatch = (batch: StreamElement[]): Buffer => encodeFrame(encodeBatchPayload(batch));

/** Longest refusal frame the consumer's side sends (a producer reads at most this much of it). */
export const MAX_REFUSAL_FRAME_BYTES = 1024;
const REFUSAL_PREFIX = 'refused: ';

/**
 * The consumer's side refuses a channel: the one frame on the way back that is not a credit (a credit
 * frame has exactly 4 bytes, a refusal always more), saying why; then the connection closes.
 */
export function encodeRefusal(reason: string): Buffer {
  let payload = Buffer.from(REFUSAL_PREFIX + reason, 'utf8');
  if (payload.length > MAX_REFUSAL_FRAME_BYTES) payload = payload.subarray(0, MAX_REFUSAL_FRAME_BYTES);
  return encodeFrame(payload);
}

/** The reason of a refusal frame (any frame from the consumer's side that is not 4 bytes long). */
export function decodeRefusal(payload: Buffer): string {
  const text = payload.toString('utf8');
  return text.startsWith(REFUSAL_PREFIX) ? text.slice(REFUSAL_PREFIX.length) : `an unexpected ${payload.length}-byte frame`;
}

/**
 * A batch from a peer: must decode to an array of stream elements (objects with a numeric
 * tag `t`); anything else is a FrameDecodeError, never an exception of the deserializer or a
 * malformed element reaching an operator.
 */
export function decodeBatch(payload: Buffer): StreamElement[] {
  return decodeBatchPayload(payload);
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < UPPER_BOUND_MAX_PARALLELISM;

/** The header frame a producer opens its connection with; a FrameDecodeError when it is not valid JSON of the right shape. */
export function parseChannelHeader(payload: Buffer): ChannelHeader {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new FrameDecodeError('the first frame of a data connection must be a JSON channel header');
  }
  const h = value as Partial<ChannelHeader> | null;
  // An edge id is `<edge>#<attempt>` (channelId in channel-registry.ts).
  if (typeof h !== 'object' || h === null || typeof h.edgeId !== 'string' || h.edgeId.length > MAX_EDGE_ID_LENGTH || !/^.+#\d+$/.test(h.edgeId)) {
    throw new FrameDecodeError('a channel header needs an edgeId of the form <edge>#<attempt>');
  }
  if (!isIndex(h.consumer) || !isIndex(h.producer)) throw new FrameDecodeError(`a channel header needs consumer and producer subtask indexes (integers from 0 to ${UPPER_BOUND_MAX_PARALLELISM - 1})`);
  if (typeof h.consumerExecution !== 'string' || h.consumerExecution.length > MAX_EXECUTION_ID_LENGTH) throw new FrameDecodeError('a channel header needs the consumer\'s execution id (consumerExecution)');
  return { edgeId: h.edgeId, consumer: h.consumer, producer: h.producer, consumerExecution: h.consumerExecution };
}

/**
 * Splits a byte stream into frames; feed it chunks, get whole payloads. A declared length over
 * `maxFrameBytes` throws FrameTooLargeError before any of the body is buffered; after an error the
 * decoder is spent (every later push throws it again) and the connection should be closed.
 */
export class FrameDecoder {
  private readonly queue = new ByteQueue();
  private failed: Error | undefined;

  /**
   * `setting` names the job setting that raises `maxFrameBytes` in the error, or is '' for a fixed
   * bound, and `what` is what a frame is (both can change, e.g. once a connection's header is read).
   */
  constructor(public maxFrameBytes = DEFAULT_NETWORK_MAX_FRAME_BYTES, public setting = NETWORK_FRAME_SETTING, public what = 'data frame') {}

  /** Bytes copied to reassemble frames split across chunks (at most the bytes fed: linear). */
  get copiedBytes(): number { return this.queue.copiedBytes; }
  /** Bytes received but not yet part of a returned frame. */
  get buffered(): number { return this.queue.length; }

  /** Queues `chunk` and returns every frame now complete. */
  push(chunk: Buffer): Buffer[] {
    this.feed(chunk);
    const out: Buffer[] = [];
    for (let f = this.next(); f; f = this.next()) out.push(f);
    return out;
  }

  /** Queues `chunk`; take frames with `next()` (so a limit changed between frames applies to the next one). */
  feed(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    this.queue.push(chunk);
  }

  /** The next complete frame, or undefined until more bytes arrive; throws FrameTooLargeError on a length over the limit. */
  next(): Buffer | undefined {
    if (this.failed) throw this.failed;
    const q = this.queue;
    if (q.length < 4) return undefined;
    const len = ((q.byteAt(0) << 24) >>> 0) + (q.byteAt(1) << 16) + (q.byteAt(2) << 8) + q.byteAt(3);
    if (len > this.maxFrameBytes) {
      q.clear();
      throw (this.failed = new FrameTooLargeError(len, this.maxFrameBytes, this.setting, this.what));
    }
    if (q.length < 4 + len) return undefined;
    q.skip(4);
    return q.take(len);
  }
}
