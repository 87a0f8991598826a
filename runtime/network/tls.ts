/**
 * Optional mutual TLS for the internal channels (`security.ssl.internal.*`): the JobMaster's RPC
 * endpoint and the TaskManagers' data servers present the keystore's certificate and demand one
 * from the client, both chained to the truststore's CAs; the HMAC handshake (handshake.ts) then
 * runs inside the TLS connection. Every process of a job presents the same certificate (Flink's
 * internal SSL model), so host names are not checked: what a certificate proves is "issued by the
 * internal CA". A plain-TCP client, or one whose certificate another CA signed, is refused in the
 * TLS handshake, before any byte of ebbflow's protocols.
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer as netCreateServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as tlsCreateServer, type ConnectionOptions, type TlsOptions } from 'node:tls';
import { HANDSHAKE_TIMEOUT_MS } from './handshake.js';

/** The `security.ssl.internal.*` settings: paths (the same on every host) and the key's passphrase. */
export interface InternalSslSettings {
  /** PEM file holding the private key and the certificate (chain). */
  keystore: string;
  /** PEM file of the CA certificates peers' certificates must chain to. */
  truststore: string;
  /** Passphrase of an encrypted private key. */
  keyPassword?: string;
}

/** The loaded PEM material. */
export interface InternalTls {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
  passphrase?: string;
}

/** Reads the keystore and truststore files; throws naming the file that cannot be read. */
export function loadInternalTls(s: InternalSslSettings): InternalTls {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the ${what} ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  const store = read(s.keystore, 'internal SSL keystore (security.ssl.internal.keystore)');
  const ca = read(s.truststore, 'internal SSL truststore (security.ssl.internal.truststore)');
  // One PEM file holds both: OpenSSL picks the private key for `key` and the certificates for `cert`.
  return { key: store, cert: store, ca, ...(s.keyPassword ? { passphrase: s.keyPassword } : {}) };
}

const COMMON = { minVersion: 'TLSv1.2' } as const;

function serverOptions(t: InternalTls): TlsOptions {
  // A client that never completes TLS is dropped as soon as one that never answers the HMAC challenge (not Node's 120 s).
  return { ...COMMON, key: t.key, cert: t.cert, ca: t.ca, passphrase: t.passphrase, requestCert: true, rejectUnauthorized: true, handshakeTimeout: HANDSHAKE_TIMEOUT_MS };
}

function clientOptions(t: InternalTls): ConnectionOptions {
  // Every process presents the same internal certificate: the CA, not the host name, is what is checked.
  return { ...COMMON, key: t.key, cert: t.cert, ca: t.ca, passphrase: t.passphrase, rejectUnauthorized: true, checkServerIdentity: () => undefined };
}

/**
 * A server handing `onConnection` sockets that passed TLS (with `tls`) or plain TCP ones (without).
 * A client refused by TLS is reported through `onTlsError` with its address.
 */
export function createChannelServer(tls: InternalTls | undefined, onConnection: (socket: Socket) => void, onTlsError: (err: Error, remote: string) => void): Server {
  if (!tls) return netCreateServer(onConnection);
  const server = tlsCreateServer(serverOptions(tls), onConnection);
  // A refused client's TLS socket may be closed before the error is reported (its address gone): the
  // address is taken when the TCP connection arrives. `_parent` is the TCP socket a server's TLS socket wraps.
  const remotes = new WeakMap<Socket, string>();
  server.on('connection', (raw: Socket) => remotes.set(raw, `${raw.remoteAddress ?? '?'}:${raw.remotePort ?? '?'}`));
  server.on('tlsClientError', (err, socket) => {
    const raw = (socket as unknown as { _parent?: Socket })._parent;
    onTlsError(err, (raw && remotes.get(raw)) ?? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`);
  });
  return server;
}

/**
 * Connects to an internal channel server; `onReady` runs once the connection can carry bytes
 * (after the TLS handshake with `tls`). Errors arrive as the socket's 'error' event.
 */
export function connectChannel(host: string, port: number, tls: InternalTls | undefined, onReady: () => void): Socket {
  if (!tls) return netConnect({ host, port }, onReady);
  return tlsConnect({ ...clientOptions(tls), host, port }, onReady);
}
