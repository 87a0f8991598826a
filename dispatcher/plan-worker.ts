/**
 * A short-lived child process that plans a bundle for `GET|POST /jars/:jarid/plan`: the user's job
 * function runs here, never in the dispatcher (it may loop, throw, or touch globals). It takes one
 * request over IPC, answers the job graph with each vertex's parallelism cap, and exits.
 */
import { describeError } from '../runtime/errors.js';
import { planJob, type PlanRequest } from '../runtime/plan.js';
import { vertexLimits } from '../jobmaster/job-scale.js';
import type { PlannedJar } from './jar-planner.js';

process.once('message', (req: PlanRequest) => {
  planJob(req)
    .then((plan): PlannedJar => {
      const { caps } = vertexLimits(plan);
      return { ok: true, graph: plan.graph, caps: Object.fromEntries(caps) };
    }, (err: unknown): PlannedJar => ({ ok: false, error: describeError(err) }))
    .then((answer) => process.send!(answer, () => process.exit(0)));
});
