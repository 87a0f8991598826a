/**
 * Runs the Flink-style policy (flink-policy.ts) against a job as an external controller, as the
 * Flink Kubernetes operator runs against a Flink cluster: fed with each sample of the job's metrics,
 * it carries a rescale out through the scaling REST API, `PUT /jobs/:id/resource-requirements` with
 * lower = upper bound = the new parallelism of each vertex that changes, and waits for the request
 * at `/jobs/:id/rescaling/:trigger` before it evaluates again. The job's graph is taken as a chain
 * (each vertex fed by the one before it), which the fraud job is.
 */
import type { GetRescalingStatusResponse } from '../rest/index.js';
import type { Sample, SampledVertex } from './autoscale-sampler.js';
import { FlinkStylePolicy, type FlinkDecision, type FlinkVertex, type FlinkVertexEvaluation } from './flink-policy.js';

export interface FlinkRescaleRecord {
  /** When it was decided (Date.now()). */
  t: number;
  from: Record<string, number>;
  to: Record<string, number>;
  requestId?: string;
  doneAt?: number;
  ok?: boolean;
  error?: string;
  evaluations: FlinkVertexEvaluation[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class FlinkController {
  readonly rescales: FlinkRescaleRecord[] = [];
  /** How often each kind of "no" was answered (for the JSON). */
  readonly waits: Record<string, number> = {};
  private busy: Promise<void> | undefined;
  last: FlinkDecision | undefined;

  constructor(private readonly api: string, private readonly jobId: string, private readonly vertices: Array<SampledVertex & { maxParallelism: number; partitions?: number; keyed?: boolean }>,
    readonly policy: FlinkStylePolicy, private readonly log: (s: string) => void, private readonly timeoutMs = 120_000) {}

  /** Feeds one sample; starts a rescale when the policy asks for one (the next samples wait for it). */
  onSample(s: Sample): void {
    if (this.busy) return;
    const vertices: FlinkVertex[] = this.vertices.map((v, i) => ({
      id: v.id, upstream: i === 0 ? [] : [this.vertices[i - 1]!.id], parallelism: s.parallelism[v.id] ?? 1,
      maxParallelism: v.maxParallelism, ...(v.partitions ? { partitions: v.partitions } : {}), ...(v.keyed ? { keyed: true } : {}),
    }));
    const d = this.policy.evaluate({ t: s.t, vertices: s.metrics }, vertices);
    this.last = d;
    if (d.action === 'none') { this.waits[d.code] = (this.waits[d.code] ?? 0) + 1; return; }
    const from = Object.fromEntries(vertices.map((v) => [v.id, v.parallelism]));
    const rec: FlinkRescaleRecord = { t: s.t, from, to: d.parallelism, evaluations: d.evaluations };
    this.rescales.push(rec);
    this.policy.rescaleStarted();
    this.log(`flink-style: rescale ${Object.entries(d.parallelism).map(([id, p]) => `${this.name(id)} ${from[id]} → ${p}`).join(', ')}`);
    this.busy = this.execute(rec).finally(() => {
      this.policy.rescaleEnded(Date.now());
      this.busy = undefined;
    });
  }

  /** Waits for a rescale under way (at the end of the row). */
  async settle(): Promise<void> { await this.busy; }

  private name(id: string): string { return this.vertices.find((v) => v.id === id)?.name.split(' -> ')[0] ?? id; }

  private async execute(rec: FlinkRescaleRecord): Promise<void> {
    try {
      const body = Object.fromEntries(Object.entries(rec.to).map(([id, p]) => [id, { parallelism: { lowerBound: p, upperBound: p } }]));
      const res = await fetch(`${this.api}/jobs/${this.jobId}/resource-requirements`, {
        method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`PUT resource-requirements: HTTP ${res.status} ${text}`);
      rec.requestId = (JSON.parse(text) as { 'request-id': string })['request-id'];
      const deadline = Date.now() + this.timeoutMs;
      for (;;) {
        const st = await fetch(`${this.api}/jobs/${this.jobId}/rescaling/${rec.requestId}`, { signal: AbortSignal.timeout(10_000) });
        if (st.ok) {
          const status = (await st.json()) as GetRescalingStatusResponse;
          if (status.status.id === 'COMPLETED') {
            const failure = (status.operation as { 'failure-cause'?: unknown } | null)?.['failure-cause'];
            rec.ok = !failure;
            if (failure) rec.error = JSON.stringify(failure).slice(0, 500);
            break;
          }
        }
        if (Date.now() > deadline) throw new Error(`rescale ${rec.requestId} not done after ${this.timeoutMs / 1000} s`);
        await sleep(200);
      }
    } catch (err) {
      rec.ok = false;
      rec.error = (err as Error).message;
      this.log(`flink-style: rescale failed: ${rec.error}`);
    } finally {
      rec.doneAt = Date.now();
    }
  }
}
