/**
 * The challenge-response every internal connection opens with, before any frame of its protocol
 * (RPC envelopes, data-channel headers) is read. Both ends hold a shared secret; neither sends it.
 *
 *   server → client  HELLO   "EBH1" + server nonce (32 bytes)
 *   client → server  ANSWER  client nonce (32) + HMAC(secret, "<channel>-client" 0 sNonce cNonce id) (32) + id (≤ 128 bytes UTF-8)
 *   server → client  PROOF   HMAC(secret, "<channel>-server" 0 sNonce cNonce id) (32)
 *
 * Each handshake frame is a 2-byte big-endian length and at most 256 bytes. The server picks the
 * secret by the client's identity (RPC: the TaskManager's resource id and the secret the JobMaster
 * created for it; data: the job's data secret), compares MACs in constant time, and closes the
 * connection on a wrong MAC, an unknown identity, a malformed or oversized frame, or no answer within
 * the timeout. A fresh server nonce per connection makes an answer recorded on one connection useless
 * on another; the PROOF tells the client it reached a holder of the secret, not an impostor.
 *
 * On success the socket is left paused with any bytes that followed the handshake pushed back, so
 * the channel's protocol reads them after it attached its listener and resumed the socket.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { HandshakeError } from '../errors.js';
import type { InternalTls } from './tls.js';

/** Which kind of channel: part of every MAC, so an answer for one kind never passes on the other. */
export type HandshakeChannel = 'rpc' | 'data';

/** Time a peer has to complete the handshake. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Largest handshake frame body. */
export const MAX_HANDSHAKE_FRAME_BYTES = 256;
/** Longest identity a client may name. */
export const MAX_IDENTITY_BYTES = 128;
/** Connections one server lets be in their handshake at once; more are closed at once (each holds a descriptor for up to the timeout). */
export const MAX_PENDING_HANDSHAKES = 256;

/** Counts a server's connections in their handshake, so that a flood of unauthenticated ones is bounded. */
export class HandshakeSlots {
  private pending = 0;
  constructor(readonly max = MAX_PENDING_HANDSHAKES) {}
  /** Takes a slot; false when all are taken (the caller closes the connection). */
  take(): boolean {
    if (this.pending >= this.max) return false;
    this.pending++;
    return true;
  }
  release(): void { this.pending--; }
  get inUse(): number { return this.pending; }
}

/** Bytes a peer may send before the handshake ends (an honest one sends one frame, then waits). */
const MAX_BUFFERED_BYTES = 2 * (MAX_HANDSHAKE_FRAME_BYTES + 2);
const NONCE_BYTES = 32;
const MAC_BYTES = 32;
const MAGIC = Buffer.from('EBH1', 'latin1');

/** The secret of a client identity; undefined for an identity nobody issued a secret to. */
export type SecretLookup = (identity: string) => Buffer | undefined | Promise<Buffer | undefined>;

export interface HandshakeOptions {
  /** @default HANDSHAKE_TIMEOUT_MS */
  timeoutMs?: number;
}

/** What a client needs to open a channel: its secret, and the identity it names. */
export interface ChannelCredentials {
  secret: Buffer;
  identity: string;
  /** Mutual TLS around the channel (`security.ssl.internal.*`); unset: plain TCP. */
  tls?: InternalTls;
}

/** A 32-byte secret from random bytes (the dispatcher's job secret, the JobMaster's worker secrets). */
export const newSecret = (): Buffer => randomBytes(32);

export function handshakeMac(secret: Buffer, channel: HandshakeChannel, side: 'client' | 'server', serverNonce: Buffer, clientNonce: Buffer, identity: Buffer): Buffer {
  return createHmac('sha256', secret).update(`ebbflow-${channel}-${side}`).update(Buffer.of(0)).update(serverNonce).update(clientNonce).update(identity).digest();
}

export function encodeHandshakeFrame(body: Buffer): Buffer {
  const head = Buffer.allocUnsafe(2);
  head.writeUInt16BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Reads handshake frames off a socket until `done` or `fail`; bounded in size and time. */
class HandshakeReader {
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: { resolve: (frame: Buffer) => void; reject: (err: Error) => void } | undefined;
  failed: Error | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    if (this.buffered.length > MAX_BUFFERED_BYTES) this.fail(new HandshakeError(`the peer sent more than ${MAX_BUFFERED_BYTES} bytes during the handshake`));
    else this.pump();
  };
  private readonly onClose = (): void => this.fail(new HandshakeError('the peer closed the connection during the handshake'));
  private readonly onError = (err: Error): void => this.fail(new HandshakeError(`the connection failed during the handshake (${err.message})`));

  constructor(private readonly socket: Socket, timeoutMs: number) {
    this.timer = setTimeout(() => this.fail(new HandshakeError(`no handshake within ${timeoutMs} ms`)), timeoutMs);
    this.timer.unref();
    socket.on('data', this.onData);
    socket.on('end', this.onClose);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  /** The next whole frame. */
  next(): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pump();
    });
  }

  private pump(): void {
    if (!this.waiter || this.buffered.length < 2) return;
    const len = this.buffered.readUInt16BE(0);
    if (len > MAX_HANDSHAKE_FRAME_BYTES) {
      this.fail(new HandshakeError(`a handshake frame of ${len} bytes is over the limit of ${MAX_HANDSHAKE_FRAME_BYTES}`));
      return;
    }
    if (this.buffered.length < 2 + len) return;
    const frame = this.buffered.subarray(2, 2 + len);
    this.buffered = this.buffered.subarray(2 + len);
    const w = this.waiter;
    this.waiter = undefined;
    w.resolve(frame);
  }

  private detach(): void {
    clearTimeout(this.timer);
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onClose);
    this.socket.off('close', this.onClose);
    this.socket.off('error', this.onError);
  }

  /** The handshake failed: the connection is closed and a waiting read rejects. */
  fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    this.detach();
    // A late error of the destroyed socket must not become an unhandled 'error' event.
    this.socket.on('error', () => {});
    // A reset, not a FIN: the peer learns at once that it was refused, even one that never reads what we sent.
    try {
      this.socket.resetAndDestroy();
    } catch {
      this.socket.destroy(); // a TLS socket has no TCP handle of its own to reset
    }
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  /** The handshake succeeded: hands the socket, paused, with what followed the handshake, to the channel's protocol. */
  done(): void {
    if (this.failed) throw this.failed;
    this.detach();
    this.socket.pause();
    if (this.buffered.length) this.socket.unshift(this.buffered);
  }
}

/**
 * Server side: challenges the client, checks its answer with the secret `secretFor` gives for the
 * identity it names, and proves itself. Resolves with the client's identity; rejects with a
 * HandshakeError after closing the socket.
 */
export async function acceptHandshake(socket: Socket, channel: HandshakeChannel, secretFor: SecretLookup, opts: HandshakeOptions = {}): Promise<string> {
  const reader = new HandshakeReader(socket, opts.timeoutMs ?? HANDSHAKE_TIMEOUT_MS);
  try {
    const serverNonce = randomBytes(NONCE_BYTES);
    socket.write(encodeHandshakeFrame(Buffer.concat([MAGIC, serverNonce])));
    const answer = await reader.next();
    if (answer.length < NONCE_BYTES + MAC_BYTES) throw new HandshakeError(`a handshake answer of ${answer.length} bytes is truncated`);
    const clientNonce = answer.subarray(0, NONCE_BYTES);
    const mac = answer.subarray(NONCE_BYTES, NONCE_BYTES + MAC_BYTES);
    const idBytes = answer.subarray(NONCE_BYTES + MAC_BYTES);
    if (idBytes.length > MAX_IDENTITY_BYTES) throw new HandshakeError(`a handshake identity of ${idBytes.length} bytes is over the limit of ${MAX_IDENTITY_BYTES}`);
    const identity = idBytes.toString('utf8');
    const secret = await secretFor(identity);
    if (reader.failed) throw reader.failed;
    // The identity is the peer's claim: quoted as JSON so it cannot forge log lines.
    if (!secret) throw new HandshakeError(`the peer named an identity nobody issued a secret to (${JSON.stringify(identity)})`);
    if (!timingSafeEqual(mac, handshakeMac(secret, channel, 'client', serverNonce, clientNonce, idBytes))) {
      throw new HandshakeError(`the peer did not prove it holds the ${channel} secret of ${JSON.stringify(identity)}`);
    }
    socket.write(encodeHandshakeFrame(handshakeMac(secret, channel, 'server', serverNonce, clientNonce, idBytes)));
    reader.done();
    return identity;
  } catch (err) {
    reader.fail(err as Error);
    throw err;
  }
}

/**
 * Client side: answers the server's challenge as `identity` and checks the server's proof.
 * Resolves once both are proven; rejects with a HandshakeError after closing the socket.
 */
export async function offerHandshake(socket: Socket, channel: HandshakeChannel, credentials: ChannelCredentials, opts: HandshakeOptions = {}): Promise<void> {
  const reader = new HandshakeReader(socket, opts.timeoutMs ?? HANDSHAKE_TIMEOUT_MS);
  try {
    const hello = await reader.next();
    if (hello.length !== MAGIC.length + NONCE_BYTES || !hello.subarray(0, MAGIC.length).equals(MAGIC)) throw new HandshakeError('the server did not open with a handshake');
    const serverNonce = hello.subarray(MAGIC.length);
    const clientNonce = randomBytes(NONCE_BYTES);
    const idBytes = Buffer.from(credentials.identity, 'utf8');
    if (idBytes.length > MAX_IDENTITY_BYTES) throw new HandshakeError(`the identity ${JSON.stringify(credentials.identity)} is longer than ${MAX_IDENTITY_BYTES} bytes`);
    socket.write(encodeHandshakeFrame(Buffer.concat([clientNonce, handshakeMac(credentials.secret, channel, 'client', serverNonce, clientNonce, idBytes), idBytes])));
    const proof = await reader.next();
    const expected = handshakeMac(credentials.secret, channel, 'server', serverNonce, clientNonce, idBytes);
    if (proof.length !== MAC_BYTES || !timingSafeEqual(proof, expected)) throw new HandshakeError(`the ${channel} server did not prove it holds the secret`);
    reader.done();
  } catch (err) {
    reader.fail(err as Error);
    throw err;
  }
}
