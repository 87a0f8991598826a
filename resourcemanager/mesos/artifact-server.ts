/**
 * Serves one job's artifacts to the Mesos fetcher (Flink's MesosArtifactServer):
 * the TaskManager runtime (a single bundled ES module) and the job's bundle
 * (the uploaded module file, or the extracted bundle directory as a .tgz made
 * on the fly). Only these files are served, under a random token in the path,
 * because fetcher URIs cannot carry headers; everything else is 404.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as tar from 'tar';
import { MesosRuntimeMissingError } from './errors.js';

export interface Artifact {
  /** Name in the URL and in the sandbox (the fetcher's output_file). */
  name: string;
  /** Extract in the sandbox (a .tgz of a directory). */
  extract: boolean;
  uri: string;
}

export interface ArtifactServerOptions {
  bindHost: string;
  /** Host name agents use to reach this server. */
  advertiseHost: string;
  /** @default 0 (a free port) */
  port?: number;
  runtimeFile: string;
  bundlePath: string;
}

export class ArtifactServer {
  private server: Server | undefined;
  private readonly token = randomBytes(18).toString('base64url');
  runtime!: Artifact;
  bundle!: Artifact;
  /** Path of the bundle inside a sandbox, relative to it. */
  bundleInSandbox!: string;
  readonly served = new Map<string, number>();

  constructor(private readonly opts: ArtifactServerOptions) {}

  async start(): Promise<void> {
    if (!existsSync(this.opts.runtimeFile)) throw new MesosRuntimeMissingError(this.opts.runtimeFile);
    const dir = statSync(this.opts.bundlePath).isDirectory();
    const bundleName = dir ? 'bundle.tgz' : basename(this.opts.bundlePath);
    this.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const [, token, name] = path.split('/');
      if (req.method !== 'GET' || token !== this.token || (name !== 'ebbflow-taskmanager.mjs' && name !== bundleName)) { res.writeHead(404); res.end(); return; }
      this.served.set(name, (this.served.get(name) ?? 0) + 1);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      if (name === 'ebbflow-taskmanager.mjs') createReadStream(this.opts.runtimeFile).pipe(res);
      else if (dir) tar.c({ gzip: true, cwd: dirname(this.opts.bundlePath), portable: true }, [basename(this.opts.bundlePath)]).pipe(res);
      else createReadStream(this.opts.bundlePath).pipe(res);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port ?? 0, this.opts.bindHost, resolve);
    });
    const port = (this.server.address() as AddressInfo).port;
    const base = `http://${this.opts.advertiseHost.includes(':') ? `[${this.opts.advertiseHost}]` : this.opts.advertiseHost}:${port}/${this.token}`;
    this.runtime = { name: 'ebbflow-taskmanager.mjs', extract: false, uri: `${base}/ebbflow-taskmanager.mjs` };
    this.bundle = { name: bundleName, extract: dir, uri: `${base}/${bundleName}` };
    this.bundleInSandbox = dir ? basename(this.opts.bundlePath) : bundleName;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
