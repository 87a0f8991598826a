/** A small client for the dispatcher's REST API, used by the CLI. */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';

export class RestError extends Error {
  constructor(readonly status: number, message: string) { super(message); this.name = 'RestError'; }
}

export class RestClient {
  constructor(readonly baseUrl: string, private readonly token?: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: FormData | string | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(body); }
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), { method, headers, body: payload });
    } catch (err) {
      throw new RestError(0, `cannot reach the dispatcher at ${this.baseUrl}: ${(err as Error).cause ?? (err as Error).message}. Is it running (ebbflow dispatcher)?`);
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : {};
    if (!res.ok) {
      const errors = (json as { errors?: string[] }).errors;
      throw new RestError(res.status, `${method} ${path} → ${res.status}: ${errors?.join('; ') ?? text}`);
    }
    return json as T;
  }

  async upload(file: string): Promise<string> {
    const form = new FormData();
    form.append('jarfile', await openAsBlob(file), basename(file));
    return (await this.call<{ filename: string }>('POST', '/jars/upload', form)).filename;
  }

  run(jarId: string, body: { parallelism?: number; programArgsList?: string[]; entryClass?: string; jobId?: string }): Promise<{ jobid: string }> {
    return this.call('POST', `/jars/${encodeURIComponent(jarId)}/run`, body);
  }

  jobsOverview(): Promise<{ jobs: Array<{ jid: string; name: string; state: string; 'start-time': number; duration: number }> }> {
    return this.call('GET', '/jobs/overview');
  }

  job(id: string): Promise<{ state: string; 'failure-cause': string | null }> {
    return this.call('GET', `/jobs/${encodeURIComponent(id)}`);
  }

  cancel(id: string): Promise<unknown> {
    return this.call('PATCH', `/jobs/${encodeURIComponent(id)}?mode=cancel`);
  }
}
