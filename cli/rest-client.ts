/**
 * A small client for the dispatcher's REST API, used by the CLI. Given several dispatchers' URLs
 * (HA: any of them serves reads and passes writes to the leader), a request goes to the first that
 * answers at all (a paused one is skipped) or that answered last and, when a dispatcher cannot be
 * reached, to the next; while no dispatcher leads
 * (an election, at most the lease long) a write answered `503` with `X-Ebbflow-Leader: none` is
 * repeated for up to `electionWaitMs`.
 */
import type { ResourceRequirements } from '../metadata/index.js';
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { DispatcherUnreachableError, RestError } from './errors.js';

/** Splits `--url`'s value: several URLs, comma-separated. */
export function parseUrls(value: string): string[] {
  return value.split(',').map((u) => u.trim()).filter((u) => u !== '');
}

export class RestClient {
  readonly urls: string[];
  private current = 0;
  private picked = false;

  /** @param urls one URL, several comma-separated, or a list */
  constructor(urls: string | string[], private readonly token?: string, private readonly electionWaitMs = 30_000) {
    this.urls = typeof urls === 'string' ? parseUrls(urls) : urls;
    if (this.urls.length === 0) this.urls = [typeof urls === 'string' ? urls : ''];
  }

  /** The URL requests go to first (the one that answered last). */
  get baseUrl(): string { return this.urls[this.current]!; }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = await this.send(method, path, body);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** The answer's body as text (logs); an error status throws RestError with the server's `errors`. */
  private async send(method: string, path: string, body?: unknown): Promise<string> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: FormData | string | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(body); }
    const res = await this.fetchAny(method, path, headers, payload);
    const text = await res.text();
    if (!res.ok) {
      let errors: string[] | undefined;
      // An error body that is not JSON (a proxy's page) is shown as it came.
      try { errors = (JSON.parse(text) as { errors?: string[] }).errors; } catch { errors = undefined; }
      throw new RestError(res.status, `${method} ${path} → ${res.status}: ${errors?.join('; ') ?? text}`);
    }
    return text;
  }

  /**
   * With several URLs, the first dispatcher that answers a small request within 2 s: one that is
   * paused (SIGSTOP, a hung host) accepts connections but never answers, which would hold the command.
   */
  private async pickResponsive(headers: Record<string, string>): Promise<void> {
    if (this.picked || this.urls.length < 2) return;
    this.picked = true;
    for (let i = 0; i < this.urls.length; i++) {
      try {
        const res = await fetch(new URL('/cluster/leader', this.urls[i]), { headers, signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        this.current = i;
        return;
      } catch { /* unreachable or not answering: the next one */ }
    }
  }

  /** Each dispatcher in turn, from the one that answered last; during an election (no leader) again after a second. */
  private async fetchAny(method: string, path: string, headers: Record<string, string>, payload: FormData | string | undefined): Promise<Response> {
    await this.pickResponsive(this.token ? { authorization: `Bearer ${this.token}` } : {});
    const deadline = Date.now() + this.electionWaitMs;
    for (;;) {
      let unreachable: DispatcherUnreachableError | undefined;
      let noLeader: Response | undefined;
      for (let i = 0; i < this.urls.length; i++) {
        const at = (this.current + i) % this.urls.length;
        let res: Response;
        try {
          res = await fetch(new URL(path, this.urls[at]), { method, headers, body: payload });
        } catch (err) {
          unreachable ??= new DispatcherUnreachableError(this.urls.length > 1 ? this.urls.join(', ') : this.urls[at]!, err);
          continue;
        }
        if (res.status === 503 && res.headers.get('x-ebbflow-leader') === 'none') {
          noLeader = res;
          continue;
        }
        this.current = at;
        return res;
      }
      if (!noLeader) throw unreachable!;
      if (Date.now() >= deadline) return noLeader;
      await noLeader.body?.cancel();
      await new Promise((r) => setTimeout(r, 1000));
    }
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

  jobs(): Promise<{ jobs: Array<{ id: string; status: string }> }> {
    return this.call('GET', '/jobs');
  }

  jars(): Promise<{ address: string; files: Array<{ id: string; name: string; uploaded: number; entry: Array<{ name: string; description?: string | null }> }> }> {
    return this.call('GET', '/jars');
  }

  savepoint(id: string, targetDirectory?: string): Promise<{ 'request-id': string }> {
    return this.call('POST', `${job(id)}/savepoints`, targetDirectory ? { 'target-directory': targetDirectory } : {});
  }

  stop(id: string, body: { targetDirectory?: string; drain?: boolean }): Promise<{ 'request-id': string }> {
    return this.call('POST', `${job(id)}/stop`, body);
  }

  /** A savepoint's or a stop's status. */
  savepointStatus(id: string, triggerId: string): Promise<OperationStatus> {
    return this.call('GET', `${job(id)}/savepoints/${encodeURIComponent(triggerId)}`);
  }

  checkpoint(id: string): Promise<{ 'request-id': string }> {
    return this.call('POST', `${job(id)}/checkpoints`, {});
  }

  checkpointStatus(id: string, triggerId: string): Promise<OperationStatus> {
    return this.call('GET', `${job(id)}/checkpoints/${encodeURIComponent(triggerId)}`);
  }

  exceptions(id: string): Promise<{ exceptionHistory: { entries: ExceptionEntry[]; truncated: boolean } }> {
    return this.call('GET', `${job(id)}/exceptions`);
  }

  taskManagers(): Promise<{ taskmanagers: Array<{ id: string; jobId: string }> }> {
    return this.call('GET', '/taskmanagers');
  }

  jobManagerLog(id: string, lines?: number): Promise<string> {
    return this.send('GET', `${job(id)}/jobmanager/log${lines ? `?lines=${lines}` : ''}`);
  }

  taskManagerLog(tmId: string, lines?: number): Promise<string> {
    return this.send('GET', `/taskmanagers/${encodeURIComponent(tmId)}/log${lines ? `?lines=${lines}` : ''}`);
  }

  /** Job metrics: the names without `get`, else their values (Flink's shape). */
  jobMetrics(id: string, get?: string[]): Promise<Array<{ id: string; value?: string }>> {
    return this.call('GET', `${job(id)}/metrics${get ? `?get=${get.map(encodeURIComponent).join(',')}` : ''}`);
  }

  /** A vertex's subtask metrics aggregated over its subtasks: the names without `get`. */
  subtaskMetrics(id: string, vertexId: string, get?: string[], agg?: string[]): Promise<AggregatedMetric[]> {
    const q = get ? `?get=${get.map(encodeURIComponent).join(',')}${agg ? `&agg=${agg.join(',')}` : ''}` : '';
    return this.call('GET', `${job(id)}/vertices/${encodeURIComponent(vertexId)}/subtasks/metrics${q}`);
  }

  rescaleHistory(id: string): Promise<RescaleHistoryEntry[]> {
    return this.call('GET', `${job(id)}/rescales/history`);
  }

  autoscaler(id: string): Promise<AutoscalerState> {
    return this.call('GET', `${job(id)}/autoscaler`);
  }

  /** Changes `job.autoscaler.*` settings of a running job (null: back to the job's value). */
  setAutoscaler(id: string, change: Record<string, string | null>): Promise<{ 'request-id': string }> {
    return this.call('PATCH', `${job(id)}/autoscaler`, change);
  }

  autoscalerChangeStatus(id: string, triggerId: string): Promise<OperationStatus> {
    return this.call('GET', `${job(id)}/autoscaler/${encodeURIComponent(triggerId)}`);
  }
}

const job = (id: string) => `/jobs/${encodeURIComponent(id)}`;

export interface ExceptionEntry { exceptionName: string; stacktrace: string; timestamp: number; taskName: string | null; location: string | null }
export interface AggregatedMetric { id: string; min?: number; max?: number; avg?: number; sum?: number; skew?: number }
export type RescaleHistoryEntry = import('../rest/index.js').JobRescaleDetails;
export type AutoscalerState = import('../rest/index.js').AutoscalerInfo;

export interface OperationStatus {
  status: { id: 'IN_PROGRESS' | 'COMPLETED' };
  progress?: { phase: string; since: number };
  operation: (Record<string, unknown> & { 'failure-cause'?: { class: string; 'stack-trace': string } }) | null;
}
