/**
 * An HTTP proxy in front of the S3 test server that answers the first `failures` requests matching
 * `match` with S3's throttling answer (503 SlowDown; or another S3 error) and forwards everything
 * else unchanged, so a test sees the client retry with back-off and succeed. Runs in the test
 * process on 127.0.0.1.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';

export interface SlowDownProxy {
  endpoint: string;
  /** Requests answered 503 so far, and all requests seen (method and path). */
  refused: Array<{ method: string; url: string; at: number }>;
  seen: number;
  /** Every forwarded request: method, path and query, and its Range header. */
  forwarded: Array<{ method: string; url: string; range?: string }>;
  /** Answers the next `n` matching requests with 503 SlowDown (or the given S3 error). */
  failNext(n: number, match?: (req: IncomingMessage) => boolean, answer?: { status: number; code: string }): void;
  /** Never answers the next `n` requests (a store that hangs); they end when the client gives up. */
  hangNext(n: number): void;
  close(): Promise<void>;
}

const SLOW_DOWN = { status: 503, code: 'SlowDown' };
const errorXml = (code: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code === 'SlowDown' ? 'Please reduce your request rate.' : 'We encountered an internal error. Please try again.'}</Message><RequestId>ebbflow-test</RequestId></Error>`;

export async function startSlowDownProxy(target: string): Promise<SlowDownProxy> {
  const upstream = new URL(target);
  let failures = 0;
  let hangs = 0;
  let match: (req: IncomingMessage) => boolean = () => true;
  let answer = SLOW_DOWN;
  const proxy: Omit<SlowDownProxy, 'endpoint' | 'close'> & { seen: number } = {
    refused: [], seen: 0, forwarded: [],
    failNext: (n, m = () => true, a = SLOW_DOWN) => { failures = n; match = m; answer = a; },
    hangNext: (n) => { hangs = n; },
  };
  const server: Server = createServer((req, res) => {
    proxy.seen++;
    if (hangs > 0) {
      hangs--;
      req.resume();
      return;
    }
    if (failures > 0 && match(req)) {
      failures--;
      proxy.refused.push({ method: req.method ?? '', url: req.url ?? '', at: Date.now() });
      req.resume();
      const body = errorXml(answer.code);
      res.writeHead(answer.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    proxy.forwarded.push({ method: req.method ?? '', url: req.url ?? '', ...(req.headers.range ? { range: req.headers.range } : {}) });
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return Object.assign(proxy, {
    endpoint,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  });
}
