/**
 * An HTTP proxy in front of the S3 test server that answers the first `failures` requests matching
 * `match` with S3's throttling answer (503 SlowDown) and forwards everything else unchanged, so a
 * test sees the client retry with back-off and succeed. Runs in the test process on 127.0.0.1.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';

export interface SlowDownProxy {
  endpoint: string;
  /** Requests answered 503 so far, and all requests seen (method and path). */
  refused: Array<{ method: string; url: string; at: number }>;
  seen: number;
  /** Every forwarded request: method, path and query, and its Range header. */
  forwarded: Array<{ method: string; url: string; range?: string }>;
  /** Answers the next `n` matching requests with 503 SlowDown. */
  failNext(n: number, match?: (req: IncomingMessage) => boolean): void;
  /** Never answers the next `n` requests (a store that hangs); they end when the client gives up. */
  hangNext(n: number): void;
  close(): Promise<void>;
}

const SLOW_DOWN = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>ebbflow-test</RequestId></Error>';

export async function startSlowDownProxy(target: string): Promise<SlowDownProxy> {
  const upstream = new URL(target);
  let failures = 0;
  let hangs = 0;
  let match: (req: IncomingMessage) => boolean = () => true;
  const proxy: Omit<SlowDownProxy, 'endpoint' | 'close'> & { seen: number } = {
    refused: [], seen: 0, forwarded: [],
    failNext: (n, m = () => true) => { failures = n; match = m; },
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
      res.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(SLOW_DOWN) });
      res.end(SLOW_DOWN);
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
