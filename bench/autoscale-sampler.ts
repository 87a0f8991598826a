/**
 * Once a second during an autoscaling row: the job's parallelism per vertex (GET /jobs/:id), its
 * TaskManagers (GET /taskmanagers), each vertex's rates and busy time and the source's backlog (the
 * metric endpoints, `pendingRecords` summed over the source's subtasks), and with the built-in
 * autoscaler its state and decisions (GET /jobs/:id/autoscaler; its decision list is capped, so
 * decisions are merged by id as they are seen).
 */
import type { GetJobResponse } from '../rest/index.js';
import type { FlinkVertexSample } from './flink-policy.js';
import { taskManagersOf } from './rest.js';
import { logIgnored } from './log.js';

export interface Sample {
  /** Date.now() when the sample was taken. */
  t: number;
  state: string;
  parallelism: Record<string, number>;
  taskManagers: number;
  /** Records written to the input streams and not read yet (null: not known). */
  backlog: number | null;
  metrics: Record<string, FlinkVertexSample>;
  /** Built-in autoscaler: the decision under way, if any. */
  pendingDecision?: number | null;
}

export interface SampledVertex { id: string; name: string; isSource: boolean }

type Aggregated = Array<{ id: string; sum?: number; max?: number; avg?: number }>;

const TIMEOUT_MS = 5000;

async function getJson<T>(url: string): Promise<{ status: number; body: T | undefined }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await res.text();
  let body: T | undefined;
  try { body = text ? (JSON.parse(text) as T) : undefined; } catch { body = undefined; }
  return { status: res.status, body };
}

/** The vertices of a job as the benchmark uses them: the fraud job's graph is a chain, its source first. */
export function sampledVertices(job: GetJobResponse): SampledVertex[] {
  return job.vertices.map((v, i) => ({ id: v.id, name: v.name, isSource: i === 0 }));
}

export class JobSampler {
  readonly samples: Sample[] = [];
  /** Built-in autoscaler: every decision seen, by id (the newest version of each). */
  readonly decisions = new Map<number, unknown>();
  /** Built-in autoscaler: its latest status. */
  lastStatus: unknown;

  constructor(private readonly api: string, private readonly jobId: string, private readonly vertices: SampledVertex[], private readonly withAutoscaler: boolean) {}

  async sample(): Promise<Sample> {
    const base = `${this.api}/jobs/${this.jobId}`;
    const metricUrl = (vid: string, get: string) => `${base}/vertices/${vid}/subtasks/metrics?get=${get}&agg=sum,max,avg`;
    // A part that fails leaves its field of this sample empty; the failure is logged, the sampling goes on.
    const part = <T>(what: string, p: Promise<T>): Promise<T | undefined> => p.catch((err: unknown) => { logIgnored(`sampling ${what} of job ${this.jobId}`)(err); return undefined; });
    const [job, tms, backlogs, rates, status] = await Promise.all([
      getJson<GetJobResponse>(base),
      part('the TaskManagers', taskManagersOf(this.api, this.jobId)),
      Promise.all(this.vertices.filter((v) => v.isSource).map((v) => part(`the backlog of ${v.id}`, getJson<Aggregated>(metricUrl(v.id, 'pendingRecords'))))),
      Promise.all(this.vertices.map((v) => part(`the rates of ${v.id}`, getJson<Aggregated>(metricUrl(v.id, 'numRecordsInPerSecond,numRecordsOutPerSecond,busyTimeMsPerSecond'))))),
      this.withAutoscaler ? part('the autoscaler', getJson<{ decisions?: Array<{ id: number }>; pendingDecision?: number }>(`${base}/autoscaler`)) : undefined,
    ]);
    const t = Date.now();
    const parallelism: Record<string, number> = {};
    for (const v of job.body?.vertices ?? []) parallelism[v.id] = v.parallelism;
    const metrics: Record<string, FlinkVertexSample> = {};
    this.vertices.forEach((v, i) => {
      const agg = rates[i]?.body;
      if (!Array.isArray(agg) || !agg.length) return;
      const by = (id: string) => agg.find((a) => a.id === id);
      metrics[v.id] = { inPerSecond: by('numRecordsInPerSecond')?.sum ?? 0, outPerSecond: by('numRecordsOutPerSecond')?.sum ?? 0, busyMsPerSecond: by('busyTimeMsPerSecond')?.max ?? 0 };
    });
    let backlog: number | null = null;
    this.vertices.filter((v) => v.isSource).forEach((v, i) => {
      const pending = backlogs[i]?.body;
      const sum = Array.isArray(pending) ? pending.find((a) => a.id === 'pendingRecords')?.sum : undefined;
      if (sum === undefined) return;
      backlog = (backlog ?? 0) + sum;
      if (metrics[v.id]) metrics[v.id]!.backlog = sum;
    });
    const s: Sample = { t, state: job.body?.state ?? `HTTP ${job.status}`, parallelism, taskManagers: tms?.length ?? NaN, backlog, metrics };
    if (status?.status === 200 && status.body) {
      this.lastStatus = status.body;
      for (const d of status.body.decisions ?? []) this.decisions.set(d.id, d);
      s.pendingDecision = status.body.pendingDecision ?? null;
    }
    this.samples.push(s);
    return s;
  }
}
