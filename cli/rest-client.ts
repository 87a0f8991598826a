/** A small client for the dispatcher's REST API, used by the CLI. */
import type { ResourceRequirements } from '../metadata/index.js';
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { DispatcherUnreachableError, RestError } from './errors.js';

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
      throw new DispatcherUnreachableError(this.baseUrl, err);
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

  job(id: string): Promise<{ state: string; 'failure-cause': string | null; vertices: Array<{ id: string; name: string; parallelism: number; maxParallelism: number }> }> {
    return this.call('GET', `/jobs/${encodeURIComponent(id)}`);
  }

  cancel(id: string): Promise<unknown> {
    return this.call('PATCH', `/jobs/${encodeURIComponent(id)}?mode=cancel`);
  }

  rescale(id: string, parallelism: number): Promise<{ 'request-id': string }> {
    return this.call('PATCH', `/jobs/${encodeURIComponent(id)}/rescaling?parallelism=${parallelism}`);
  }

  rescalingStatus(id: string, triggerId: string): Promise<OperationStatus> {
    return this.call('GET', `/jobs/${encodeURIComponent(id)}/rescaling/${encodeURIComponent(triggerId)}`);
  }

  resourceRequirements(id: string): Promise<ResourceRequirements> {
    return this.call('GET', `/jobs/${encodeURIComponent(id)}/resource-requirements`);
  }

  setResourceRequirements(id: string, requirements: ResourceRequirements): Promise<{ 'request-id': string }> {
    return this.call('PUT', `/jobs/${encodeURIComponent(id)}/resource-requirements`, requirements);
  }
}

export interface OperationStatus {
  status: { id: 'IN_PROGRESS' | 'COMPLETED' };
  progress?: { phase: string; since: number };
  operation: (Record<string, unknown> & { 'failure-cause'?: { class: string; 'stack-trace': string } }) | null;
}
