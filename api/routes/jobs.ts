/** /jobs: list, overview, details, exceptions, cancel. Flink's shapes (JobDetailsInfo, MultipleJobsDetails). */
import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from '../../dispatcher/index.js';
import { EXECUTION_STATES, JOB_STATES, isTerminal, type JobRecord, type OperationKind } from '../../metadata/index.js';
import { badRequest, conflict } from '../errors.js';
import { getJob, getOperationOf, HEX_ID, operationStatus, recordOperation } from './operations.js';

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
      jid: rec.id, name: rec.name, isStoppable: rec.state === 'RUNNING', state: rec.state, 'start-time': rec.startTime, 'end-time': rec.endTime,
      duration: duration(rec, now), maxParallelism: rec.maxParallelism, now, timestamps, vertices: rec.vertices, 'status-counts': statusCounts,
      plan: { jid: rec.id, name: rec.name, nodes: rec.vertices.map((v) => ({ id: v.id, description: v.name, parallelism: v.parallelism })) },
      // ebbflow additions: how the job was submitted and why it failed.
      parallelism: rec.parallelism, jarId: rec.jarId, entryClass: rec.entryClass, programArgs: rec.programArgs,
      flinkConfiguration: rec.configuration, savepointPath: rec.savepointPath || null,
      'failure-cause': rec.failureCause || null,
    };
  });

  app.get<{ Params: { jobid: string } }>('/jobs/:jobid/exceptions', async (req) => {
    const rec = await getJob(d, req.params.jobid);
    const history = [...rec.exceptions];
    // A job that failed before it ran (bad bundle) has only its failure cause.
    if (rec.state === 'FAILED' && rec.failureCause && !history.some((e) => e.cause === rec.failureCause)) {
      history.push({ timestamp: rec.timestamps.FAILED ?? rec.endTime, cause: rec.failureCause, taskName: null, location: null });
    }
    const entries = history.reverse().map((e) => ({
      exceptionName: e.cause.split(/[:\n]/)[0]!.slice(0, 200), stacktrace: e.cause, timestamp: e.timestamp, taskName: e.taskName, location: e.location, concurrentExceptions: [],
    }));
    const root = rec.state === 'FAILED' ? entries[0] : undefined;
    return {
      'root-exception': root?.stacktrace ?? null,
      timestamp: root?.timestamp ?? null,
      'all-exceptions': [],
      truncated: false,
      exceptionHistory: { entries, truncated: false },
    };
  });

  app.get<{ Params: { jobid: string } }>('/jobs/:jobid/checkpoints', async (req) => {
    const rec = await getJob(d, req.params.jobid);
    return (await d.registry.getCheckpointStats(rec.id)) ?? {
      counts: { restored: 0, total: 0, in_progress: 0, completed: 0, failed: 0 },
      summary: {}, latest: { completed: null, savepoint: null, failed: null, restored: null }, history: [],
    };
  });

  const startOperation = async (jobid: string, kind: OperationKind, targetDirectory: unknown, cancelJob: unknown, triggerId: unknown) => {
    const rec = await getJob(d, jobid);
    if (targetDirectory !== undefined && targetDirectory !== null && typeof targetDirectory !== 'string') throw badRequest('the target directory must be a string');
    if (triggerId !== undefined && triggerId !== null && (typeof triggerId !== 'string' || !HEX_ID.test(triggerId))) throw badRequest('triggerId must be 32 lowercase hexadecimal characters');
    const earlier = typeof triggerId === 'string' ? await d.registry.getOperation(rec.id, triggerId) : undefined;
    if (earlier?.kind === 'rescale') throw conflict(`triggerId ${earlier.id} is already the id of a rescaling request of job ${rec.id}`);
    if (earlier) return earlier.id; // the same trigger twice is one operation
    if (rec.state !== 'RUNNING') throw conflict(`Job ${rec.id} is ${rec.state}; savepoints need a RUNNING job`);
    return recordOperation(d, { id: typeof triggerId === 'string' ? triggerId : undefined, jobId: rec.id, kind, targetDirectory: (targetDirectory as string | undefined) ?? '', cancelJob: cancelJob === true });
  };

  app.post<{ Params: { jobid: string }; Body: Record<string, unknown> | undefined }>('/jobs/:jobid/savepoints', async (req, reply) => {
    const b = req.body ?? {};
    const id = await startOperation(req.params.jobid, 'savepoint', b['target-directory'], b['cancel-job'], b.triggerId);
    return reply.code(202).send({ 'request-id': id });
  });

  app.post<{ Params: { jobid: string }; Body: Record<string, unknown> | undefined }>('/jobs/:jobid/stop', async (req, reply) => {
    const b = req.body ?? {};
    const id = await startOperation(req.params.jobid, 'stop', b.targetDirectory, false, b.triggerId);
    return reply.code(202).send({ 'request-id': id });
  });

  app.get<{ Params: { jobid: string; triggerid: string } }>('/jobs/:jobid/savepoints/:triggerid', async (req) => {
    const rec = await getJob(d, req.params.jobid);
    const op = await getOperationOf(d, rec, req.params.triggerid, ['savepoint', 'stop'], 'savepoint');
    return operationStatus(rec, op, 'the savepoint was taken', (o) => ({ location: o.location }));
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
