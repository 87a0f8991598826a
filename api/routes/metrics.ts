/**
 * Flink's metric endpoints (api/views/flink-metrics.ts has the rules), the console's history and
 * Prometheus's `GET /metrics`. Metrics come from each job's latest snapshot, which its job process
 * publishes; a job without one yet has no metrics (`[]`). An unknown job, vertex, subtask or
 * TaskManager answers 404 (Flink answers `[]`: ebbflow knows which ids exist).
 *
 * TaskManager ids (`taskmanager-00001`) are unique within a job; a path or `taskmanagers=` value may
 * name one as `<jobid>:<id>`, and must when several running jobs have that id.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { NotFound, type DispatcherGateway } from '../../dispatcher/index.js';
import { isTerminal, type JobMetricsSnapshot, type JobRecord } from '../../metadata/index.js';
import { HttpError } from '../errors.js';
import { PrometheusExporter } from '../prometheus.js';
import { routeSchema } from '../request-schemas.js';
import {
  aggregateMetrics, metricCollection, metricsHistory, normalizeSnapshot, parseAggregations, parseList, parseSubtaskRanges, ProcessSampler, subtaskStore, vertexStore, vertexSubtasks,
  type MetricStore,
} from '../views/index.js';

type Query = { get?: string; agg?: string; subtasks?: string; taskmanagers?: string; jobs?: string };
type JobParams = { Params: { jobid: string }; Querystring: Query };
type VertexParams = { Params: { jobid: string; vertexid: string }; Querystring: Query };

interface RunningJob { job: JobRecord; metrics: JobMetricsSnapshot }

/** The job and its snapshot, normalized; a snapshot that is not JSON is logged and read as none (one bad job must not break a scrape). */
export async function jobAndMetrics(gw: DispatcherGateway, jobId: string, log: FastifyBaseLogger): Promise<{ job: JobRecord; metrics: JobMetricsSnapshot | undefined }> {
  try {
    const { job, metrics } = await gw.jobMetrics(jobId);
    return { job, metrics: normalizeSnapshot(metrics) };
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    log.warn({ jobId, err: err.message }, "the job's metrics snapshot in Redis is not valid JSON; serving no metrics for it");
    return { job: await gw.getJob(jobId), metrics: undefined };
  }
}

/** Jobs that have not ended, with a snapshot. */
async function runningSnapshots(gw: DispatcherGateway, log: FastifyBaseLogger, jobs?: JobRecord[]): Promise<RunningJob[]> {
  const live = (jobs ?? (await gw.listJobs())).filter((j) => !isTerminal(j.state));
  const found = await Promise.all(live.map(async (j) => {
    try {
      return await jobAndMetrics(gw, j.id, log);
    } catch (err) {
      // Removed between the list and the read (retention): it has no metrics to show.
      if (err instanceof NotFound) return undefined;
      throw err;
    }
  }));
  return found.filter((x): x is RunningJob => x?.metrics !== undefined);
}

/** TaskManager stores by qualified id `<jobid>:<tmid>`. */
function taskManagerStores(running: RunningJob[]): Map<string, MetricStore> {
  const out = new Map<string, MetricStore>();
  for (const { job, metrics } of running) for (const [tm, values] of Object.entries(metrics.taskManagers)) out.set(`${job.id}:${tm}`, values);
  return out;
}

/** The qualified ids a path or filter value names: `<jobid>:<tmid>` itself, or a plain id (refused when ambiguous). */
function resolveTaskManager(stores: Map<string, MetricStore>, id: string): string[] {
  if (stores.has(id)) return [id];
  const matches = [...stores.keys()].filter((k) => k.slice(k.indexOf(':') + 1) === id);
  if (matches.length > 1) throw new HttpError(400, `TaskManager id ${id} is used by several running jobs; name it as <jobid>:${id} (${matches.join(', ')})`);
  return matches;
}

async function vertexOf(gw: DispatcherGateway, jobId: string, vertexId: string, log: FastifyBaseLogger) {
  const { job, metrics } = await jobAndMetrics(gw, jobId, log);
  const vertex = job.vertices.find((v) => v.id === vertexId);
  if (!vertex) throw new NotFound(`Job ${job.id} has no vertex ${vertexId}`);
  return { job, vertex, metrics };
}

export function metricRoutes(app: FastifyInstance, gw: DispatcherGateway): void {
  const sampler = new ProcessSampler();
  const prometheus = new PrometheusExporter();

  app.get<{ Querystring: Query }>('/jobs/metrics', { schema: routeSchema('GET /jobs/metrics') }, async (req) => {
    const wanted = parseList(req.query.jobs);
    const running = await runningSnapshots(gw, req.log);
    const stores = running.filter((r) => !wanted.length || wanted.includes(r.job.id)).map((r) => r.metrics.job);
    return aggregateMetrics(stores, parseList(req.query.get), parseAggregations(req.query.agg));
  });

  app.get<JobParams>('/jobs/:jobid/metrics', { schema: routeSchema('GET /jobs/{jobid}/metrics') }, async (req) => {
    const { metrics } = await jobAndMetrics(gw, req.params.jobid, req.log);
    return metricCollection(metrics?.job, parseList(req.query.get));
  });

  app.get<JobParams>('/jobs/:jobid/metrics/history', { schema: routeSchema('GET /jobs/{jobid}/metrics/history') }, async (req) => {
    const { job, metrics } = await jobAndMetrics(gw, req.params.jobid, req.log);
    return metricsHistory(job, metrics);
  });

  app.get<VertexParams>('/jobs/:jobid/vertices/:vertexid/metrics', { schema: routeSchema('GET /jobs/{jobid}/vertices/{vertexid}/metrics') }, async (req) => {
    const { vertex, metrics } = await vertexOf(gw, req.params.jobid, req.params.vertexid, req.log);
    return metricCollection(vertexStore(metrics, vertex.id), parseList(req.query.get));
  });

  // Flink's JobVertexWatermarksHandler: each subtask's input watermark, as in the vertex's metrics.
  app.get<VertexParams>('/jobs/:jobid/vertices/:vertexid/watermarks', { schema: routeSchema('GET /jobs/{jobid}/vertices/{vertexid}/watermarks') }, async (req) => {
    const { vertex, metrics } = await vertexOf(gw, req.params.jobid, req.params.vertexid, req.log);
    const store = vertexStore(metrics, vertex.id);
    const wanted = Array.from({ length: vertex.parallelism }, (_, i) => `${i}.currentInputWatermark`);
    return metricCollection(store, wanted);
  });

  app.get<VertexParams>('/jobs/:jobid/vertices/:vertexid/subtasks/metrics', { schema: routeSchema('GET /jobs/{jobid}/vertices/{vertexid}/subtasks/metrics') }, async (req) => {
    const get = parseList(req.query.get);
    const aggs = parseAggregations(req.query.agg);
    const wanted = parseSubtaskRanges(req.query.subtasks);
    const { vertex, metrics } = await vertexOf(gw, req.params.jobid, req.params.vertexid, req.log);
    const subtasks = vertexSubtasks(metrics, vertex.id).filter((s) => !wanted || wanted(s.subtask));
    return aggregateMetrics(subtasks.map(subtaskStore), get, aggs);
  });

  app.get<{ Params: { jobid: string; vertexid: string; subtaskindex: number }; Querystring: Query }>('/jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex/metrics',
    { schema: routeSchema('GET /jobs/{jobid}/vertices/{vertexid}/subtasks/{subtaskindex}/metrics') }, async (req) => {
      const { job, vertex, metrics } = await vertexOf(gw, req.params.jobid, req.params.vertexid, req.log);
      const index = req.params.subtaskindex;
      if (index >= vertex.parallelism) throw new NotFound(`Vertex ${vertex.id} of job ${job.id} has no subtask ${index} (parallelism ${vertex.parallelism})`);
      const s = vertexSubtasks(metrics, vertex.id).find((x) => x.subtask === index);
      return metricCollection(s && subtaskStore(s), parseList(req.query.get));
    });

  app.get<{ Querystring: Query }>('/taskmanagers/metrics', { schema: routeSchema('GET /taskmanagers/metrics') }, async (req) => {
    const get = parseList(req.query.get);
    const aggs = parseAggregations(req.query.agg);
    const stores = taskManagerStores(await runningSnapshots(gw, req.log));
    const wanted = parseList(req.query.taskmanagers);
    const ids = wanted.length ? [...new Set(wanted.flatMap((id) => resolveTaskManager(stores, id)))] : [...stores.keys()];
    return aggregateMetrics(ids.map((id) => stores.get(id)!), get, aggs);
  });

  app.get<{ Params: { taskmanagerid: string }; Querystring: Query }>('/taskmanagers/:taskmanagerid/metrics', { schema: routeSchema('GET /taskmanagers/{taskmanagerid}/metrics') }, async (req) => {
    const running = await runningSnapshots(gw, req.log);
    const stores = taskManagerStores(running);
    const [id] = resolveTaskManager(stores, req.params.taskmanagerid);
    if (id) return metricCollection(stores.get(id), parseList(req.query.get));
    // A TaskManager registered but not yet in a snapshot has no metrics yet; one nobody knows is a 404.
    const known = (await gw.taskManagers()).some((t) => t.id === req.params.taskmanagerid || `${t.jobId}:${t.id}` === req.params.taskmanagerid);
    if (!known) throw new NotFound(`No running job has TaskManager ${req.params.taskmanagerid}`);
    return [];
  });

  app.get<{ Querystring: Query }>('/jobmanager/metrics', { schema: routeSchema('GET /jobmanager/metrics') }, async (req) => {
    const [jobs, tms] = [await gw.listJobs(), await gw.taskManagers()];
    const store: MetricStore = {
      ...sampler.read(),
      numRunningJobs: jobs.filter((j) => !isTerminal(j.state)).length,
      numRegisteredTaskManagers: tms.length,
      taskSlotsTotal: tms.reduce((a, t) => a + t.slotsNumber, 0),
      taskSlotsAvailable: tms.reduce((a, t) => a + t.freeSlots, 0),
    };
    return metricCollection(store, parseList(req.query.get));
  });

  app.get('/metrics', async (req, reply) => {
    const jobs = await gw.listJobs();
    const [running, status, jars] = await Promise.all([runningSnapshots(gw, req.log, jobs), gw.dispatcherStatus(), gw.listJars()]);
    reply.type(prometheus.contentType);
    return prometheus.scrape({ jobs, running, status, jars, leadership: gw.leadership() });
  });
}
