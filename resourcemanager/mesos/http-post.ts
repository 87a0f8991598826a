/**
 * One POST to a Mesos master over node:http, and the master URL rules the
 * scheduler needs: 307 `Location` values come as `//host:port/path`
 * (protocol-relative) from real masters and as a bare `host:port` in old docs.
 */
import { request, type IncomingMessage } from 'node:http';
import { ConfigError } from '../../config/index.js';
import { MesosTimeoutError } from './errors.js';

export interface PostResult {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** Resolves a 307 `Location` against the URL that answered it; returns the leader's API URL. */
export function resolveRedirect(location: string, from: URL): URL {
  if (location.startsWith('//')) return new URL(`${from.protocol}${location}`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return new URL(location);
  if (location.startsWith('/')) return new URL(location, from);
  return new URL(`${from.protocol}//${location}${from.pathname}`);
}

/** Normalizes a configured master (`host:port`, `http://host:port`, with or without the path) to the scheduler endpoint. */
export function schedulerEndpoint(master: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(master) ? master : `http://${master}`;
  const u = new URL(withScheme);
  if (u.protocol !== 'http:') throw new ConfigError('EBBFLOW_CONFIG_INVALID', 'mesos.master', `unsupported Mesos master URL ${master} in mesos.master: only http:// is supported (zk:// discovery is not)`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/api/v1/scheduler';
  return u;
}

/** POSTs and buffers the whole answer; rejects on network errors and on timeout. */
export function post(url: URL, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new MesosTimeoutError(`no answer from ${url.host} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
