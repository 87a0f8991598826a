/** /jobs: list, overview, details, exceptions, cancel. Flink's shapes (JobDetailsInfo, MultipleJobsDetails). */
import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from '../../dispatcher/index.js';
import { EXECUTION_STATES, JOB_STATES, isTerminal, type JobRecord } from '../../metadata/index.js';
import { badRequest, conflict, notFound } from '../errors.js';

const JOB_ID = /^[0-9a-f]{32}$/;

function taskCounts(rec: JobRecord): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(EXECUTION_STATES.map((s) => [s.toLowerCase(), 0]));
  let total = 0;
  for (const v of rec.vertices) {
    for (const [s, n] of Object.entries(v.tasks)) counts[s.toLowerCase()] = (counts[s.toLowerCase()] ?? 0) + n;
    total += v.parallelism;
  }
  return { ...counts, total };
}

function duration(rec: JobRecord, now: number): number {
  return (rec.endTime > 0 ? rec.endTime : now) - rec.startTime;
}

export function jobOverview(rec: JobRecord, now = Date.now()) {
  return {
    jid: rec.id, name: rec.name, state: rec.state, 'start-time': rec.startTime, 'end-time': rec.endTime,
    duration: duration(rec, now), 'last-modification': rec.lastModification, tasks: taskCounts(rec),
  };
}

async function getJob(d: Dispatcher, id: string): Promise<JobRecord> {
  const rec = JOB_ID.test(id) ? await d.registry.get(id) : undefined;
  if (!rec) throw notFound(`Job ${id} does not exist`);
  return rec;
}

export function jobRoutes(app: FastifyInstance, d: Dispatcher): void {
  app.get('/jobs', async () => ({ jobs: (await d.registry.list()).map((j) => ({ id: j.id, status: j.state })) }));

  app.get('/jobs/overview', async () => {
    const now = Date.now();
    return { jobs: (await d.registry.list()).map((j) => jobOverview(j, now)) };
  });

  app.get<{ Params: { jobid: string } }>('/jobs/:jobid', async (req) => {
    const rec = await getJob(d, req.params.jobid);
    const now = Date.now();
    const statusCounts: Record<string, number> = Object.fromEntries(EXECUTION_STATES.map((s) => [s, 0]));
    for (const v of rec.vertices) for (const [s, n] of Object.entries(v.tasks)) statusCounts[s] = (statusCounts[s] ?? 0) + n;
    const timestamps: Record<string, number> = Object.fromEntries(JOB_STATES.map((s) => [s, rec.timestamps[s] ?? 0]));
    return {
      jid: rec.id, name: rec.name, isStoppable: false, state: rec.state, 'start-time': rec.startTime, 'end-time': rec.endTime,
      duration: duration(rec, now), maxParallelism: rec.maxParallelism, now, timestamps, vertices: rec.vertices, 'status-counts': statusCounts,
      plan: { jid: rec.id, name: rec.name, nodes: rec.vertices.map((v) => ({ id: v.id, description: v.name, parallelism: v.parallelism })) },
      // ebbflow additions: how the job was submitted and why it failed.
      parallelism: rec.parallelism, jarId: rec.jarId, entryClass: rec.entryClass, programArgs: rec.programArgs,
      'failure-cause': rec.failureCause || null,
    };
  });

  app.get<{ Params: { jobid: string } }>('/jobs/:jobid/exceptions', async (req) => {
    const rec = await getJob(d, req.params.jobid);
    const failed = rec.state === 'FAILED' && rec.failureCause;
    const ts = rec.timestamps.FAILED ?? rec.endTime;
    const entry = failed ? { exceptionName: rec.failureCause.split(/[:\n]/)[0], stacktrace: rec.failureCause, timestamp: ts, taskName: null, location: null, concurrentExceptions: [] } : undefined;
    return {
      'root-exception': failed ? rec.failureCause : null,
      timestamp: failed ? ts : null,
      'all-exceptions': [],
      truncated: false,
      exceptionHistory: { entries: entry ? [entry] : [], truncated: false },
    };
  });

  app.patch<{ Params: { jobid: string }; Querystring: { mode?: string } }>('/jobs/:jobid', async (req, reply) => {
    const mode = (req.query.mode ?? 'cancel').toLowerCase();
    if (mode !== 'cancel') throw badRequest(`mode "${req.query.mode}" is not supported; use mode=cancel (or POST /jobs/:jobid/stop later)`);
    const rec = await getJob(d, req.params.jobid);
    if (isTerminal(rec.state)) throw conflict(`Job ${rec.id} is already ${rec.state} and cannot be cancelled`);
    if (rec.state === 'INITIALIZING' && !d.supervisor.isRunning(rec.id) && (await d.submissions.withdraw(rec.id))) {
      await d.registry.transition(rec.id, 'CANCELED');
    } else {
      await d.registry.transition(rec.id, 'CANCELLING');
      if (!d.supervisor.cancel(rec.id) && !rec.pid) {
        // Still queued (the worker will see CANCELLING and not start it) or already gone.
        req.log.info({ jobId: rec.id }, 'cancel recorded for a job without a process');
      }
    }
    return reply.code(202).send({});
  });
}
